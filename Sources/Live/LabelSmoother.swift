/// How predictions are smoothed across hops.
public enum SmoothingMethod: Equatable, Sendable, CustomStringConvertible {
    /// No smoothing: the smoothed label is the window's own.
    case none
    /// Exponential moving average of probability vectors: `s ← α·p + (1 − α)·s` (the first window sets `s = p`).
    case ema(alpha: Float)
    /// The most frequent label among the last `k` classified windows (ties go to the most recent of the tied labels).
    case majority(k: Int)

    /// Parses "none", "ema:0.5" or "majority:5".
    public init(parsing text: String) throws {
        let invalid = LiveError.invalidConfiguration(
            "--smoothing must be none, ema:ALPHA with 0 < ALPHA ≤ 1, or majority:K with 1 ≤ K ≤ 1000; got '\(text)'")
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        if parts == ["none"] || parts == ["off"] {
            self = .none
        } else if parts.count == 2, parts[0] == "ema", let alpha = Float(parts[1]), alpha > 0, alpha <= 1 {
            self = .ema(alpha: alpha)
        } else if parts.count == 2, parts[0] == "majority", let k = Int(parts[1]), k >= 1, k <= 1000 {
            self = .majority(k: k)
        } else {
            throw invalid
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .ema(let alpha): return "ema:\(alpha)"
        case .majority(let k): return "majority:\(k)"
        }
    }
}

/// Smooths per-window probability vectors into a steadier label. Silent windows are not fed to it.
///
/// Memory O(classes) for EMA, O(k) for majority; each update is O(classes + k).
public struct LabelSmoother {
    public let method: SmoothingMethod
    public let classCount: Int
    private var average: [Float] = []
    private var recent: [(label: Int, probability: Float)] = []

    public init(method: SmoothingMethod, classCount: Int) {
        precondition(classCount > 0)
        self.method = method
        self.classCount = classCount
    }

    /// Adds one window's probabilities (`classCount` values) and returns the smoothed label index and its
    /// smoothed probability (EMA: the averaged probability; majority: the mean probability of the winner
    /// over the windows that voted for it; none: the window's own).
    public mutating func update(_ probabilities: [Float]) -> (label: Int, probability: Float) {
        precondition(probabilities.count == classCount, "expected \(classCount) probabilities")
        switch method {
        case .none:
            let i = argmax(probabilities)
            return (i, probabilities[i])
        case .ema(let alpha):
            if average.isEmpty {
                average = probabilities
            } else {
                for c in 0..<classCount { average[c] = alpha * probabilities[c] + (1 - alpha) * average[c] }
            }
            let i = argmax(average)
            return (i, average[i])
        case .majority(let k):
            let i = argmax(probabilities)
            recent.append((i, probabilities[i]))
            if recent.count > k { recent.removeFirst(recent.count - k) }
            var votes = [Int](repeating: 0, count: classCount)
            var sums = [Float](repeating: 0, count: classCount)
            var last = [Int](repeating: -1, count: classCount)
            for (position, vote) in recent.enumerated() {
                votes[vote.label] += 1
                sums[vote.label] += vote.probability
                last[vote.label] = position
            }
            var best = 0
            for c in 1..<classCount where votes[c] > votes[best] || (votes[c] == votes[best] && last[c] > last[best]) {
                best = c
            }
            return (best, sums[best] / Float(votes[best]))
        }
    }

    /// Forgets the history.
    public mutating func reset() {
        average = []
        recent = []
    }
}

/// Index of the largest value (the first on ties). O(n).
public func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
