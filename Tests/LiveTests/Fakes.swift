import Foundation
import Live
import XCTest

/// A classifier whose answer is a known function of the window: class 0 gets weight from the mean,
/// class 1 from the first sample, class 2 from the last; softmax. Records every window it sees.
final class FakeClassifier: WindowClassifier {
    let sampleRate: Int
    let classNames = ["calm", "happy", "angry"]
    private(set) var windows: [[Float]] = []

    init(sampleRate: Int) { self.sampleRate = sampleRate }

    static func probabilities(_ samples: [Float]) -> [Float] {
        let mean = samples.reduce(0, +) / Float(max(1, samples.count))
        let logits = [10 * mean, 3 * (samples.first ?? 0), 3 * (samples.last ?? 0)]
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func classify(_ samples: [Float]) throws -> [Float] {
        windows.append(samples)
        return Self.probabilities(samples)
    }
}

/// A clock that advances only when asked to sleep (so replay pacing is checked without waiting).
final class FakeClock: LiveClock {
    private(set) var time: Double = 100
    private(set) var sleeps: [Double] = []
    func now() -> Double { time }
    func sleep(_ seconds: Double) {
        sleeps.append(seconds)
        time += max(0, seconds)
    }
}

/// A deterministic test signal: a slow ramp plus a sine, in [-0.9, 0.9].
func testSignal(_ n: Int, rate: Int = 16000) -> [Float] {
    (0..<n).map { i in
        let t = Float(i) / Float(rate)
        return 0.5 * sin(2 * .pi * 220 * t) + 0.4 * (Float(i % 4000) / 4000 - 0.5)
    }
}

/// Little-endian bytes of `samples` as s16le (rounded, clipped) or f32le.
func pcmBytes(_ samples: [Float], format: PCMFormat) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(samples.count * format.bytesPerSample)
    for s in samples {
        switch format {
        case .s16le:
            let v = Int16(max(-32768, min(32767, (s * 32768).rounded())))
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        case .f32le:
            withUnsafeBytes(of: s.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
    }
    return out
}

/// What s16le encoding does to `samples` (the exact values a decoder must return).
func s16Quantised(_ samples: [Float]) -> [Float] {
    samples.map { Float(Int16(max(-32768, min(32767, ($0 * 32768).rounded())))) / 32768 }
}

/// Writes `bytes` to a new pipe from a background thread (in `chunk`-byte writes), then closes the write end.
/// Returns the read end's descriptor holder (keep it alive while reading).
func pipeFeeding(_ bytes: [UInt8], chunk: Int = 1000) -> Pipe {
    let pipe = Pipe()
    let writer = pipe.fileHandleForWriting
    Thread.detachNewThread {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            guard (try? writer.write(contentsOf: Data(bytes[offset..<end]))) != nil else { break }
            offset = end
        }
        try? writer.close()
    }
    return pipe
}

/// Asserts two sample arrays are identical, reporting only the length or the first differing index.
func assertSameSamples(
    _ actual: [Float], _ expected: [Float], _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        return XCTFail("\(actual.count) samples, expected \(expected.count). \(message)", file: file, line: line)
    }
    if let i = actual.indices.first(where: { actual[$0] != expected[$0] }) {
        XCTFail("sample \(i): \(actual[i]) vs expected \(expected[i]). \(message)", file: file, line: line)
    }
}
