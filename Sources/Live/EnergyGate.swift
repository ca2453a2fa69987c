import Foundation

/// Skips silent windows: a window whose RMS level is below ``thresholdDBFS`` is reported as silence
/// and not classified.
///
/// Levels are dBFS relative to a full-scale square wave: `20·log10(rms)`, so a full-scale sine is −3 dBFS
/// and digital silence is floored at ``floorDBFS``.
public struct EnergyGate: Equatable, Sendable {
    /// The lowest level reported (instead of −∞ for all-zero windows).
    public static let floorDBFS: Float = -200

    /// Windows below this level are silence; nil disables the gate.
    public var thresholdDBFS: Float?

    public init(thresholdDBFS: Float?) { self.thresholdDBFS = thresholdDBFS }

    /// Parses "-50" (dBFS) or "off".
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" || t == "none" {
            self.init(thresholdDBFS: nil)
            return
        }
        let number = t.hasSuffix("dbfs") ? String(t.dropLast(4)) : t.hasSuffix("db") ? String(t.dropLast(2)) : t
        guard let value = Float(number), value.isFinite, value <= 0 else {
            throw LiveError.invalidConfiguration(
                "--gate must be a level in dBFS ≤ 0 such as -50, or 'off'; got '\(text)'")
        }
        self.init(thresholdDBFS: value)
    }

    /// Root-mean-square level of `samples` in dBFS (``floorDBFS`` for silence or no samples). O(n).
    public static func levelDBFS(_ samples: UnsafeBufferPointer<Float>) -> Float {
        guard !samples.isEmpty else { return floorDBFS }
        var sum: Double = 0
        for x in samples { sum += Double(x) * Double(x) }
        let rms = (sum / Double(samples.count)).squareRoot()
        guard rms > 0 else { return floorDBFS }
        return max(floorDBFS, Float(20 * log10(rms)))
    }

    public static func levelDBFS(_ samples: [Float]) -> Float {
        samples.withUnsafeBufferPointer { levelDBFS($0) }
    }

    /// Whether a window at `levelDBFS` is silence (strictly below the threshold).
    public func isSilent(levelDBFS: Float) -> Bool {
        guard let thresholdDBFS else { return false }
        return levelDBFS < thresholdDBFS
    }
}
