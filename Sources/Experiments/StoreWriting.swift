import Foundation
import RunStore

// This file imports RunStore but not Training: both modules define `LRFinderPoint` and `LRSuggestion`,
// so the runner builds store records here from plain values.

/// One LR-finder step, as the store records it.
struct FinderStep {
    var iteration: Int
    var lr: Double
    var loss: Double
    var smoothedLoss: Double
}

/// One class's metrics on a split.
struct ClassRow {
    var label: String
    var precision: Double
    var recall: Double
    var f1: Double
    var support: Int
}

/// One evaluated file.
struct PredictionRow {
    var path: String
    var label: String
    var predicted: String
    var confidence: Double
    var probabilities: [Double]
}

extension RunStore {
    /// Records the finder's curve and suggestions; `chosen` marks the suggestion trained with.
    func recordFinder(runID: Int64, steps: [FinderStep], suggestions: [(method: String, lr: Double)], chosen: String?)
        throws
    {
        try recordLRFinder(
            runID: runID,
            points: steps.map {
                LRFinderPointRecord(
                    runId: runID, iteration: $0.iteration, lr: $0.lr, loss: $0.loss, smoothedLoss: $0.smoothedLoss)
            },
            suggestions: suggestions.map {
                LRSuggestionRecord(runId: runID, method: $0.method, lr: $0.lr, chosen: $0.method == chosen)
            })
    }

    /// Records one split's evaluation with its per-class metrics and per-file predictions.
    /// - Throws: ``RunnerError/nonFiniteMetric(run:field:value:)`` before writing anything when a metric,
    ///   a confidence or a probability is NaN or infinite (a NaN loss is recorded as no loss, as before).
    func recordSplitEvaluation(
        runID: Int64, split: String, loss: Double, accuracy: Double, uar: Double, f1: Double, labels: [String],
        confusion: [[Int]], classes: [ClassRow], predictions: [PredictionRow]
    ) throws {
        func check(_ field: String, _ value: Double) throws {
            guard value.isFinite else { throw RunnerError.nonFiniteMetric(run: runID, field: field, value: value) }
        }
        try check("\(split) evaluation accuracy", accuracy)
        try check("\(split) evaluation balanced_accuracy", uar)
        try check("\(split) evaluation f1_macro", f1)
        for c in classes {
            try check("\(split) class \(c.label) precision", c.precision)
            try check("\(split) class \(c.label) recall", c.recall)
            try check("\(split) class \(c.label) f1", c.f1)
        }
        for p in predictions {
            try check("\(split) prediction \(p.path) confidence", p.confidence)
            if let bad = p.probabilities.first(where: { !$0.isFinite }) {
                try check("\(split) prediction \(p.path) probabilities", bad)
            }
        }
        try recordEvaluation(
            EvaluationRecord(
                runId: runID, split: split, loss: loss.isFinite ? loss : nil, accuracy: accuracy,
                balancedAccuracy: uar, f1Macro: f1, labels: labels, confusion: confusion),
            classMetrics: classes.map {
                ClassMetricRecord(
                    runId: runID, split: split, label: $0.label, precision: $0.precision, recall: $0.recall, f1: $0.f1,
                    support: $0.support)
            },
            predictions: predictions.map {
                PredictionRecord(
                    runId: runID, split: split, path: $0.path, label: $0.label, predicted: $0.predicted,
                    confidence: $0.confidence, probabilities: $0.probabilities)
            })
    }
}

extension EpochMetricRecord {
    /// Throws ``RunnerError/nonFiniteMetric(run:field:value:)`` naming the first metric that is NaN or infinite.
    func checkFinite() throws {
        let fields: [(String, Double?)] = [
            ("train_loss", trainLoss), ("valid_loss", validLoss), ("accuracy", accuracy),
            ("balanced_accuracy", balancedAccuracy), ("f1_macro", f1Macro), ("lr", lr), ("seconds", seconds),
        ]
        for case let (name, value?) in fields where !value.isFinite {
            throw RunnerError.nonFiniteMetric(run: runId, field: "epoch \(epoch) \(name)", value: value)
        }
    }
}
