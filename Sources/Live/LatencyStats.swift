/// Summary statistics of per-window latencies, in seconds.
public struct LatencyStats: Equatable, Sendable, Codable {
    public var count: Int
    public var mean: Double
    public var median: Double
    /// 95th percentile (nearest rank).
    public var p95: Double
    public var max: Double

    /// Statistics of `samples` (all zero when empty). O(n log n).
    public init(_ samples: [Double]) {
        count = samples.count
        guard !samples.isEmpty else {
            mean = 0
            median = 0
            p95 = 0
            max = 0
            return
        }
        let sorted = samples.sorted()
        mean = samples.reduce(0, +) / Double(samples.count)
        median = Self.rank(sorted, 0.5)
        p95 = Self.rank(sorted, 0.95)
        max = sorted[sorted.count - 1]
    }

    /// Nearest-rank percentile: the smallest value with at least `q·n` values ≤ it.
    static func rank(_ sorted: [Double], _ q: Double) -> Double {
        let index = Swift.max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)
        return sorted[Swift.min(index, sorted.count - 1)]
    }
}
