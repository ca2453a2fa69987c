import CSndFile
import Foundation

/// A failure reported by libsndfile, with the file it concerns and libsndfile's own message.
public struct SndFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// What libsndfile reports about an audio file's header.
public struct SoundFileInfo: Sendable, Equatable {
    /// Frames per channel.
    public var frames: Int
    public var sampleRate: Int
    public var channels: Int
    /// Container name, e.g. "WAV", "FLAC", "OGG".
    public var container: String
    /// Sample encoding name, e.g. "PCM_16", "FLOAT", "VORBIS".
    public var encoding: String

    public init(frames: Int, sampleRate: Int, channels: Int, container: String, encoding: String) {
        self.frames = frames
        self.sampleRate = sampleRate
        self.channels = channels
        self.container = container
        self.encoding = encoding
    }

    /// Duration in seconds (0 when the rate is 0).
    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }
}

/// Formats ``SoundFile/write(_:channels:sampleRate:to:format:)`` can produce.
public enum SoundFileFormat: Sendable, CaseIterable {
    case wavPCM16, wavPCM24, wavPCM32, wavFloat, flac16, flac24, oggVorbis

    var code: Int32 {
        switch self {
        case .wavPCM16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavPCM24: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
        case .wavPCM32: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_32)
        case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .flac24: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        case .oggVorbis: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        }
    }
}

/// Reading and writing audio files through libsndfile. Samples are `Float` in [-1, 1],
/// interleaved by frame (`[f0c0, f0c1, f1c0, …]`).
public enum SoundFile {
    /// Reads the header of the file at `path`.
    /// - Throws: ``SndFileError`` with libsndfile's message when the file cannot be opened, or when it is
    ///   truncated (see ``SoundFile/truncationDiagnosis(log:)``).
    public static func info(_ path: String) throws -> SoundFileInfo {
        let handle = try Handle(path: path, mode: Int32(SFM_READ))
        return handle.fileInfo
    }

    /// Reads `frameCount` frames (all remaining when nil) starting at frame `offset`.
    ///
    /// Files whose length libsndfile cannot determine (it reports `SF_COUNT_MAX`, e.g. an Ogg file cut
    /// short) are rejected like other truncated files. Complexity O(frames · channels).
    /// - Returns: interleaved samples and the file's header.
    /// - Throws: ``SndFileError`` when the file cannot be opened, is truncated (see
    ///   ``SoundFile/truncationDiagnosis(log:)``), cannot be seeked or cannot be read completely.
    public static func read(_ path: String, offset: Int = 0, frameCount: Int? = nil) throws -> (
        samples: [Float], info: SoundFileInfo
    ) {
        let handle = try Handle(path: path, mode: Int32(SFM_READ))
        let info = handle.fileInfo
        let start = min(max(0, offset), info.frames)
        let count = min(max(0, frameCount ?? info.frames), info.frames - start)
        if start > 0, sf_seek(handle.file, sf_count_t(start), SEEK_SET) < 0 {
            throw SndFileError(path: path, message: "cannot seek to frame \(start): \(handle.errorMessage)")
        }
        var samples = [Float](repeating: 0, count: count * info.channels)
        var read = 0
        if count > 0 {
            read = samples.withUnsafeMutableBufferPointer {
                Int(sf_readf_float(handle.file, $0.baseAddress, sf_count_t(count)))
            }
        }
        if read < count {
            let reason = handle.hasError ? handle.errorMessage : "file ends early"
            throw SndFileError(
                path: path, message: "read \(read) of \(count) frames (\(reason)); the file may be truncated")
        }
        return (samples, info)
    }

    /// Writes interleaved samples to `path`, replacing any existing file.
    public static func write(
        _ samples: [Float], channels: Int = 1, sampleRate: Int, to path: String, format: SoundFileFormat = .wavPCM16
    ) throws {
        precondition(channels > 0 && samples.count % channels == 0, "samples must hold whole frames")
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.code
        guard sf_format_check(&info) != 0 else {
            throw SndFileError(
                path: path, message: "libsndfile cannot write \(format) at \(sampleRate) Hz with \(channels) channels")
        }
        let handle = try Handle(path: path, mode: Int32(SFM_WRITE), info: info)
        let frames = samples.count / channels
        let written = samples.withUnsafeBufferPointer {
            Int(sf_writef_float(handle.file, $0.baseAddress, sf_count_t(frames)))
        }
        guard written == frames else {
            throw SndFileError(path: path, message: "wrote \(written) of \(frames) frames: \(handle.errorMessage)")
        }
    }

