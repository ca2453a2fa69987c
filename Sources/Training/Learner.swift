import Foundation
import NeuralNet
import SeededRandom

/// Everything about a learner that is not the model, the optimizer or the data.
public struct LearnerConfiguration: Sendable {
    public var batches: BatchConfiguration
    public var loss: TrainingLoss
    /// Seeds shuffling, crops, augmentation and mixup (epoch e uses the stream `(seed, e)`, so an
    /// epoch's batches do not depend on what ran before it).
    public var seed: UInt64
    /// The metric that picks the kept ("best") epoch.
    public var bestMetric: BestEpochMetric
    /// Where a checkpoint is written after every epoch (nil: no checkpoints).
    public var checkpointDirectory: URL?
    /// Average the weights of a fit's last this many epochs into ``Learner/averagedModel`` (0: no average).
    public var averageEpochs: Int
    public var output: LearnerOutput

    public init(
        batches: BatchConfiguration, loss: TrainingLoss = TrainingLoss(), seed: UInt64 = 42,
        bestMetric: BestEpochMetric = .validLoss, checkpointDirectory: URL? = nil, averageEpochs: Int = 0,
        output: LearnerOutput = .silent
    ) {
        self.batches = batches
        self.loss = loss
        self.seed = seed
        self.bestMetric = bestMetric
        self.checkpointDirectory = checkpointDirectory
        self.averageEpochs = averageEpochs
        self.output = output
    }
}

/// Why training stopped with an error.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// `epoch` and `batch` are 0-based; the message numbers them from 1, as the table and the store do.
    case nonFiniteLoss(epoch: Int, batch: Int, learningRate: Double)
    case noTrainingItems

    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let batch, let lr):
            return
                "training diverged: the loss became NaN or infinite at epoch \(epoch + 1), batch \(batch + 1) (learning rate \(lr)); try a smaller learning rate"
        case .noTrainingItems: return "the training split has no items"
        }
    }
}

/// fastai's `Learner` for our engine: the loop `fit → epoch → batch` (train on the training part of
/// `split`, then validate) and the events it sends to its callbacks (``LearnerEvent``). Everything else
/// is a callback: the recorder (history, smoothed loss), the LR schedule, the progress bar and live table,
/// best-epoch and weight-average keeping, and the checkpoints that let an interrupted run resume
/// bit-identically (see ``fitCallbacks(_:plan:)``); ``callbacks`` adds the caller's own.
///
/// Not thread-safe: use from one thread.
public final class Learner<Model: Layer, Opt: Optimizer> {
    public var model: Model
    public var optimizer: Opt
    public let loader: BatchLoader
    public let split: SplitIndices
    public var configuration: LearnerConfiguration
    /// The caller's callbacks, run in every fit after the learner's own (see ``LearnerCallback/order``).
    /// An LR-finder sweep does not run them; they receive its result in `afterLRFind`.
    public var callbacks: [any LearnerCallback] = []
    /// Where the running (or last) fit is: epoch, batch, the batch itself, its loss.
    public var state = FitState(plan: FitPlan(epochs: 0, policy: .constant(lr: 0)), startEpoch: 0)

    /// Epochs finished so far (across a resume).
    public internal(set) var history: [EpochRecord] = []
    /// The best epoch so far by ``LearnerConfiguration/bestMetric``.
    public internal(set) var best: BestEpoch?
    /// The model as it was after the best epoch (weights, running statistics).
    public internal(set) var bestModel: Model?
    /// The mean of the models after each of the fit's last ``LearnerConfiguration/averageEpochs`` epochs
    /// (nil before the first of them, or when averaging is off).
    public var averagedModel: Model? { average?.model }
    /// How many epochs ``averagedModel`` is the mean of.
    public var averagedEpochCount: Int { average?.count ?? 0 }
    var average: WeightAverage<Model>?
    /// The last epoch's validation predictions (per-item probabilities, for top losses and reports).
    public internal(set) var lastValidation: Evaluation?
    /// The last LR-finder sweep's result.
    public internal(set) var lrFinderResult: LRFinderResult?
    /// Optimizer steps taken in fits so far.
    public internal(set) var step = 0
    var smoothedLoss = SmoothedLoss()

    public init(
        model: Model, optimizer: Opt, data: FeatureDataset, split: SplitIndices, configuration: LearnerConfiguration
    ) {
        self.model = model
        self.optimizer = optimizer
        self.loader = BatchLoader(data: data, configuration: configuration.batches)
        self.split = split
        self.configuration = configuration
    }

    public var data: FeatureDataset { loader.data }
    public var batchesPerEpoch: Int { loader.trainingBatchCount(split.train.count) }

    /// Asks a running fit to stop after the current epoch (validated, recorded and checkpointed). A
    /// callback may call it from any event; to stop at once, it throws ``CancelFit`` instead.
    public func requestStop() { state.stopAfterEpoch = true }

    // MARK: Fitting

    /// fastai `fit`: `epochs` epochs at a constant learning rate.
    @discardableResult
    public func fit(epochs: Int, lr: Double) throws -> FitSummary {
        try fit(FitPlan(epochs: epochs, policy: .constant(lr: lr)))
    }

    /// fastai `fit_one_cycle`.
    @discardableResult
    public func fitOneCycle(epochs: Int, lrMax: Double, pctStart: Double = 0.25) throws -> FitSummary {
        try fit(FitPlan(epochs: epochs, policy: .oneCycle(lrMax: lrMax, pctStart: pctStart)))
    }

