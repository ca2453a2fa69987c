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
    case nonFiniteLoss(epoch: Int, batch: Int, learningRate: Double)
    case noTrainingItems

    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let batch, let lr):
            return
                "training diverged: the loss became NaN or infinite at epoch \(epoch), batch \(batch) (learning rate \(lr)); try a smaller learning rate"
        case .noTrainingItems: return "the training split has no items"
        }
    }
}

/// fastai's `Learner` for our engine: trains `model` with `optimizer` on the training part of
/// `split`, validates every epoch, prints the live table, notifies observers, keeps the best epoch's
/// weights and checkpoints after every epoch so an interrupted run can be resumed bit-identically.
///
/// Not thread-safe: use from one thread.
public final class Learner<Model: Layer, Opt: Optimizer> {
    public var model: Model
    public var optimizer: Opt
    public let loader: BatchLoader
    public let split: SplitIndices
    public var configuration: LearnerConfiguration
    public var observers: [any LearnerObserver] = []

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
    /// Optimizer steps taken in fits so far.
    public internal(set) var step = 0
    var smoothedLoss = SmoothedLoss()
    var plan: FitPlan?
    var stopRequested = false

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

    /// Asks a running fit to stop after the current epoch (its checkpoint is still written), like
    /// fastai's `CancelFitException`. Observers may call it from `learnerDidFinishEpoch`.
    public func requestStop() { stopRequested = true }

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
        return try run(plan, startEpoch: 0)
    }

    /// Restores the state saved in `directory` after some epoch of a fit and runs that fit's remaining
    /// epochs. The learner must have been made like the interrupted one (same architecture, data,
    /// split and configuration); its initial weights do not matter. Checkpoints continue in
    /// `directory` unless the configuration names another.
    @discardableResult
    public func resume(from directory: URL) throws -> FitSummary {
        let state = try CheckpointState.read(from: directory)
        guard state.seed == configuration.seed else {
            throw CheckpointError.mismatch(
                "the checkpoint was made with seed \(state.seed), this learner has seed \(configuration.seed)")
        }
        guard state.history.isEmpty || state.step == state.history.last!.step else {
            throw CheckpointError.invalid("step \(state.step) disagrees with the history")
        }
        let expected = state.epochsCompleted * batchesPerEpoch
        guard expected == state.step else {
            throw CheckpointError.mismatch(
                "\(state.step) steps after \(state.epochsCompleted) epochs, but this learner makes \(batchesPerEpoch) batches per epoch (different data, split or batch size?)"
            )
        }
        do {
            try model.loadStateDict(CheckpointFiles.tensors(directory.appendingPathComponent(state.modelFile)))
        } catch let error as ModelStateError {
            throw CheckpointError.mismatch("model: \(error)")
        }
        if var carrier = model as? RandomStateCarrying {
            carrier.randomStates = try state.modelRandomStates.map(CheckpointState.decodeGenerator)
            model = carrier as! Model
        }
        optimizer.loadStateTensors(try CheckpointFiles.tensors(directory.appendingPathComponent(state.optimizerFile)))
        optimizer.stepCount = state.optimizerStep
        optimizer.learningRate = state.learningRate
        optimizer.momentum = state.momentum
        step = state.step
        smoothedLoss = state.smoothedLoss
        history = state.history
        best = state.best
        bestModel = nil
        if let bestFile = state.bestFile {
            var copy = model
            try copy.loadStateDict(CheckpointFiles.tensors(directory.appendingPathComponent(bestFile)))
            bestModel = copy
        }
        average = nil
        if let averageFile = state.averageFile, let count = state.averageCount {
            var copy = model
            try copy.loadStateDict(CheckpointFiles.tensors(directory.appendingPathComponent(averageFile)))
            average = WeightAverage(model: copy, count: count)
        }
        if configuration.checkpointDirectory == nil { configuration.checkpointDirectory = directory }
        return try run(state.plan, startEpoch: state.epochsCompleted)
    }

    /// Sets the model to the best epoch's weights (no-op before any epoch).
    public func loadBestModel() {
        if let bestModel { model = bestModel }
    }

    /// Sets the model to the average of the last epochs' weights (no-op when there is none).
    public func loadAveragedModel() {
        if let averagedModel { model = averagedModel }
    }

    func run(_ plan: FitPlan, startEpoch: Int) throws -> FitSummary {
        guard !split.train.isEmpty else { throw TrainingError.noTrainingItems }
        self.plan = plan
        stopRequested = false
        let started = DispatchTime.now().uptimeNanoseconds
        let perEpoch = batchesPerEpoch
        let totalSteps = max(1, plan.epochs * perEpoch)
        let schedule = plan.policy.schedule
        let table = EpochTable()
        // A resumed fit reprints the rows it restored, so the table is complete.
        configuration.output.table?(table.header)
        for r in history { configuration.output.table?(table.row(r)) }
        for o in observers {
            o.learnerDidStartFit(
                FitStart(
                    plan: plan, startEpoch: startEpoch, batchesPerEpoch: perEpoch, trainingItems: split.train.count,
                    validationItems: split.valid.count))
        }
        var epoch = startEpoch
        while epoch < plan.epochs && !stopRequested {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            var rng = Xoshiro256(seed: configuration.seed, stream: UInt64(epoch))
            let order = loader.trainingOrder(split.train, using: &rng)
            var bar = BatchProgressBar(
                output: configuration.output.progress, total: order.count, label: "epoch \(epoch)")
            var sum = 0.0
            for (b, indices) in order.enumerated() {
                schedule.apply(to: &optimizer, progress: Double(step) / Double(totalSteps))
                let batch = loader.trainingBatch(indices, using: &rng)
                let loss = trainStep(batch)
                guard loss.isFinite else {
                    bar.clear()
                    throw TrainingError.nonFiniteLoss(
                        epoch: epoch, batch: b, learningRate: Double(optimizer.learningRate))
                }
                step += 1
                sum += loss
                let smooth = smoothedLoss.add(loss)
                let record = BatchRecord(
                    epoch: epoch, batch: b, batchCount: order.count, step: step, loss: loss, smoothedLoss: smooth,
                    learningRate: Double(optimizer.learningRate))
                for o in observers { o.learnerDidFinishBatch(record) }
                bar.update(done: b + 1, loss: smooth)
            }
            bar.clear()
            let evaluation = Training.evaluate(&model, loader: loader, indices: split.valid, loss: configuration.loss)
            lastValidation = evaluation
            let record = EpochRecord(
                epoch: epoch, trainLoss: smoothedLoss.value, trainLossMean: sum / Double(max(order.count, 1)),
                valid: evaluation.metrics, learningRate: Double(optimizer.learningRate), step: step,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9)
            history.append(record)
            let metric = configuration.bestMetric
            if best == nil || metric.isBetter(metric.value(record), than: best!.value) {
                best = BestEpoch(metric: metric, epoch: epoch, value: metric.value(record))
                bestModel = model
            }
            if configuration.averageEpochs > 0 && epoch >= plan.epochs - configuration.averageEpochs {
                if average == nil { average = WeightAverage(model) } else { average!.add(model) }
            }
            configuration.output.table?(table.row(record))
            for o in observers { o.learnerDidFinishEpoch(record) }
            epoch += 1
            if let directory = configuration.checkpointDirectory {
                try saveCheckpoint(to: directory, epochsCompleted: epoch, plan: plan)
                for o in observers { o.learnerDidSaveCheckpoint(directory, epoch: epoch - 1) }
            }
        }
        let summary = FitSummary(
            history: history, best: best, stoppedEarly: epoch < plan.epochs,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        for o in observers { o.learnerDidFinishFit(summary) }
        return summary
    }

    /// Forward, loss, backward and one optimizer step on a training batch; returns the loss.
    func trainStep(_ batch: Batch) -> Double {
        let logits = model.forward(batch.input, training: true)
        let (loss, gradient) = configuration.loss(logits, batch)
        _ = model.backward(gradient)
        optimizer.step(&model)
        return Double(loss)
    }

    /// Writes the state after `epochsCompleted` epochs (see ``CheckpointState`` for the layout).
    public func saveCheckpoint(to directory: URL, epochsCompleted: Int, plan: FitPlan) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let last = epochsCompleted - 1
        let modelFile = CheckpointFiles.name("model", epoch: last)
        let optimizerFile = CheckpointFiles.name("optimizer", epoch: last)
        try SafeTensors.write(
            model.stateDict, metadata: ["epoch": String(last)], to: directory.appendingPathComponent(modelFile))
        try SafeTensors.write(
            optimizer.stateTensors, metadata: ["step": String(optimizer.stepCount)],
            to: directory.appendingPathComponent(optimizerFile))
        var bestFile: String? = nil
        if let best, let bestModel {
            bestFile = CheckpointFiles.name("best", epoch: best.epoch)
            let url = directory.appendingPathComponent(bestFile!)
            if best.epoch == last || !FileManager.default.fileExists(atPath: url.path) {
                try SafeTensors.write(
                    bestModel.stateDict,
                    metadata: ["epoch": String(best.epoch), best.metric.rawValue: String(best.value)], to: url)
            }
        }
        var averageFile: String? = nil
        if let average {
            averageFile = CheckpointFiles.name("average", epoch: last)
            try SafeTensors.write(
                average.model.stateDict, metadata: ["epochs": String(average.count)],
                to: directory.appendingPathComponent(averageFile!))
        }
        let randomStates = (model as? RandomStateCarrying)?.randomStates ?? []
        let state = CheckpointState(
            formatVersion: CheckpointState.currentFormatVersion, plan: plan, epochsCompleted: epochsCompleted,
            step: step,
            seed: configuration.seed, smoothedLoss: smoothedLoss, optimizerStep: optimizer.stepCount,
            learningRate: optimizer.learningRate, momentum: optimizer.momentum,
            modelRandomStates: randomStates.map(CheckpointState.encodeGenerator), best: best, history: history,
            modelFile: modelFile, optimizerFile: optimizerFile, bestFile: bestFile, averageFile: averageFile,
            averageCount: average?.count)
        try state.write(to: directory)
        CheckpointFiles.prune(
            directory, keep: Set([modelFile, optimizerFile] + [bestFile, averageFile].compactMap { $0 }))
    }

    // MARK: Evaluation

    /// Evaluates the current model on `indices` (default: the validation split).
    public func evaluate(_ indices: [Int]? = nil) -> Evaluation {
        Training.evaluate(&model, loader: loader, indices: indices ?? split.valid, loss: configuration.loss)
    }

    /// Evaluates the kept (best) model, or the current one before any epoch, on the test split
    /// (the "evaluated once at the end with the kept model").
    public func evaluateTest() -> Evaluation {
        var m = bestModel ?? model
        return Training.evaluate(&m, loader: loader, indices: split.test, loss: configuration.loss)
    }
}
