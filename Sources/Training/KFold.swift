import Foundation

/// The `k` speaker-grouped folds of a k-fold run: fold f validates on speaker group f (sorted speakers
/// dealt round-robin, see ``kFoldGroups(speakers:k:)``) and trains on the others; test items
/// (`testSpeakers`/`testIndices`) are set aside in every fold.
/// - Throws: ``SplitError`` when k < 2 or there are fewer speakers than folds.
public func kFoldSplits(
    speakers: [String?], k: Int, testSpeakers: Set<String> = [], testIndices: Set<Int> = []
) throws -> [SplitIndices] {
    guard k >= 2 else { throw SplitError("k-fold needs k ≥ 2, got \(k)") }
    return try (0..<k).map {
        try makeSplit(
            speakers: speakers, kind: .kFoldSpeakers(k: k, fold: $0), testSpeakers: testSpeakers,
            testIndices: testIndices)
    }
}

/// Mean and sample standard deviation of one metric over folds.
public struct MeanStd: Codable, Equatable, Sendable, CustomStringConvertible {
    public var mean: Double
    /// Sample standard deviation (n − 1); 0 for a single value.
    public var std: Double
    public var count: Int

    public init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        let m = mean
        std =
            values.count < 2
            ? 0 : (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }

    public var description: String { String(format: "%.4f ± %.4f", mean, std) }
}

/// The k-fold result: each fold's metrics and their mean ± std.
public struct FoldSummary: Codable, Equatable, Sendable {
    public var folds: [ClassificationMetrics]
    public var loss: MeanStd
    public var accuracy: MeanStd
    public var unweightedAverageRecall: MeanStd
    public var macroF1: MeanStd
    /// The folds' confusion matrices summed (every item is validated exactly once).
    public var pooledConfusion: ConfusionMatrix?

    public init(folds: [ClassificationMetrics]) {
        self.folds = folds
        loss = MeanStd(folds.map(\.loss))
        accuracy = MeanStd(folds.map(\.accuracy))
        unweightedAverageRecall = MeanStd(folds.map(\.unweightedAverageRecall))
        macroF1 = MeanStd(folds.map(\.macroF1))
        if var pooled = folds.first?.confusion {
            for f in folds.dropFirst() where f.confusion.classNames == pooled.classNames {
                for t in 0..<pooled.classCount {
                    for p in 0..<pooled.classCount { pooled.counts[t][p] += f.confusion.counts[t][p] }
                }
            }
            pooledConfusion = pooled
        }
    }
}
