/// One-line charts for the terminal: `▁▂▃▄▅▆▇█`.
public enum Sparkline {
    public static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One block per value (after averaging down to at most `maxWidth` columns), scaled from the minimum
    /// (`▁`) to the maximum (`█`) of the finite values; non-finite values show as a space; a constant series
    /// is drawn at mid-height (`▄`). With `range`, values are scaled to it instead (clamped), so several
    /// sparklines drawn with one range can be compared by height. O(n).
    public static func render(_ values: [Double], maxWidth: Int = 60, range: ClosedRange<Double>? = nil) -> String {
        let shown = resample(values, to: maxWidth)
        let finite = shown.filter(\.isFinite)
        guard let lo = range?.lowerBound ?? finite.min(), let hi = range?.upperBound ?? finite.max(), !finite.isEmpty
        else { return String(repeating: " ", count: shown.count) }
        return String(
            shown.map { v -> Character in
                guard v.isFinite else { return " " }
                if hi == lo { return levels[3] }
                let i = Int(((v - lo) / (hi - lo) * Double(levels.count - 1)).rounded())
                return levels[min(max(i, 0), levels.count - 1)]
            })
    }

    /// A labelled sparkline: `valid loss  1.93 ▇▅▃▂▁▁ 0.41  (min 0.41 @5, max 1.93 @1)`, i.e. first and
    /// last values either side and the range with 1-based positions. `format` writes the numbers.
    public static func labelled(
        _ name: String, _ values: [Double], maxWidth: Int = 40, format: (Double) -> String = { compactNumber($0) }
    ) -> String {
        let finite = values.enumerated().filter { $0.element.isFinite }
        guard let first = finite.first, let last = finite.last,
            let minimum = finite.min(by: { $0.element < $1.element }),
            let maximum = finite.max(by: { $0.element < $1.element })
        else { return "\(name)  (no values)" }
        return "\(name)  \(format(first.element)) \(render(values, maxWidth: maxWidth)) \(format(last.element))"
            + "  (min \(format(minimum.element)) @\(minimum.offset + 1), max \(format(maximum.element)) @\(maximum.offset + 1))"
    }

    /// Averages consecutive values into `width` buckets when there are more values than columns
    /// (non-finite values are ignored within a bucket). O(n).
    public static func resample(_ values: [Double], to width: Int) -> [Double] {
        guard width > 0, values.count > width else { return values }
        return (0..<width).map { b in
            let lo = b * values.count / width
            let hi = max(lo + 1, (b + 1) * values.count / width)
            let bucket = values[lo..<hi].filter(\.isFinite)
            return bucket.isEmpty ? .nan : bucket.reduce(0, +) / Double(bucket.count)
        }
    }
}
