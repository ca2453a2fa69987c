import Features

/// How each example is standardised after crop/pad and dB augmentation, before SpecAugment masks.
public enum Normalization: Codable, Equatable, Sendable {
    /// Values are used as they are.
    case none
    /// Zero mean, unit variance over the whole example (Features' `.utterance`).
    case utterance
    /// Zero mean, unit variance per row of the example (Features' `.perBand`).
    case perBand
    /// Fixed statistics computed once on the training split (see ``DatasetStatistics/compute(_:indices:perBand:)``).
    case dataset(DatasetStatistics)
}

extension Normalization {
    /// The per-example standardisation named by the feature parameters' `standardise`.
    public init(_ standardisation: Standardisation) {
        switch standardisation {
        case .none: self = .none
        case .utterance: self = .utterance
        case .perBand: self = .perBand
        }
    }
}

/// Mean and standard deviation of the training items' features: one pair for every value, or one
/// per row (mel band).
public struct DatasetStatistics: Codable, Equatable, Sendable {
    /// One value (global) or one per row.
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty, "mean and std must be non-empty and of equal length")
        self.mean = mean
        self.std = std
    }

    /// Statistics over every frame of the items at `indices` (the training split only, so nothing of
    /// validation or test leaks into the model), in double precision.
    /// - Complexity: O(Σ rows·frames) over the items.
    public static func compute(_ data: FeatureDataset, indices: [Int], perBand: Bool = false) throws
        -> DatasetStatistics
    {
        let rows = data.rows
        let groups = perBand ? rows : 1
        var sum = [Double](repeating: 0, count: groups), squares = sum, count = sum
        for i in indices {
            try data.withMatrix(i) { v, frames in
                for r in 0..<rows {
                    let g = perBand ? r : 0
                    var s = 0.0, q = 0.0
                    for t in 0..<frames {
                        let x = Double(v[r * frames + t])
                        s += x
                        q += x * x
                    }
                    sum[g] += s
                    squares[g] += q
                    count[g] += Double(frames)
                }
            }
        }
        var mean = [Float](), std = [Float]()
        for g in 0..<groups {
            let n = max(count[g], 1)
            let mu = sum[g] / n
            let variance = max(squares[g] / n - mu * mu, 0)
            mean.append(Float(mu))
            std.append(Float(variance.squareRoot()))
        }
        return DatasetStatistics(mean: mean, std: std)
    }
}

extension Normalization {
    /// Standardises a `rows × frames` example in place. O(rows·frames).
    public func apply(_ x: UnsafeMutableBufferPointer<Float>, rows: Int, frames: Int) {
        switch self {
        case .none: return
        case .utterance: Self.standardise(x, 0, rows * frames)
        case .perBand: for r in 0..<rows { Self.standardise(x, r * frames, frames) }
        case .dataset(let s):
            for r in 0..<rows {
                let g = s.mean.count == 1 ? 0 : r
                let mu = s.mean[g], scale: Float = s.std[g] < 1e-8 ? 1 : 1 / s.std[g]
                for t in 0..<frames { x[r * frames + t] = (x[r * frames + t] - mu) * scale }
            }
        }
    }

    /// Same arithmetic as `FeatureMatrix.standardised` (double-precision statistics, std < 1e-8 only centres).
    private static func standardise(_ v: UnsafeMutableBufferPointer<Float>, _ start: Int, _ count: Int) {
        guard count > 0 else { return }
        var sum = 0.0
        for i in start..<(start + count) { sum += Double(v[i]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for i in start..<(start + count) { squares += (Double(v[i]) - mean) * (Double(v[i]) - mean) }
        let std = (squares / Double(count)).squareRoot()
        let scale = std < 1e-8 ? 1 : 1 / std
        for i in start..<(start + count) { v[i] = Float((Double(v[i]) - mean) * scale) }
    }
}
