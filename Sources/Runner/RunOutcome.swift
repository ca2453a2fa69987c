import Foundation
import RunStore

/// Validation (or test) metrics of a run's kept model.
public struct OutcomeMetrics: Codable, Equatable, Sendable {
    public var loss: Double?
    public var accuracy: Double
    /// Unweighted average recall (balanced accuracy).
    public var uar: Double
    public var f1Macro: Double

    enum CodingKeys: String, CodingKey {
        case loss, accuracy, uar
        case f1Macro = "f1_macro"
    }

    public init(loss: Double?, accuracy: Double, uar: Double, f1Macro: Double) {
        self.loss = loss
        self.accuracy = accuracy
        self.uar = uar
        self.f1Macro = f1Macro
    }
}

/// What became of one run: how it ended, its kept epoch and metrics, and where its weights are.
public struct RunOutcome: Codable, Equatable, Sendable {
    public var runID: Int64
    public var name: String
    public var sweep: String
    /// `finished`, `interrupted` or `failed` (`running` while it runs).
    public var status: RunStatus
    public var error: String?
    /// Epochs recorded.
    public var epochs: Int
    /// The kept (best) epoch, 1-based, and the metric that chose it.
    public var bestEpoch: Int?
    public var selectedBy: String?
    public var valid: OutcomeMetrics?
    public var test: OutcomeMetrics?
    /// The learning rate trained with (peak for one_cycle).
    public var learningRate: Double?
    /// The kept model (a `ModelBundle` file).
    public var weights: String?
    public var seconds: Double

    public init(
        runID: Int64, name: String, sweep: String, status: RunStatus, error: String? = nil, epochs: Int,
        bestEpoch: Int? = nil, selectedBy: String? = nil, valid: OutcomeMetrics? = nil, test: OutcomeMetrics? = nil,
        learningRate: Double? = nil, weights: String? = nil, seconds: Double
    ) {
        self.runID = runID
        self.name = name
        self.sweep = sweep
        self.status = status
        self.error = error
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        self.selectedBy = selectedBy
        self.valid = valid
        self.test = test
        self.learningRate = learningRate
        self.weights = weights
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case name, sweep, status, error, epochs, valid, test, weights, seconds
        case runID = "run_id"
        case bestEpoch = "best_epoch"
        case selectedBy = "selected_by"
        case learningRate = "learning_rate"
    }
}
