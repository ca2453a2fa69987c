import Foundation

/// Where live samples come from: a capture device, raw PCM on a file descriptor, or a replayed file.
///
/// Samples are mono `Float` in [-1, 1] at ``sampleRate``. ``read(into:)`` is called from one thread
/// (the driver's); ``stop()`` may be called from any thread (e.g. a SIGINT handler).
public protocol AudioSource: AnyObject {
    /// Samples per second of what ``read(into:)`` returns.
    var sampleRate: Int { get }
    /// A short description for messages, e.g. "stdin (s16le, 16000 Hz, 1 channel)".
    var name: String { get }
    /// Blocks until at least one sample is available, then copies up to `buffer.count` samples
    /// into `buffer` and returns how many. Returns 0 at the end of the stream, or soon after ``stop()``.
    /// - Throws: ``LiveError`` for a malformed stream, a read error or a failed device.
    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> Int
    /// Samples that have already arrived but that ``read(into:)`` has not returned yet (0 when unknown).
    /// The driver uses it to date a window's last sample: with a backlog of `b` samples after the read that
    /// completed a window, that sample arrived about `b / sampleRate` seconds before the read returned.
    var bufferedSamples: Int { get }
    /// Ends the stream: a blocked or later ``read(into:)`` returns 0 within about 100 ms. Thread-safe.
    func stop()
    /// Releases the device or descriptor. Called once by the reader when it is done.
    func close()
}

extension AudioSource {
    public var bufferedSamples: Int { 0 }

    /// Reads into `array[range]` (see ``read(into:)``).
    public func read(into array: inout [Float], range: Range<Int>? = nil) throws -> Int {
        let range = range ?? array.indices
        return try array.withUnsafeMutableBufferPointer {
            try read(into: UnsafeMutableBufferPointer(rebasing: $0[range]))
        }
    }

    /// Reads to the end of the stream (tests and small files). O(samples).
    public func readAll(chunk: Int = 4096) throws -> [Float] {
        var all: [Float] = []
        var buffer = [Float](repeating: 0, count: chunk)
        while true {
            let n = try read(into: &buffer)
            if n == 0 { return all }
            all.append(contentsOf: buffer[0..<n])
        }
    }
}

/// Averages interleaved frames to mono: `out[i] = mean(frames[i·c ..< (i+1)·c])`. O(samples).
func downmixToMono(_ interleaved: UnsafeBufferPointer<Float>, channels: Int, into out: UnsafeMutablePointer<Float>) {
    if channels == 1 {
        out.update(from: interleaved.baseAddress!, count: interleaved.count)
        return
    }
    let frames = interleaved.count / channels
    let scale = 1 / Float(channels)
    for i in 0..<frames {
        var sum: Float = 0
        for c in 0..<channels { sum += interleaved[i * channels + c] }
        out[i] = sum * scale
    }
}