    /// A short mono clip compressed for embedding (an HTML page's `data:` URI): Ogg/Opus when this libsndfile
    /// writes it at `sampleRate` (8, 12, 16, 24 or 48 kHz), else 16-bit FLAC. Encoded through a temporary file
    /// of its own, removed before returning.
    /// - Returns: the file's bytes and their MIME type (`audio/ogg; codecs=opus` or `audio/flac`).
    /// - Throws: ``SndFileError`` with libsndfile's message.
    public static func compressedClip(_ samples: [Float], sampleRate: Int) throws -> (data: Data, mimeType: String) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
        let opus = sf_format_check(&info) != 0
        let format: SoundFileFormat? = opus ? nil : .flac16
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ser-clip-\(UUID().uuidString).\(opus ? "opus" : "flac")"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        if let format {
            try write(samples, sampleRate: sampleRate, to: path, format: format)
        } else {
            let handle = try Handle(path: path, mode: Int32(SFM_WRITE), info: info)
            let written = samples.withUnsafeBufferPointer {
                Int(sf_writef_float(handle.file, $0.baseAddress, sf_count_t(samples.count)))
            }
            guard written == samples.count else {
                throw SndFileError(
                    path: path, message: "wrote \(written) of \(samples.count) frames: \(handle.errorMessage)")
            }
        }
        do {
            return (try Data(contentsOf: URL(fileURLWithPath: path)), opus ? "audio/ogg; codecs=opus" : "audio/flac")
        } catch {
            throw SndFileError(path: path, message: "cannot read the encoded clip back: \(error.localizedDescription)")
        }
    }

    /// An open `SNDFILE*`, closed on deinit.
    final class Handle {
        let file: OpaquePointer
        let path: String
        private(set) var rawInfo: SF_INFO

        init(path: String, mode: Int32, info: SF_INFO = SF_INFO()) throws {
            self.path = path
            var info = info
            guard let file = sf_open(path, mode, &info) else {
                let message = String(cString: sf_strerror(nil))
                throw SndFileError(path: path, message: message)
            }
            self.file = file
            self.rawInfo = info
            // Throwing from here still runs deinit (the object is fully initialised), which closes the file.
            if mode == Int32(SFM_READ) {
                if info.frames < 0 || info.frames == sf_count_t.max {
                    throw SndFileError(
                        path: path, message: "libsndfile cannot determine the length; the file is probably truncated")
                }
                if let problem = SoundFile.truncationDiagnosis(log: logInfo) {
                    throw SndFileError(path: path, message: problem)
                }
            }
        }

        deinit { sf_close(file) }

        var hasError: Bool { sf_error(file) != 0 }

        /// libsndfile's log of how it parsed the header (`SFC_GET_LOG_INFO`).
        var logInfo: String {
            var buffer = [CChar](repeating: 0, count: 16384)
            let count = sf_command(file, Int32(SFC_GET_LOG_INFO), &buffer, Int32(buffer.count))
            guard count > 0 else { return "" }
            return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        var errorMessage: String { String(cString: sf_strerror(file)) }

        var fileInfo: SoundFileInfo {
            SoundFileInfo(
                frames: Int(rawInfo.frames), sampleRate: Int(rawInfo.samplerate), channels: Int(rawInfo.channels),
                container: Self.name(major: rawInfo.format & Int32(SF_FORMAT_TYPEMASK)),
                encoding: Self.name(subtype: rawInfo.format & Int32(SF_FORMAT_SUBMASK)))
        }

        static func name(major: Int32) -> String {
            var info = SF_FORMAT_INFO()
            info.format = major
            guard sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
                let ext = info.extension
            else { return "unknown" }
            return String(cString: ext).uppercased()
        }

        static func name(subtype: Int32) -> String {
            switch subtype {
            case Int32(SF_FORMAT_PCM_S8), Int32(SF_FORMAT_PCM_U8): return "PCM_8"
            case Int32(SF_FORMAT_PCM_16): return "PCM_16"
            case Int32(SF_FORMAT_PCM_24): return "PCM_24"
            case Int32(SF_FORMAT_PCM_32): return "PCM_32"
            case Int32(SF_FORMAT_FLOAT): return "FLOAT"
            case Int32(SF_FORMAT_DOUBLE): return "DOUBLE"
            case Int32(SF_FORMAT_VORBIS): return "VORBIS"
            case Int32(SF_FORMAT_OPUS): return "OPUS"
            default: return String(format: "0x%04x", subtype)
            }
        }
    }
}
