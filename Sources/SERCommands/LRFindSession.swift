import Features
import Foundation
import Inference
import NeuralNet
import Plots
import Runner
import Specs
import Training

/// Runs only the learning-rate finder of one resolved spec: the same data, features (through the shared
/// feature cache next to the store), split, normalisation, batches, model and optimizer `ser run` would
/// use, then `Learner.lrFind` with the spec's `lr_finder` section. Records nothing in the store.
enum LRFindSession {
    /// - Parameters:
    ///   - storePath: where `ser run` keeps its store; the feature cache and synthetic corpus live beside it.
    ///   - log: status lines (corpus made, item counts).
    static func run(
        _ resolved: ResolvedSpec, storePath: String, output: LearnerOutput, log: @escaping (String) -> Void
    ) throws -> LRFinderResult {
        let spec = resolved.spec
        let paths = RunnerPaths(storePath: storePath)
        let parameters = try spec.featureParameters()
        let data = try RunData.load(spec, paths: paths, log: log)
        let audio = AudioSettings(
            sampleRate: spec.audio.sampleRate, duration: spec.audio.duration,
            frames: spec.exampleFrames(parameters), trimDB: spec.audio.trimDB)
        let cache = try FeatureCache(
            directory: paths.featureCache(trimDB: spec.audio.trimDB), parameters: parameters, decode: audio.decoder)
        let features = try FeatureDataset.load(items: data.items, classNames: data.classNames, cache: cache)
        let split = try makeSplit(
            speakers: features.speakers, kind: try spec.splitKind(), testSpeakers: data.testSpeakers,
            testIndices: data.testIndices)
        log("\(features.count) files, \(data.classNames.count) classes; the finder trains on \(split.train.count)")
        let statistics =
            spec.usesDatasetNormalization ? DatasetStatistics.compute(features, indices: split.train) : nil
        let batches = BatchConfiguration(
            batchSize: spec.train.batchSize, frames: audio.frames,
            normalization: spec.normalization(datasetStatistics: statistics), augmentation: spec.augmentation)
        var model = try spec.architecture(classCount: data.classNames.count).makeResNet(seed: UInt64(spec.seed))
        if let initial = spec.model.initWeights { try model.load(from: URL(fileURLWithPath: initial)) }
        let configuration = LearnerConfiguration(
            batches: batches, loss: TrainingLoss(labelSmoothing: Float(spec.train.labelSmoothing)),
            seed: UInt64(spec.seed), output: output)
        let methods = spec.lrFinder.suggest
        let f = spec.lrFinder
        let o = spec.train.optimizer
        if o.name == .sgd {
            let optimizer = SGD(learningRate: 1e-3, momentum: Float(o.momentum), weightDecay: Float(o.wd))
            return try Learner(
                model: model, optimizer: optimizer, data: features, split: split, configuration: configuration
            )
            .lrFind(start: f.startLR, end: f.endLR, numIt: f.numIt, stopDiv: f.stopDiv, methods: methods)
        }
        let optimizer = Adam(
            learningRate: 1e-3, beta1: Float(o.momentum), beta2: Float(o.beta2), epsilon: Float(o.eps),
            weightDecay: Float(o.wd), decoupledWeightDecay: o.name == .adamw)
        return try Learner(
            model: model, optimizer: optimizer, data: features, split: split, configuration: configuration
        )
        .lrFind(start: f.startLR, end: f.endLR, numIt: f.numIt, stopDiv: f.stopDiv, methods: methods)
    }
}
