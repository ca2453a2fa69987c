import Foundation
import NeuralNet

/// One finished epoch: the row of the live table, plus everything the run store records.
public struct EpochRecord: Codable, Equatable, Sendable {
    /// 0-based, as fastai prints it.
    public var epoch: Int
    /// fastai's `train_loss`: the smoothed (β 0.98, bias-corrected) training loss at the end of the epoch.
    public var trainLoss: Double
    /// Plain mean of the epoch's batch losses.
    public var trainLossMean: Double
    /// Validation metrics (loss, accuracy, UAR, macro-F1, confusion matrix); nil when the split has no
    /// validation files (`split.kind: none`).
    public var valid: ClassificationMetrics?
    /// Learning rate of the epoch's last step.
    public var learningRate: Double
    /// Optimizer steps taken so far (after this epoch).
    public var step: Int
    /// Wall-clock seconds of the epoch (training + validation).
    public var seconds: Double

    public var validLoss: Double? { valid?.loss }
    public var accuracy: Double? { valid?.accuracy }
    public var unweightedAverageRecall: Double? { valid?.unweightedAverageRecall }
    public var macroF1: Double? { valid?.macroF1 }
}

/// One optimizer step.
public struct BatchRecord: Sendable {
    public var epoch: Int
    /// Batch within the epoch (0-based) and the epoch's batch count.
    public var batch: Int
    public var batchCount: Int
    /// Global step, 1-based after the update (equals the optimizer's step count).
    public var step: Int
    public var loss: Double
    public var smoothedLoss: Double
    public var learningRate: Double
}

/// The outcome of `fit`.
public struct FitSummary: Codable, Sendable {
    public var history: [EpochRecord]
    public var best: BestEpoch?
    /// True when a stop was requested before the planned epochs were done.
    public var stoppedEarly: Bool
    public var seconds: Double
}

/// The learning-rate policy of a fit, recorded in checkpoints so a resumed run follows the same schedule.
public enum LRPolicy: Codable, Equatable, Sendable {
    /// fastai `fit`: a constant learning rate.
    case constant(lr: Double)
    /// fastai `fit_one_cycle` (momentum cycled 0.95 → 0.85 → 0.95 unless `cycleMomentum` is false).
    case oneCycle(
        lrMax: Double, pctStart: Double = 0.25, div: Double = 25, divFinal: Double = 1e5, cycleMomentum: Bool = true)
    /// fastai `fit_flat_cos`.
    case flatCosine(lr: Double, pctStart: Double = 0.75, divFinal: Double = 1e5)

    /// The NeuralNet schedule implementing the policy.
    public var schedule: any Schedule {
        switch self {
        case .constant(let lr): return ConstantSchedule(learningRate: Float(lr))
        case .oneCycle(let lrMax, let pct, let div, let divFinal, let cycle):
            return OneCycleSchedule(
                maxLearningRate: Float(lrMax), pctStart: pct, div: div, divFinal: divFinal,
                momenta: cycle ? (0.95, 0.85, 0.95) : nil)
        case .flatCosine(let lr, let pct, let divFinal):
            return FlatCosineSchedule(learningRate: Float(lr), pctStart: pct, divFinal: divFinal)
        }
    }

    /// Peak learning rate.
    public var peakLearningRate: Double {
        switch self {
        case .constant(let lr), .flatCosine(let lr, _, _): return lr
        case .oneCycle(let lrMax, _, _, _, _): return lrMax
        }
    }
}

/// Epochs and learning-rate policy of a fit.
public struct FitPlan: Codable, Equatable, Sendable {
    public var epochs: Int
    public var policy: LRPolicy
    public init(epochs: Int, policy: LRPolicy) {
        self.epochs = epochs
        self.policy = policy
    }
}

/// The metric that picks the best epoch.
public enum BestEpochMetric: String, Codable, CaseIterable, Sendable {
    case validLoss = "valid_loss"
    case accuracy
    case uar
    case f1

    /// The metric's value in an epoch record (nil for an epoch without validation).
    public func value(_ r: EpochRecord) -> Double? {
        switch self {
        case .validLoss: return r.validLoss
        case .accuracy: return r.accuracy
        case .uar: return r.unweightedAverageRecall
        case .f1: return r.macroF1
        }
    }

    /// Whether `candidate` beats `incumbent` (strictly: the earliest of equal epochs is kept).
    public func isBetter(_ candidate: Double, than incumbent: Double) -> Bool {
        guard !candidate.isNaN else { return false }
        if incumbent.isNaN { return true }
        return self == .validLoss ? candidate < incumbent : candidate > incumbent
    }
}

/// The best epoch so far by a metric.
public struct BestEpoch: Codable, Equatable, Sendable {
    public var metric: BestEpochMetric
    public var epoch: Int
    public var value: Double
}
