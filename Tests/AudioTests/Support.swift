import Foundation
import XCTest

/// Reference files produced by `Fixtures/make_fixtures.py` with librosa 0.11 / python-soxr, read by path.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A raw little-endian float32 file.
    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }

    static func json(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }
}

/// `amplitude · sin(2π f i / rate)` for `count` samples, computed in Double.
func sine(frequency: Double, rate: Int, count: Int, amplitude: Double = 0.5, phase: Double = 0) -> [Float] {
    (0..<count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(rate) + phase)) }
}

/// Least-squares amplitude of the component at `frequency` in `x` (`rate` Hz).
func amplitude(of x: ArraySlice<Float>, frequency: Double, rate: Int) -> Double {
    var c = 0.0
    var s = 0.0
    let w = 2 * Double.pi * frequency / Double(rate)
    for (k, v) in x.enumerated() {
        c += Double(v) * cos(w * Double(k))
        s += Double(v) * sin(w * Double(k))
    }
    return 2 * (c * c + s * s).squareRoot() / Double(x.count)
}

/// The frequency with the largest DFT magnitude, searched in `range` Hz at `step` Hz.
func peakFrequency(of x: ArraySlice<Float>, rate: Int, in range: ClosedRange<Double>, step: Double) -> Double {
    var best = (frequency: range.lowerBound, magnitude: -1.0)
    var f = range.lowerBound
    while f <= range.upperBound {
        let m = amplitude(of: x, frequency: f, rate: rate)
        if m > best.magnitude { best = (f, m) }
        f += step
    }
    return best.frequency
}

/// Zero crossings (sign changes) per second.
func zeroCrossingRate(_ x: ArraySlice<Float>, rate: Int) -> Double {
    var crossings = 0
    var previous = x.first ?? 0
    for v in x.dropFirst() {
        if (previous < 0) != (v < 0) { crossings += 1 }
        previous = v
    }
    return Double(crossings) * Double(rate) / Double(x.count)
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
