import CFLAC
import Foundation

/// Why a FLAC file could not be decoded, with libFLAC's own status names where libFLAC reported it.
/// ``message`` does not repeat "libFLAC": callers name the library.
public enum FLACError: Error, CustomStringConvertible, Equatable {
    /// libFLAC could not start decoding the file (e.g. it cannot be opened); libFLAC's init status.
    case cannotOpen(path: String, status: String)
    /// The metadata blocks could not be read, or there is no STREAMINFO block.
    case unreadableMetadata(path: String, reason: String)
    /// The file ended (or sync was lost) before the requested frames were decoded.
    case truncated(path: String, framesRead: Int, framesWanted: Int, reason: String)
    /// libFLAC reported a damaged frame (bad header, CRC mismatch, …).
    case damaged(path: String, status: String)

    public var path: String {
        switch self {
        case .cannotOpen(let path, _), .unreadableMetadata(let path, _), .truncated(let path, _, _, _),
            .damaged(let path, _):
            return path
        }
    }

    /// What went wrong, for the user.
    public var message: String {
        switch self {
        case .cannotOpen(_, let status):
            return status
        case .unreadableMetadata(_, let reason):
            return "cannot read the metadata (\(reason)); the file is damaged or truncated"
        case .truncated(_, let read, let wanted, let reason):
            return "read \(read) of \(wanted) frames (\(reason)); the file may be truncated or damaged"
        case .damaged(_, let status):
            return "\(status); the file is damaged"
        }
    }

    public var description: String { "\(path): \(message)" }
}

/// What a FLAC file's STREAMINFO block declares.
public struct FLACStreamInfo: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    public var bitsPerSample: Int
    /// Frames per channel; 0 when the encoder did not know the length (a streamed file).
    public var frames: Int
}

/// Decodes native FLAC files with libFLAC directly, to `Float` samples identical to libsndfile's
/// `sf_readf_float`: each integer sample divided by 2^(bitsPerSample − 1), interleaved by frame.
///
/// This skips libsndfile's extra buffering and conversion passes, which cost about a third of the
/// decoding time on RAVDESS (see `docs/audio.md`). Open once, then ``read(offset:frameCount:)``
/// once; the decoder is freed with the value.
public final class FLACReader {
    public let path: String
    public let info: FLACStreamInfo
    private let decoder: UnsafeMutablePointer<FLAC__StreamDecoder>
    private let context: DecodeContext
    private var hasRead = false

    /// Whether the file at `path` starts like a native FLAC stream (`fLaC`, possibly after an ID3v2
    /// tag). False for unreadable files and for FLAC inside Ogg, which libsndfile handles.
    public static func hasSignature(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 10), head.count >= 4 else { return false }
        let bytes = [UInt8](head)
        if bytes.starts(with: Array("fLaC".utf8)) { return true }
        // ID3v2: "ID3", version, flags, then a 28-bit size in four 7-bit bytes (plus 10 for a footer).
        guard bytes.count == 10, bytes.starts(with: Array("ID3".utf8)) else { return false }
        let size = bytes[6...9].reduce(0) { $0 << 7 | Int($1 & 0x7F) } + 10 + (bytes[5] & 0x10 != 0 ? 10 : 0)
        guard (try? handle.seek(toOffset: UInt64(size))) != nil, let magic = try? handle.read(upToCount: 4) else {
            return false
        }
        return [UInt8](magic) == Array("fLaC".utf8)
    }

    /// Opens `path` and reads its metadata.
    /// - Throws: ``FLACError`` with libFLAC's status when the file cannot be opened or its metadata
    ///   cannot be read, or when it has no STREAMINFO block.
    public init(path: String) throws {
        self.path = path
        guard let decoder = FLAC__stream_decoder_new() else {
            throw FLACError.cannotOpen(path: path, status: "libFLAC could not allocate a decoder")
        }
        let context = DecodeContext()
        let status = FLAC__stream_decoder_init_file(
            decoder, path, flacWrite, flacMetadata, flacError, Unmanaged.passUnretained(context).toOpaque())
        guard status == FLAC__STREAM_DECODER_INIT_STATUS_OK else {
            FLAC__stream_decoder_delete(decoder)
            throw FLACError.cannotOpen(path: path, status: String(cString: ser_flac_init_status_string(status)))
        }
        let metadataRead = FLAC__stream_decoder_process_until_end_of_metadata(decoder) != 0
        guard metadataRead, context.failure == nil, let info = context.info else {
            let reason = context.failure ?? Self.stateName(decoder)
            FLAC__stream_decoder_delete(decoder)
            throw FLACError.unreadableMetadata(path: path, reason: reason)
        }
        self.decoder = decoder
        self.context = context
        self.info = info
    }

    deinit { FLAC__stream_decoder_delete(decoder) }

    /// Decodes `frameCount` frames starting at frame `offset`, interleaved by frame. Call it once per
    /// reader: the stream is consumed.
    ///
    /// Frames before `offset` are decoded and dropped; decoding stops once the range is complete. Memory
    /// grows with the frames actually decoded, so a header declaring more frames than the file holds
    /// (up to 2^36) costs nothing before the shortfall is reported.
    /// Complexity O((offset + frameCount) · channels).
    /// - Throws: ``FLACError`` when the file ends before the range does (a truncated file), or when
    ///   libFLAC reports a damaged frame (lost sync, bad header, CRC mismatch) before the range ends.
    public func read(offset: Int = 0, frameCount: Int) throws -> [Float] {
        precondition(offset >= 0 && frameCount >= 0, "offset and frameCount must not be negative")
        precondition(!hasRead, "a FLACReader reads once; open another for another range")
        hasRead = true
        if frameCount == 0 { return [] }
        context.start(channels: info.channels, first: offset, count: frameCount)
        _ = FLAC__stream_decoder_process_until_end_of_stream(decoder)
        let stored = context.stored
        let samples = context.finish()
        if stored < frameCount {
            // A file cut inside a frame ends with a lost sync: name it, but the cause is the missing end.
            let state = Self.stateName(decoder)
            let reason =
                context.failure ?? (state == "FLAC__STREAM_DECODER_END_OF_STREAM" ? "the stream ends early" : state)
            throw FLACError.truncated(path: path, framesRead: stored, framesWanted: frameCount, reason: reason)
        }
        if let failure = context.failure {
            throw FLACError.damaged(path: path, status: failure)
        }
        return samples
    }

    static func stateName(_ decoder: UnsafeMutablePointer<FLAC__StreamDecoder>) -> String {
        String(cString: FLAC__stream_decoder_get_resolved_state_string(decoder))
    }
}

