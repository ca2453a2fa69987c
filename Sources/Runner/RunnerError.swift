import Foundation
import RunStore

/// Why the runner could not start or finish a run; each case names the key, file or run and what was
/// expected. A run that fails records `description` as its error in the store.
public enum RunnerError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The data left no item to train on, or a class has no examples.
    case data(String)
    /// The LR finder did not produce the suggestion `train.lr` names.
    case noSuggestion(method: String, points: Int)
    /// None of a test set's labels is among the training classes.
    case testLabels(path: String, unknown: [String], known: [String])
    /// `ser resume` on a run that cannot be resumed.
    case notResumable(run: Int64, reason: String)
    /// The run was stopped by a signal (Ctrl-C) or a stop request; its finished epochs are kept.
    case interrupted(run: Int64, reason: String)
    /// A metric about to be recorded is NaN or infinite (`field` names it: `epoch 3 accuracy`,
    /// `valid evaluation f1_macro`, `valid prediction clip.wav probabilities`, …); nothing of it is stored.
    case nonFiniteMetric(run: Int64, field: String, value: Double)
    /// Another worker took the run over (this one's heartbeat was older than its `--stale-after`); this process
    /// stops training it and records nothing more about it.
    case takenOver(run: Int64, by: String)

    public var description: String {
        switch self {
        case .data(let message): return message
        case .noSuggestion(let method, let points):
            return
                "the LR finder gave no '\(method)' suggestion (its curve has \(points) points; try a larger lr_finder.num_it, or set train.lr to a number)"
        case .testLabels(let path, let unknown, let known):
            return
                "test set \(path) shares no class with the model: its labels \(unknown.joined(separator: ", ")) are not among \(known.joined(separator: ", ")) (map them with test.label_map)"
        case .notResumable(let run, let reason): return "run \(run) cannot be resumed: \(reason)"
        case .interrupted(let run, let reason): return "run \(run) \(reason)"
        case .takenOver(let run, let holder):
            return
                "run \(run) was taken over by \(holder) (this process's heartbeat looked stale to it); stopped here "
                + "without recording more (use a longer --stale-after if the worker was alive)"
        case .nonFiniteMetric(let run, let field, let value):
            return
                "run \(run): \(field) is \(value); expected a finite number (the features or the model produced NaN or infinity)"
        }
    }

    public var errorDescription: String? { description }

    /// Whether this is ``takenOver(run:by:)``.
    var isTakeover: Bool {
        if case .takenOver = self { return true }
        return false
    }
}

extension RunStore {
    /// Records one split's evaluation with its per-class metrics and per-file predictions.
    /// - Throws: ``RunnerError/nonFiniteMetric(run:field:value:)`` before writing anything when a metric,
    ///   a confidence or a probability is NaN or infinite (a NaN loss is recorded as no loss by the caller).
    func recordCheckedEvaluation(
        _ evaluation: EvaluationRecord, classMetrics: [ClassMetricRecord], predictions: [PredictionRecord]
    ) throws {
        let split = evaluation.split
        func check(_ field: String, _ value: Double) throws {
            guard value.isFinite else {
                throw RunnerError.nonFiniteMetric(run: evaluation.runId, field: field, value: value)
            }
        }
        try check("\(split) evaluation accuracy", evaluation.accuracy)
        try check("\(split) evaluation balanced_accuracy", evaluation.balancedAccuracy)
        try check("\(split) evaluation f1_macro", evaluation.f1Macro)
        for c in classMetrics {
            try check("\(split) class \(c.label) precision", c.precision)
            try check("\(split) class \(c.label) recall", c.recall)
            try check("\(split) class \(c.label) f1", c.f1)
        }
        for p in predictions {
            try check("\(split) prediction \(p.path) confidence", p.confidence)
            if let bad = p.probabilities?.first(where: { !$0.isFinite }) {
                try check("\(split) prediction \(p.path) probabilities", bad)
            }
        }
        try recordEvaluation(evaluation, classMetrics: classMetrics, predictions: predictions)
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
