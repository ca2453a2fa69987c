import FLAC
import Foundation
import SndFile
import Soxr

/// Loads audio files as mono `Float` signals at a chosen rate, reproducing `librosa.load` (librosa 0.11,
/// `mono=True`, `res_type='soxr_hq'`).
public enum AudioLoader {
    /// Sample rates accepted for files and as resampling targets, in Hz.
    public static let supportedSampleRates: ClosedRange<Int> = 1000...768_000

    /// The largest sample magnitude accepted. Float files are nominally in [-1, 1] and integer formats
    /// decode into it; a float file with samples beyond ±1000 (or NaN/infinite ones) is damaged or is not
    /// audio, and would turn every feature derived from it into infinities and NaNs.
    public static let maximumSampleMagnitude: Float = 1000

    /// The default output rate (librosa's default `sr`).
    public static let defaultSampleRate = 22050

    /// Decodes, downmixes and resamples the file at `path`.
    ///
    /// Steps, as in `librosa.load`:
    /// 1. decode to `Float` in [-1, 1]: native FLAC files with libFLAC (``FLACReader``, the same samples as
    ///    libsndfile gives, faster), everything else with libsndfile (WAV PCM 16/24/32-bit and float, OGG/Vorbis, …);
    /// 2. select frames at the file's native rate: the first is `Int(offset · nativeRate)` (truncated), the
    ///    count `Int(duration · nativeRate)` (truncated; clipped at the end of the file);
    /// 3. average the channels (``downmix(interleaved:channels:)``);
    /// 4. when `sampleRate` differs from the native rate, resample with libsoxr's high-quality recipe
    ///    (``Soxr/resample(_:from:to:quality:)``) and pad with zeros or cut to
    ///    `ceil(n · sampleRate / nativeRate)` samples, as librosa's `fix=True` does.
    ///
    /// - Parameters:
    ///   - path: the audio file.
    ///   - sampleRate: output rate in Hz (``supportedSampleRates``); nil keeps the file's native rate.
    ///   - offset: seconds to skip at the start (0 ≤ offset < file duration).
    ///   - duration: seconds to read after the offset (nil: to the end).
    /// - Returns: the mono signal and its rate. Complexity O(frames · channels).
    /// - Throws: ``AudioError`` naming the file, with libsndfile's or libFLAC's message when it reported the failure;
    ///   a FIFO, socket, device or folder is refused before it is opened.
    public static func load(
        _ path: String, sampleRate: Int? = AudioLoader.defaultSampleRate, offset: Double = 0,
        duration: Double? = nil
    ) throws -> AudioBuffer {
        func fail(_ problem: AudioError.Problem) -> AudioError { AudioError(path: path, problem: problem) }
        if let sampleRate, !supportedSampleRates.contains(sampleRate) {
            throw fail(.invalidTargetRate(sampleRate))
        }
        // Checked before any open: opening a FIFO blocks until a writer appears.
        if let kind = FileKind(atPath: path), kind != .regular { throw fail(.notARegularFile(kind)) }
        let decoder = try Decoder(path: path)
        let info = decoder.info
        guard info.channels > 0 else { throw fail(.noChannels) }
        guard supportedSampleRates.contains(info.sampleRate) else {
            throw fail(.unsupportedSampleRate(info.sampleRate))
        }
        guard info.frames > 0 else { throw fail(.noFrames) }

        let nativeRate = Double(info.sampleRate)
        guard offset.isFinite, offset >= 0, Int(offset * nativeRate) < info.frames else {
            throw fail(.invalidOffset(offset, fileDuration: info.duration))
        }
        let start = Int(offset * nativeRate)
        var count = info.frames - start
        if let duration {
            guard duration.isFinite, duration > 0, Int(duration * nativeRate) >= 1 else {
                throw fail(.invalidDuration(duration, sampleRate: info.sampleRate))
            }
            // Guard the conversion against absurdly long requests before clipping at the end of the file.
            count = min(count, Int(min(duration * nativeRate, Double(Int.max / 2))))
        }

        let interleaved = try decoder.read(offset: start, frameCount: count)
        if let bad = firstInvalidSample(interleaved) {
            throw fail(
                .invalidSample(
                    value: interleaved[bad], frame: start + bad / info.channels, channel: bad % info.channels,
                    sampleRate: info.sampleRate))
        }
        let mono = downmix(interleaved: interleaved, channels: info.channels)
        guard let target = sampleRate, target != info.sampleRate else {
            return AudioBuffer(samples: mono, sampleRate: info.sampleRate)
        }
        do {
            return AudioBuffer(samples: try resample(mono, from: info.sampleRate, to: target), sampleRate: target)
        } catch let error as SoxrError {
            throw fail(.resampling(error.message))
        }
    }