    /// fastai `fit_flat_cos`.
    @discardableResult
    public func fitFlatCosine(epochs: Int, lr: Double, pctStart: Double = 0.75) throws -> FitSummary {
        try fit(FitPlan(epochs: epochs, policy: .flatCosine(lr: lr, pctStart: pctStart)))
    }

    /// Runs `plan` from its first epoch (the schedule's progress starts at 0; history, best epoch and
    /// smoothed loss start afresh).
    @discardableResult
    public func fit(_ plan: FitPlan) throws -> FitSummary {
        history = []
        best = nil
        bestModel = nil
        average = nil
        smoothedLoss = SmoothedLoss()
        step = 0
        return try run(plan, startEpoch: 0, with: fitCallbacks(configuration, plan: plan) + callbacks)
    }

    /// Restores the state saved in `directory` after some epoch of a fit and runs that fit's remaining
    /// epochs. The learner must have been made like the interrupted one (same architecture, data,
    /// split and configuration); its initial weights do not matter. Checkpoints continue in
    /// `directory` unless the configuration names another.
    @discardableResult
    public func resume(from directory: URL) throws -> FitSummary {
        let saved = try Checkpointer.restore(self, from: directory)
        if configuration.checkpointDirectory == nil { configuration.checkpointDirectory = directory }
        return try run(
            saved.plan, startEpoch: saved.epochsCompleted,
            with: fitCallbacks(configuration, plan: saved.plan) + callbacks)
    }

    /// Sets the model to the best epoch's weights (no-op before any epoch).
    public func loadBestModel() {
        if let bestModel { model = bestModel }
    }

    /// Sets the model to the average of the last epochs' weights (no-op when there is none).
    public func loadAveragedModel() {
        if let averagedModel { model = averagedModel }
    }

    /// The loop. Epoch e trains on the batches of the random stream `(streamSeed, e)` (the fit's seed, or
    /// the LR finder's), then validates when `validate`; callbacks see every event in ``LearnerCallback/order``.
    func run(
        _ plan: FitPlan, startEpoch: Int, with callbacks: [any LearnerCallback], streamSeed: UInt64? = nil,
        validate: Bool = true
    ) throws -> FitSummary {
        guard !split.train.isEmpty else { throw TrainingError.noTrainingItems }
        let ordered = inOrder(callbacks)
        func send(_ event: LearnerEvent) throws { for c in ordered { try c.on(event, self) } }
        state = FitState(plan: plan, startEpoch: startEpoch)
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try send(.beforeFit)
            while state.epoch < plan.epochs && !state.stopAfterEpoch {
                try runEpoch(send, seed: streamSeed ?? configuration.seed, validate: validate)
                state.epoch += 1
            }
        } catch is CancelFit {
            try send(.afterCancelFit)
        } catch {
            try? send(.afterCancelFit)
            throw error
        }
        state.summary = FitSummary(
            history: history, best: best, stoppedEarly: state.epoch < plan.epochs,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        try send(.afterFit)
        return state.summary!
    }

    private func runEpoch(_ send: (LearnerEvent) throws -> Void, seed: UInt64, validate: Bool) throws {
        state.validation = nil
        state.checkpoint = nil
        try send(.beforeEpoch)
        var rng = Xoshiro256(seed: seed, stream: UInt64(state.epoch))
        let order = loader.trainingOrder(split.train, using: &rng)
        state.batchCount = order.count
        try send(.beforeTrain)
        for (b, indices) in order.enumerated() {
            state.batchIndex = b
            state.batch = try loader.trainingBatch(indices, using: &rng)
            state.batchRecord = nil
            try send(.beforeBatch)
            state.loss = trainStep(state.batch!)
            try send(.afterBatch)
        }
        state.batch = nil
        try send(.afterTrain)
        if validate && !split.valid.isEmpty {
            do {
                try send(.beforeValidate)
                let evaluation = try Training.evaluate(
                    &model, loader: loader, indices: split.valid, loss: configuration.loss)
                lastValidation = evaluation
                state.validation = evaluation
                try send(.afterValidate)
            } catch is CancelValidation {}
        }
        try send(.afterEpoch)
        if state.checkpoint != nil { try send(.afterCheckpoint) }
    }

    /// Forward, loss, backward and one optimizer step on a training batch; returns the loss.
    func trainStep(_ batch: Batch) -> Double {
        let logits = model.forward(batch.input, training: true)
        let (loss, gradient) = configuration.loss(logits, batch)
        _ = model.backward(gradient)
        optimizer.step(&model)
        return Double(loss)
    }

    /// Writes the state after `epochsCompleted` epochs (see ``CheckpointState`` for the layout; the
    /// ``Checkpointer`` callback calls this after every epoch).
    public func saveCheckpoint(to directory: URL, epochsCompleted: Int, plan: FitPlan) throws {
        try Checkpointer.save(self, to: directory, epochsCompleted: epochsCompleted, plan: plan)
    }

    // MARK: Evaluation

    /// Evaluates the current model on `indices` (default: the validation split).
    public func evaluate(_ indices: [Int]? = nil) throws -> Evaluation {
        try Training.evaluate(&model, loader: loader, indices: indices ?? split.valid, loss: configuration.loss)
    }

    /// Evaluates the kept (best) model, or the current one before any epoch, on the test split
    /// (the "evaluated once at the end with the kept model").
    public func evaluateTest() throws -> Evaluation {
        var m = bestModel ?? model
        return try Training.evaluate(&m, loader: loader, indices: split.test, loss: configuration.loss)
    }
}
