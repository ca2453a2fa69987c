import Features
import Foundation
import Inference
import NeuralNet
import Specs
import Training

/// The one recipe from a resolved spec to a learner ready to fit, shared by `ser run`, `ser resume` (through
/// ``ExperimentRunner``) and `ser lr-find`, so that the three train exactly the same thing: the corpus
/// (``RunData``), its features streamed from the feature cache beside the store
/// (``FeatureDataset/loadStreamed(items:classNames:cache:threads:progress:chunk:)``: memory does not grow with
/// the corpus), the split, the normalisation,
/// the batches, the ResNet (with `model.init`'s weights), the optimizer and the learner configuration.
///
/// Making it reads the file system and writes only the synthetic corpus (once) and the feature cache;
/// nothing is recorded in a store.
public struct TrainingSetup {
    public let resolved: ResolvedSpec
    /// The labelled files (training/validation, then a test set's).
    public let data: RunData
    public let parameters: FeatureParameters
    public let audio: AudioSettings
    public let features: FeatureDataset
    public let split: SplitIndices
    public let normalization: Normalization
    public let architecture: ModelArchitecture
    public let configuration: LearnerConfiguration
    /// The learner with the freshly made (or `model.init`-loaded) model and a fresh optimizer.
    public let learner: Learner<ResNet, AnyOptimizer>

    public var spec: ExperimentSpec { resolved.spec }

    /// - Parameters:
    ///   - paths: where the feature cache and the synthetic corpus live (beside the store).
    ///   - threads: threads for feature extraction.
    ///   - featureProgress: whether feature extraction shows a progress bar/lines on standard error.
    ///   - output: the learner's live table and progress bar.
    ///   - bestMetric: the metric that picks the kept epoch.
    ///   - checkpointDirectory: where the learner checkpoints after every epoch (nil: nowhere).
    ///   - log: status lines (corpus made, skipped entries).
    ///   - shouldStop: asked while the corpus is listed (a stop throws `DatasetError.stopped`).
    /// - Throws: the errors of ``RunData/load(_:paths:log:shouldStop:)``, of the feature cache and of the
    ///   spec's translation; `RunnerError.data` naming `model.init` when its weights cannot be loaded.
    public init(
        _ resolved: ResolvedSpec, paths: RunnerPaths, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        featureProgress: Bool = false, output: LearnerOutput = .silent, bestMetric: BestEpochMetric = .accuracy,
        checkpointDirectory: URL? = nil, log: (String) -> Void = { _ in },
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws {
        let spec = resolved.spec
        self.resolved = resolved
        parameters = try spec.featureParameters()
        data = try RunData.load(spec, paths: paths, log: log, shouldStop: shouldStop)
        audio = spec.audioSettings(parameters)
        let cache = try FeatureCache(
            directory: paths.featureCache(trimDB: spec.audio.trimDB), parameters: parameters, decode: audio.decoder)
        let progress = featureProgress ? ProgressReporter(total: data.items.count, label: "features") : nil
        features = try FeatureDataset.loadStreamed(
            items: data.items, classNames: data.classNames, cache: cache, threads: threads, progress: progress)
        split = try makeSplit(
            speakers: spec.splitsByCorpus ? features.items.map(\.file.corpus) : features.speakers,
            kind: try data.manifestValid.map { .validIndices($0) } ?? spec.splitKind(),
            testSpeakers: spec.splitsByCorpus ? [] : data.testSpeakers,
            testIndices: data.testIndices)
        let statistics =
            spec.usesDatasetNormalization ? try DatasetStatistics.compute(features, indices: split.train) : nil
        normalization = spec.normalization(datasetStatistics: statistics)
        let batches = BatchConfiguration(
            batchSize: spec.train.batchSize, frames: audio.frames, normalization: normalization,
            augmentation: spec.augmentation)
        architecture = try spec.architecture(classCount: data.classNames.count)
        var model = try architecture.makeResNet(seed: UInt64(spec.seed))
        if let initial = spec.model.initWeights {
            do {
                let loaded = try model.loadInitialWeights(from: URL(fileURLWithPath: initial))
                log("model.init \(initial): \(loaded.summary)")
            } catch {
                throw RunnerError.data("model.init \(initial): \(error)")
            }
        }
        // Fine-tuning and discriminative rates: the scales of epoch 0 from the start, so the LR finder sweeps
        // the frozen model (fastai's order); the callback sets them before every epoch of a fit or a resume.
        var fineTune: FineTuneCallback?
        let lowestScale: Double
        if case .range(let low, let high) = spec.train.lr { lowestScale = low / high } else { lowestScale = 1 }
        if spec.train.fineTune != nil || lowestScale != 1 {
            let callback = FineTuneCallback(
                freezeEpochs: spec.train.fineTune?.freezeEpochs ?? 0, lowestScale: lowestScale)
            model.setLearningRateScales(callback.scales(epoch: 0))
            fineTune = callback
        }
        configuration = LearnerConfiguration(
            batches: batches,
            loss: TrainingLoss(labelSmoothing: Float(spec.train.labelSmoothing)),
            seed: UInt64(spec.seed), bestMetric: bestMetric, checkpointDirectory: checkpointDirectory,
            averageEpochs: spec.train.keep == .average ? spec.train.averageEpochs : 0, output: output)
        learner = Learner(
            model: model, optimizer: Self.optimizer(spec.train.optimizer), data: features, split: split,
            configuration: configuration)
        if let fineTune { learner.callbacks.append(fineTune) }
    }

    /// The spec's optimizer at the learning rate 1e-3 (the schedule sets the rate before every step): the one
    /// place an optimizer name becomes an optimizer.
    public static func optimizer(_ o: TrainSpec.OptimizerSpec) -> AnyOptimizer {
        switch o.name {
        case .sgd:
            return AnyOptimizer(SGD(learningRate: 1e-3, momentum: Float(o.momentum), weightDecay: Float(o.wd)))
        case .adam, .adamw:
            return AnyOptimizer(
                Adam(
                    learningRate: 1e-3, beta1: Float(o.momentum), beta2: Float(o.beta2), epsilon: Float(o.eps),
                    weightDecay: Float(o.wd), decoupledWeightDecay: o.name == .adamw))
        }
    }

    /// Runs the learning-rate finder with the spec's `lr_finder` section (sweep and suggestion methods); the
    /// learner's model and optimizer are restored afterwards.
    public func findLearningRate() throws -> LRFinderResult {
        let f = spec.lrFinder
        return try learner.lrFind(
            start: f.startLR, end: f.endLR, numIt: f.numIt, stopDiv: f.stopDiv,
            methods: f.suggest)
    }
}
