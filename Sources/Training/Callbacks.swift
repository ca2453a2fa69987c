import Foundation
import NeuralNet

/// The points of a fit where the learner calls its callbacks, in the order they happen (fastai's event
/// names). One fit is
///
/// ```
/// beforeFit
///   for each epoch:  beforeEpoch
///                    beforeTrain  (beforeBatch afterBatch)×batches  afterTrain
///                    beforeValidate afterValidate          (skipped when the fit does not validate)
///                    afterEpoch   [afterCheckpoint]        (when a checkpoint was written)
/// [afterCancelFit]                                        (a callback threw CancelFit, or the fit failed)
/// afterFit                                                (not after a failure: the error is thrown instead)
/// ```
///
/// `afterLRFind` follows an LR-finder sweep (``Learner/lrFind(start:end:numIt:stopDiv:methods:)``).
public enum LearnerEvent: String, CaseIterable, Codable, Sendable {
    case beforeFit, beforeEpoch, beforeTrain, beforeBatch, afterBatch, afterTrain, beforeValidate, afterValidate,
        afterEpoch, afterCheckpoint, afterCancelFit, afterFit, afterLRFind
}

/// Something that takes part in a fit, like fastai's `Callback`: it receives every event with the learner
/// and may read or change its state (the optimizer's learning rate and momentum, ``FitState/batch`` in
/// `beforeBatch`), ask for a stop after the epoch (``Learner/requestStop()``) or stop the fit at once by
/// throwing ``CancelFit``. Any other error thrown ends the fit with that error.
///
/// Callbacks run in increasing ``order`` (equal orders in the order they were added). The learner's own
/// callbacks (recorder, scheduler, best/average keeping, table, progress bar) run before user callbacks
/// (order 0 by default), so these see the finished batch or epoch and may override the scheduled learning
/// rate; the checkpointer runs after them, so a stop asked for in `afterEpoch` still writes the checkpoint.
/// Called on the training thread.
public protocol LearnerCallback: AnyObject {
    var order: Int { get }
    func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) throws
}

extension LearnerCallback {
    public var order: Int { 0 }
}

/// `callbacks` sorted by ``LearnerCallback/order``, equal orders keeping their places.
func inOrder(_ callbacks: [any LearnerCallback]) -> [any LearnerCallback] {
    callbacks.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element)
}

/// Thrown by a callback to end the fit now (fastai's `CancelFitException`): the rest of the epoch is
/// skipped (no validation, no checkpoint), `afterCancelFit` and `afterFit` follow and `fit` returns a
/// summary with `stoppedEarly`.
public struct CancelFit: Error, Equatable, Sendable {
    public init() {}
}

/// Thrown by a callback in `beforeValidate` to skip the epoch's validation (fastai's `CancelValidException`).
public struct CancelValidation: Error, Equatable, Sendable {
    public init() {}
}

/// The loop's position and the data of the current batch, for callbacks.
public struct FitState {
    public internal(set) var plan: FitPlan
    /// Epochs already done when the fit started (non-zero when resuming).
    public internal(set) var startEpoch: Int
    public internal(set) var epoch: Int
    /// Batch within the epoch (0-based) and the epoch's batch count.
    public internal(set) var batchIndex = 0
    public internal(set) var batchCount = 0
    /// The batch about to be trained on; a callback may replace it in `beforeBatch`.
    public var batch: Batch?
    /// The current batch's loss (valid from `afterBatch`).
    public internal(set) var loss = Double.nan
    /// The epoch's validation (valid from `afterValidate`; nil when a callback cancelled it).
    public internal(set) var validation: Evaluation?
    /// The recorder's view of the last batch (absent in an LR-finder sweep, which has no recorder).
    public internal(set) var batchRecord: BatchRecord?
    /// The checkpoint directory written after this epoch (valid in `afterCheckpoint`).
    public internal(set) var checkpoint: URL?
    /// Set by ``Learner/requestStop()``: stop after the current epoch.
    public internal(set) var stopAfterEpoch = false
    /// The fit's outcome (valid in `afterFit`).
    public internal(set) var summary: FitSummary?

    init(plan: FitPlan, startEpoch: Int) {
        self.plan = plan
        self.startEpoch = startEpoch
        self.epoch = startEpoch
    }
}

/// A callback made of closures, for tests and small tools. The closures receive what the learner just
/// produced: the batch record, the epoch record, the LR-finder result, the checkpoint written, the summary.
public final class ClosureCallback: LearnerCallback {
    public var onEpoch: ((EpochRecord) -> Void)?
    public var onBatch: ((BatchRecord) -> Void)?
    public var onLRFinder: ((LRFinderResult) -> Void)?
    public var onCheckpoint: ((URL, Int) -> Void)?
    public var onFinish: ((FitSummary) -> Void)?

    public init(
        onEpoch: ((EpochRecord) -> Void)? = nil, onBatch: ((BatchRecord) -> Void)? = nil,
        onLRFinder: ((LRFinderResult) -> Void)? = nil, onCheckpoint: ((URL, Int) -> Void)? = nil,
        onFinish: ((FitSummary) -> Void)? = nil
    ) {
        self.onEpoch = onEpoch
        self.onBatch = onBatch
        self.onLRFinder = onLRFinder
        self.onCheckpoint = onCheckpoint
        self.onFinish = onFinish
    }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        let state = learner.state
        switch event {
        case .afterBatch: if let record = state.batchRecord { onBatch?(record) }
        case .afterEpoch:
            if let record = learner.history.last, record.epoch == state.epoch { onEpoch?(record) }
        case .afterCheckpoint: if let directory = state.checkpoint { onCheckpoint?(directory, state.epoch) }
        case .afterLRFind: if let result = learner.lrFinderResult { onLRFinder?(result) }
        case .afterFit: if let summary = state.summary { onFinish?(summary) }
        default: break
        }
    }
}