    /// Resamples mono `samples` as `librosa.load` does: libsoxr's high-quality recipe, then padded with zeros
    /// or cut to ``librosaResampledLength(_:from:to:)`` samples (librosa's `fix=True`). The one resampler of
    /// `load`, of live windows and of samples handed to a model, so all three give the same samples.
    /// Complexity O(n).
    /// - Throws: `SoxrError` when libsoxr refuses the rates.
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws -> [Float] {
        guard inputRate != outputRate else { return samples }
        var out = try Soxr.resample(samples, from: inputRate, to: outputRate, quality: .high)
        let length = librosaResampledLength(samples.count, from: inputRate, to: outputRate)
        if out.count > length {
            out.removeLast(out.count - length)
        } else if out.count < length {
            out.append(contentsOf: repeatElement(0, count: length - out.count))
        }
        return out
    }

    /// Index of the first sample that is NaN, infinite or beyond ±``maximumSampleMagnitude``. O(n).
    public static func firstInvalidSample(_ samples: [Float]) -> Int? {
        let limit = maximumSampleMagnitude
        // `!(|x| <= limit)` is also true for NaN.
        return samples.withUnsafeBufferPointer { p in p.firstIndex { !(abs($0) <= limit) } }
    }

    /// The length `librosa.resample(..., fix=True)` gives `n` samples resampled from `inputRate` to
    /// `outputRate`: `ceil(n · (outputRate / inputRate))`, computed in `Double` in that order, as numpy does.
    public static func librosaResampledLength(_ n: Int, from inputRate: Int, to outputRate: Int) -> Int {
        if inputRate == outputRate { return n }
        let ratio = Double(outputRate) / Double(inputRate)
        return Int((Double(n) * ratio).rounded(.up))
    }
}

/// The library that decodes one file: libFLAC directly for native FLAC files whose header states their
/// length (the RAVDESS case), libsndfile for everything else. Both give the same samples for FLAC.
private enum Decoder {
    case flac(FLACReader)
    case sndfile(path: String, info: SoundFileInfo)

    /// Opens `path` and reads its header.
    /// - Throws: ``AudioError/Problem/undecodable(library:message:)`` with the library's message.
    init(path: String) throws {
        if FLACReader.hasSignature(path) {
            let reader = try Self.naming(path) { try FLACReader(path: path) }
            if reader.info.frames > 0 {
                self = .flac(reader)
                return
            }
            // A streamed FLAC file without a stated length: libsndfile's handling, as before.
        }
        self = .sndfile(path: path, info: try Self.naming(path) { try SoundFile.info(path) })
    }

    /// The header, as libsndfile reports it.
    var info: SoundFileInfo {
        switch self {
        case .flac(let reader):
            let i = reader.info
            return SoundFileInfo(
                frames: i.frames, sampleRate: i.sampleRate, channels: i.channels, container: "FLAC",
                encoding: "PCM_\(i.bitsPerSample)")
        case .sndfile(_, let info):
            return info
        }
    }

    /// `frameCount` frames from frame `offset`, interleaved.
    func read(offset: Int, frameCount: Int) throws -> [Float] {
        switch self {
        case .flac(let reader):
            return try Self.naming(reader.path) { try reader.read(offset: offset, frameCount: frameCount) }
        case .sndfile(let path, _):
            return try Self.naming(path) { try SoundFile.read(path, offset: offset, frameCount: frameCount).samples }
        }
    }

    /// Runs `body`, turning a decoding library's error into an ``AudioError`` that names the library.
    static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FLACError {
            throw AudioError(path: path, problem: .undecodable(library: "libFLAC", message: error.message))
        } catch let error as SndFileError {
            throw AudioError(path: path, problem: .undecodable(library: "libsndfile", message: error.message))
        }
    }
}
