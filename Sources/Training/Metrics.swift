import Foundation

/// A confusion matrix: `counts[t][p]` is the number of items of true class `t` predicted as `p`
/// (rows true, columns predicted).
public struct ConfusionMatrix: Codable, Equatable, Sendable {
    public var classNames: [String]
    public var counts: [[Int]]

    public init(classNames: [String]) {
        self.classNames = classNames
        counts = Array(repeating: Array(repeating: 0, count: classNames.count), count: classNames.count)
    }

    /// Builds the matrix from parallel arrays of true and predicted class indices.
    /// - Complexity: O(n + c²).
    public init(classNames: [String], targets: [Int], predictions: [Int]) {
        precondition(targets.count == predictions.count, "targets and predictions differ in length")
        self.init(classNames: classNames)
        for (t, p) in zip(targets, predictions) { counts[t][p] += 1 }
    }

    public var classCount: Int { classNames.count }
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classCount).reduce(0) { $0 + counts[$1][$1] } }

    /// Items of class `c` (row sum).
    public func support(_ c: Int) -> Int { counts[c].reduce(0, +) }
    /// Items predicted as `c` (column sum).
    public func predicted(_ c: Int) -> Int { counts.reduce(0) { $0 + $1[c] } }

    /// Fraction of items classified correctly (0 when empty).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Recall of class `c`; nil when the class has no items.
    public func recall(_ c: Int) -> Double? {
        let n = support(c)
        return n == 0 ? nil : Double(counts[c][c]) / Double(n)
    }

    /// Precision of class `c`; 0 when nothing was predicted as `c` (sklearn's zero_division=0).
    public func precision(_ c: Int) -> Double {
        let n = predicted(c)
        return n == 0 ? 0 : Double(counts[c][c]) / Double(n)
    }

    /// F1 of class `c`; 0 when precision and recall are both 0.
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c) ?? 0
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// Unweighted average recall over the classes that have items: the usual SER metric,
    /// insensitive to class imbalance (equals balanced accuracy).
    public var unweightedAverageRecall: Double {
        let recalls = (0..<classCount).compactMap(recall)
        return recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Mean F1 over the classes that have items or predictions.
    public var macroF1: Double {
        let present = (0..<classCount).filter { support($0) > 0 || predicted($0) > 0 }
        return present.isEmpty ? 0 : present.map(f1).reduce(0, +) / Double(present.count)
    }

    /// Per-class precision, recall, F1 and support, in class order.
    public var perClass: [ClassMetrics] {
        (0..<classCount).map {
            ClassMetrics(
                className: classNames[$0], precision: precision($0), recall: recall($0) ?? 0, f1: f1($0),
                support: support($0))
        }
    }

    /// Off-diagonal cells with at least `minimum` items, most frequent first (fastai's `most_confused`).
    public func mostConfused(minimum: Int = 1) -> [ConfusedPair] {
        var pairs: [ConfusedPair] = []
        for t in 0..<classCount {
            for p in 0..<classCount where t != p && counts[t][p] >= minimum {
                pairs.append(ConfusedPair(actual: classNames[t], predicted: classNames[p], count: counts[t][p]))
            }
        }
        return pairs.sorted { ($0.count, $1.actual, $1.predicted) > ($1.count, $0.actual, $0.predicted) }
    }

    /// Rows normalised to sum to 1 (rows without items stay 0).
    public var rowNormalized: [[Double]] {
        counts.map { row in
            let n = row.reduce(0, +)
            return row.map { n == 0 ? 0 : Double($0) / Double(n) }
        }
    }
}

/// Precision, recall and F1 of one class.
public struct ClassMetrics: Codable, Equatable, Sendable {
    public var className: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// One off-diagonal cell of a confusion matrix.
public struct ConfusedPair: Codable, Equatable, Sendable {
    public var actual: String
    public var predicted: String
    public var count: Int
}

/// The summary metrics reported every epoch and for the test set.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var loss: Double
    public var accuracy: Double
    public var unweightedAverageRecall: Double
    public var macroF1: Double
    public var confusion: ConfusionMatrix

    public init(loss: Double, confusion: ConfusionMatrix) {
        self.loss = loss
        self.confusion = confusion
        accuracy = confusion.accuracy
        unweightedAverageRecall = confusion.unweightedAverageRecall
        macroF1 = confusion.macroF1
    }
}

/// One evaluated item with its loss, for fastai-style `top_losses`.
public struct ItemLoss: Codable, Equatable, Sendable {
    public var index: Int
    public var target: Int
    public var predicted: Int
    /// Probability the model gave to its predicted class.
    public var probability: Double
    /// Cross-entropy of the true class, −log p(target).
    public var loss: Double
}

/// Items ordered by decreasing loss (ties by index), at most `k`.
/// - Parameters:
///   - probabilities: one row of class probabilities per item.
///   - targets: true class index per item.
public func topLosses(probabilities: [[Double]], targets: [Int], k: Int) -> [ItemLoss] {
    precondition(probabilities.count == targets.count, "probabilities and targets differ in length")
    let items = probabilities.indices.map { i -> ItemLoss in
        let row = probabilities[i]
        let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
        return ItemLoss(
            index: i, target: targets[i], predicted: predicted, probability: row[predicted],
            loss: -log(max(row[targets[i]], 1e-12)))
    }
    return Array(items.sorted { ($0.loss, $1.index) > ($1.loss, $0.index) }.prefix(k))
}
