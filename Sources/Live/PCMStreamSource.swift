import Foundation
import Stopping

/// Raw interleaved PCM read from a file descriptor (standard input by default), averaged to mono.
///
/// Reads wait in `poll(2)` with a 100 ms timeout so that ``stop()`` takes effect even when no data comes.
/// End of file (the writer closed the pipe) ends the stream; a partial frame at that point is an error.
/// The descriptor is not closed by ``close()`` unless `closeOnEnd` was given.
public final class PCMStreamSource: AudioSource {
    public let sampleRate: Int
    public let name: String
    public let fileDescriptor: Int32
    private var decoder: PCMDecoder
    private var bytes: [UInt8]
    private var decoded: [Float] = []
    private var decodedStart = 0
    private var ended = false
    private let stopFlag = StopFlag()
    private let closeOnEnd: Bool

    /// - Parameters:
    ///   - fileDescriptor: where the bytes come from (`STDIN_FILENO`, a pipe, a file).
    ///   - format/sampleRate/channels: what the bytes hold; rate in Hz (1 000 … 768 000), channels 1 … 64.
    ///   - name: for messages (default "stdin" for descriptor 0, "fd N" otherwise).
    public init(
        fileDescriptor: Int32 = STDIN_FILENO, format: PCMFormat, sampleRate: Int, channels: Int = 1,
        name: String? = nil, closeOnEnd: Bool = false, chunkBytes: Int = 16384
    ) throws {
        guard (1000...768_000).contains(sampleRate) else {
            throw LiveError.invalidConfiguration("--rate must be between 1000 and 768000 Hz, got \(sampleRate)")
        }
        guard (1...64).contains(channels) else {
            throw LiveError.invalidConfiguration("--channels must be between 1 and 64, got \(channels)")
        }
        self.fileDescriptor = fileDescriptor
        self.sampleRate = sampleRate
        self.decoder = PCMDecoder(format: format, channels: channels)
        self.bytes = [UInt8](repeating: 0, count: max(chunkBytes, decoder.frameBytes))
        self.closeOnEnd = closeOnEnd
        let base = name ?? (fileDescriptor == STDIN_FILENO ? "stdin" : "fd \(fileDescriptor)")
        self.name = "\(base) (\(format), \(sampleRate) Hz, \(channels) channel\(channels == 1 ? "" : "s"))"
    }

    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while decodedStart == decoded.count {
            decoded.removeAll(keepingCapacity: true)
            decodedStart = 0
            if ended || stopFlag.isRequested { return 0 }
            try fill()
        }
        let n = min(buffer.count, decoded.count - decodedStart)
        decoded.withUnsafeBufferPointer { src in
            buffer.baseAddress!.update(from: src.baseAddress! + decodedStart, count: n)
        }
        decodedStart += n
        return n
    }

    /// One poll + read; decodes what arrived into `decoded`, or marks the end.
    private func fill() throws {
        var pfd = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, 100)
        if ready < 0 {
            if errno == EINTR { return }
            throw LiveError.readFailed(source: name, reason: "poll: \(errnoText())")
        }
        if ready == 0 { return }  // timeout: check the stop flag again
        if pfd.revents & Int16(POLLNVAL) != 0 {
            throw LiveError.readFailed(source: name, reason: "the descriptor is not open")
        }
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return }
            throw LiveError.readFailed(source: name, reason: errnoText())
        }
        if count == 0 {
            ended = true
            try decoder.finish(source: name)
            return
        }
        try bytes.withUnsafeBytes {
            _ = try decoder.decode(UnsafeRawBufferPointer(rebasing: $0[0..<count]), appendingTo: &decoded, source: name)
        }
    }

    /// Samples decoded from bytes already read from the descriptor and not returned yet (bytes still in the
    /// pipe are not counted).
    public var bufferedSamples: Int { decoded.count - decodedStart }

    public func stop() { stopFlag.request() }

    public func close() {
        if closeOnEnd { Glibc.close(fileDescriptor) }
    }
}
