import Foundation
import Runner
import Specs
import Training

/// Runs only the learning-rate finder of one resolved spec: the ``TrainingSetup`` `ser run` uses (the same data,
/// features through the shared feature cache next to the store, split, normalisation, batches, model and
/// optimizer), then its finder with the spec's `lr_finder` section. Records nothing in the store.
enum LRFindSession {
    /// - Parameters:
    ///   - storePath: where `ser run` keeps its store; the feature cache and synthetic corpus live beside it.
    ///   - log: status lines (corpus made, item counts).
    static func run(
        _ resolved: ResolvedSpec, storePath: String, output: LearnerOutput, log: @escaping (String) -> Void
    ) throws -> LRFinderResult {
        try run(resolved, paths: RunnerPaths(storePath: storePath), output: output, log: log)
    }

    /// As above, with the runner's paths given (a PostgreSQL store's are under its artifact root).
    static func run(
        _ resolved: ResolvedSpec, paths: RunnerPaths, output: LearnerOutput, log: @escaping (String) -> Void
    ) throws -> LRFinderResult {
        try setup(resolved, paths: paths, output: output, log: log).findLearningRate()
    }

    /// The recipe the finder trains with (no checkpoints: the finder restores the model and optimizer).
    static func setup(
        _ resolved: ResolvedSpec, storePath: String, output: LearnerOutput, log: @escaping (String) -> Void
    ) throws -> TrainingSetup {
        try setup(resolved, paths: RunnerPaths(storePath: storePath), output: output, log: log)
    }

    static func setup(
        _ resolved: ResolvedSpec, paths: RunnerPaths, output: LearnerOutput, log: @escaping (String) -> Void
    ) throws -> TrainingSetup {
        let setup = try TrainingSetup(resolved, paths: paths, output: output, log: log)
        log(
            "\(setup.features.count) files, \(setup.data.classNames.count) classes; the finder trains on \(setup.split.train.count)"
        )
        return setup
    }
}
