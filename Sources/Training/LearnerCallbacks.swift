import Foundation
import NeuralNet

/// The callbacks every `fit` runs, made from the learner's configuration and the fit's plan (in order):
/// ``Recorder``, ``ParamScheduler``, ``ProgressCallback``, ``BestEpochKeeper``, ``WeightAverager`` (when
/// averaging), ``EpochTablePrinter`` and ``Checkpointer`` (when checkpointing).
func fitCallbacks(_ configuration: LearnerConfiguration, plan: FitPlan) -> [any LearnerCallback] {
    var callbacks: [any LearnerCallback] = [
        Recorder(), ParamScheduler(plan.policy), ProgressCallback(configuration.output.progress),
        BestEpochKeeper(configuration.bestMetric),
    ]
    if configuration.averageEpochs > 0 { callbacks.append(WeightAverager(epochs: configuration.averageEpochs)) }
    callbacks.append(EpochTablePrinter(configuration.output.table))
    if let directory = configuration.checkpointDirectory { callbacks.append(Checkpointer(directory)) }
    return callbacks
}

/// fastai's `Recorder`: counts optimizer steps, smooths the training loss (β 0.98, carried across epochs),
/// makes each batch's ``BatchRecord`` and each validated epoch's ``EpochRecord`` (appended to
/// ``Learner/history``).
/// A NaN or infinite batch loss ends the fit with ``TrainingError/nonFiniteLoss(epoch:batch:learningRate:)``.
public final class Recorder: LearnerCallback {
    public let order = -100
    private var lossSum = 0.0
    private var epochStart: UInt64 = 0

    public init() {}

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) throws {
        let state = learner.state
        switch event {
        case .beforeEpoch:
            epochStart = DispatchTime.now().uptimeNanoseconds
            lossSum = 0
        case .afterBatch:
            let loss = state.loss
            guard loss.isFinite else {
                throw TrainingError.nonFiniteLoss(
                    epoch: state.epoch, batch: state.batchIndex, learningRate: Double(learner.optimizer.learningRate))
            }
            learner.step += 1
            lossSum += loss
            let smooth = learner.smoothedLoss.add(loss)
            learner.state.batchRecord = BatchRecord(
                epoch: state.epoch, batch: state.batchIndex, batchCount: state.batchCount, step: learner.step,
                loss: loss, smoothedLoss: smooth, learningRate: Double(learner.optimizer.learningRate))
        case .afterEpoch:
            // An epoch whose validation a callback cancelled has no metrics, so no record; a split without
            // validation files records every epoch, with no validation metrics.
            let validation = state.validation
            if validation == nil && !learner.split.valid.isEmpty { return }
            learner.history.append(
                EpochRecord(
                    epoch: state.epoch, trainLoss: learner.smoothedLoss.value,
                    trainLossMean: lossSum / Double(max(state.batchCount, 1)), valid: validation?.metrics,
                    learningRate: Double(learner.optimizer.learningRate), step: learner.step,
                    seconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9))
        default: break
        }
    }
}

/// fastai's `ParamScheduler`: before every batch, sets the optimizer's learning rate (and momentum, when the
/// policy cycles it) for the fit's progress, steps done / total steps of the plan.
public final class ParamScheduler: LearnerCallback {
    public let order = -90
    let schedule: any Schedule
    private var totalSteps = 1

    public init(_ policy: LRPolicy) { schedule = policy.schedule }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        switch event {
        case .beforeFit: totalSteps = max(1, learner.state.plan.epochs * learner.batchesPerEpoch)
        case .beforeBatch:
            schedule.apply(to: &learner.optimizer, progress: Double(learner.step) / Double(totalSteps))
        default: break
        }
    }
}

/// The in-epoch progress bar (`epoch 3 [#####.....] 12/45  loss 1.2345`, epochs numbered from 1 as in the
/// table), erased before the epoch's row.
public final class ProgressCallback: LearnerCallback {
    public let order = -80
    let output: (@Sendable (String) -> Void)?
    private var bar: BatchProgressBar?

    public init(_ output: (@Sendable (String) -> Void)?) { self.output = output }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        let state = learner.state
        switch event {
        case .beforeTrain:
            bar = BatchProgressBar(output: output, total: state.batchCount, label: "epoch \(state.epoch + 1)")
        case .afterBatch:
            if let record = state.batchRecord { bar?.update(done: state.batchIndex + 1, loss: record.smoothedLoss) }
        case .afterTrain, .afterCancelFit:
            bar?.clear()
            bar = nil
        default: break
        }
    }
}

/// Keeps the best epoch by a metric (``Learner/best``) and the model after it (``Learner/bestModel``).
public final class BestEpochKeeper: LearnerCallback {
    public let order = -70
    let metric: BestEpochMetric

    public init(_ metric: BestEpochMetric) { self.metric = metric }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        guard event == .afterEpoch, let record = learner.history.last, record.epoch == learner.state.epoch else {
            return
        }
        // Without validation there is no best epoch (`keep: best` is refused for such a split).
        guard let value = metric.value(record) else { return }
        if learner.best == nil || metric.isBetter(value, than: learner.best!.value) {
            learner.best = BestEpoch(metric: metric, epoch: record.epoch, value: value)
            learner.bestModel = learner.model
        }
    }
}

/// Averages the models after each of the fit's last `epochs` epochs (``Learner/averagedModel``).
public final class WeightAverager: LearnerCallback {
    public let order = -60
    let epochs: Int

    public init(epochs: Int) { self.epochs = epochs }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        guard event == .afterEpoch, learner.state.epoch >= learner.state.plan.epochs - epochs else { return }
        if learner.average == nil {
            learner.average = WeightAverage(learner.model)
        } else {
            learner.average!.add(learner.model)
        }
    }
}

/// fastai's live table: the header (and the restored rows of a resumed fit) before the fit, a row per epoch.
public final class EpochTablePrinter: LearnerCallback {
    public let order = -50
    let output: (@Sendable (String) -> Void)?
    let table = EpochTable()

    public init(_ output: (@Sendable (String) -> Void)?) { self.output = output }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        guard let output else { return }
        switch event {
        case .beforeFit:
            output(table.header)
            for r in learner.history { output(table.row(r)) }
        case .afterEpoch:
            if let record = learner.history.last { output(table.row(record)) }
        default: break
        }
    }
}
