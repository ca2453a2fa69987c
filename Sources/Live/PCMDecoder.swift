import Audio
import Foundation

/// Raw PCM sample encodings accepted on standard input (little-endian, interleaved by frame).
public enum PCMFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Signed 16-bit integers; sample `v` becomes `v / 32768`.
    case s16le
    /// IEEE-754 32-bit floats, expected in [-1, 1] (NaN, ±inf and magnitudes beyond
    /// `AudioLoader.maximumSampleMagnitude`, 1000, are rejected).
    case f32le

    public init(parsing text: String) throws {
        guard let format = PCMFormat(rawValue: text.lowercased()) else {
            throw LiveError.invalidConfiguration("--format must be s16le or f32le, got '\(text)'")
        }
        self = format
    }

    public var bytesPerSample: Int { self == .s16le ? 2 : 4 }
    public var description: String { rawValue }
}

/// Turns a byte stream of interleaved PCM frames into mono `Float` samples, however the bytes are split
/// into chunks: a frame cut by a chunk boundary is kept until the rest arrives.
///
/// Memory: at most one frame of carried-over bytes. Complexity O(bytes).
public struct PCMDecoder {
    public let format: PCMFormat
    public let channels: Int
    /// Bytes of an incomplete frame carried over to the next chunk (< ``frameBytes``).
    public private(set) var pending: [UInt8] = []
    /// Frames decoded so far (for error messages).
    public private(set) var framesDecoded = 0
    private var interleaved: [Float] = []

    public init(format: PCMFormat, channels: Int = 1) {
        precondition(channels > 0, "channels must be positive")
        self.format = format
        self.channels = channels
    }

    /// Bytes per interleaved frame.
    public var frameBytes: Int { format.bytesPerSample * channels }

    /// Decodes the whole frames in `pending + bytes`, appending their mono samples to `output`; keeps any
    /// trailing partial frame for the next call. Returns the number of samples appended.
    /// - Throws: ``LiveError/malformedStream(source:reason:)`` for NaN, inf or a magnitude beyond
    ///   `AudioLoader.maximumSampleMagnitude` in f32le data (`source` names the stream).
    @discardableResult
    public mutating func decode(
        _ bytes: UnsafeRawBufferPointer, appendingTo output: inout [Float], source: String = "stream"
    )
        throws -> Int
    {
        let total = pending.count + bytes.count
        let frames = total / frameBytes
        guard frames > 0 else {
            pending.append(contentsOf: bytes)
            return 0
        }
        // The first frame may straddle `pending` and `bytes`: assemble the bytes of all whole frames.
        let wholeBytes = frames * frameBytes
        let fromChunk = wholeBytes - pending.count
        let sampleCount = frames * channels
        if interleaved.count < sampleCount { interleaved = [Float](repeating: 0, count: sampleCount) }
        var bad: (index: Int, value: Float)? = nil
        if pending.isEmpty {
            bad = Self.convert(
                UnsafeRawBufferPointer(rebasing: bytes[0..<fromChunk]), format: format, into: &interleaved)
        } else {
            var joined = pending
            joined.append(contentsOf: bytes[0..<fromChunk])
            bad = joined.withUnsafeBytes { Self.convert($0, format: format, into: &interleaved) }
        }
        if let bad {
            let frame = framesDecoded + bad.index / channels
            let what =
                bad.value.isFinite
                ? "\(bad.value), beyond ±\(AudioLoader.maximumSampleMagnitude)" : "\(bad.value), not a finite number"
            throw LiveError.malformedStream(
                source: source,
                reason: "sample \(bad.index % channels) of frame \(frame) is \(what); is the stream really \(format)?"
            )
        }
        pending = Array(bytes[fromChunk...])
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: frames))
        output.withUnsafeMutableBufferPointer { out in
            interleaved.withUnsafeBufferPointer { src in
                downmixToMono(
                    UnsafeBufferPointer(rebasing: src[0..<sampleCount]), channels: channels,
                    into: out.baseAddress! + start)
            }
        }
        framesDecoded += frames
        return frames
    }

    /// Checks the stream ended on a frame boundary.
    /// - Throws: ``LiveError/malformedStream(source:reason:)`` when bytes of a partial frame remain.
    public func finish(source: String = "stream") throws {
        guard pending.isEmpty else {
            throw LiveError.malformedStream(
                source: source,
                reason:
                    "it ended with \(pending.count) stray byte\(pending.count == 1 ? "" : "s") after \(framesDecoded) frames; "
                    + "\(format) with \(channels) channel\(channels == 1 ? "" : "s") needs \(frameBytes) bytes per frame"
            )
        }
    }

    /// Converts little-endian samples to floats; returns the first sample that is not finite or is beyond
    /// `AudioLoader.maximumSampleMagnitude`, if any.
    static func convert(_ bytes: UnsafeRawBufferPointer, format: PCMFormat, into out: inout [Float]) -> (
        index: Int, value: Float
    )? {
        switch format {
        case .s16le:
            let n = bytes.count / 2
            for i in 0..<n {
                let v = Int16(bitPattern: UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8)
                out[i] = Float(v) * (1 / 32768)
            }
            return nil
        case .f32le:
            let n = bytes.count / 4
            for i in 0..<n {
                let bits =
                    UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16
                    | UInt32(bytes[4 * i + 3]) << 24
                let v = Float(bitPattern: bits)
                guard abs(v) <= AudioLoader.maximumSampleMagnitude else { return (i, v) }
                out[i] = v
            }
            return nil
        }
    }
}