/// What the C callbacks share with ``FLACReader``: the stream's format and the range being filled.
final class DecodeContext {
    var info: FLACStreamInfo?
    var failure: String?
    /// The requested range decoded so far, interleaved; grown block by block.
    private var output: [Float] = []
    private var reading = false
    private var channels = 0
    private var first = 0
    private var end = 0
    /// Frame index (in the file) of the next decoded block.
    private var position = 0
    /// Frames of the requested range stored so far.
    private(set) var stored = 0

    /// Frames reserved up front: a header's length is only a claim (4 Mi frames, 16 MiB per channel).
    static let reservedFrames = 1 << 22

    func start(channels: Int, first: Int, count: Int) {
        output = []
        output.reserveCapacity(min(count, Self.reservedFrames) * channels)
        reading = true
        self.channels = channels
        self.first = first
        self.end = first + count
    }

    /// The samples stored, handed over.
    func finish() -> [Float] {
        reading = false
        defer { output = [] }
        return output
    }

    /// Keeps the first error libFLAC reports, with where it happened.
    func fail(_ status: String) {
        if failure == nil { failure = info == nil ? status : "\(status) after frame \(position)" }
    }

    /// Stores the part of one decoded block that falls in the requested range.
    /// - Returns: whether decoding should go on.
    func store(_ frame: FLAC__Frame, _ buffers: UnsafePointer<UnsafePointer<FLAC__int32>?>) -> Bool {
        let header = frame.header
        let blockSize = Int(header.blocksize)
        guard reading, Int(header.channels) == channels else {
            fail("a frame has \(header.channels) channels, the stream declares \(channels)")
            return false
        }
        let lo = max(first, position)
        let hi = min(end, position + blockSize)
        if hi > lo {
            // libsndfile's float conversion: the integer sample scaled by 2^-(bits - 1) (exact for ≤ 24 bits).
            let scale = 1 / Float(sign: .plus, exponent: Int(header.bits_per_sample) - 1, significand: 1)
            let skip = lo - position
            let count = hi - lo
            let channels = channels
            let start = (lo - first) * channels  // == output.count: blocks arrive in order
            output.append(contentsOf: repeatElement(0, count: count * channels))
            output.withUnsafeMutableBufferPointer { out in
                let destination = out.baseAddress! + start
                if channels == 1, let source = buffers[0] {
                    let from = source + skip
                    for i in 0..<count { destination[i] = Float(from[i]) * scale }
                } else {
                    for c in 0..<channels {
                        guard let source = buffers[c] else { continue }
                        let from = source + skip
                        var to = destination + c
                        for i in 0..<count {
                            to.pointee = Float(from[i]) * scale
                            to += channels
                        }
                    }
                }
            }
            stored += count
        }
        position += blockSize
        return position < end
    }
}

private func context(_ clientData: UnsafeMutableRawPointer?) -> DecodeContext {
    Unmanaged<DecodeContext>.fromOpaque(clientData!).takeUnretainedValue()
}

private let flacWrite: FLAC__StreamDecoderWriteCallback = { _, frame, buffers, clientData in
    context(clientData).store(frame!.pointee, buffers!)
        ? FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE : FLAC__STREAM_DECODER_WRITE_STATUS_ABORT
}

private let flacMetadata: FLAC__StreamDecoderMetadataCallback = { _, metadata, clientData in
    guard let block = metadata?.pointee, block.type == FLAC__METADATA_TYPE_STREAMINFO else { return }
    let s = block.data.stream_info
    context(clientData).info = FLACStreamInfo(
        sampleRate: Int(s.sample_rate), channels: Int(s.channels), bitsPerSample: Int(s.bits_per_sample),
        frames: Int(clamping: s.total_samples))
}

private let flacError: FLAC__StreamDecoderErrorCallback = { _, status, clientData in
    context(clientData).fail(String(cString: ser_flac_error_status_string(status)))
}
