import Datasets
import Features
import Foundation
import Inference
import NeuralNet
import RunStore
import Specs
import Stopping
import Training

/// How the runner reports while it works.
public struct RunnerOptions {
    /// Recorded with each run.
    public var toolVersion: String
    /// The learner's live table and progress bar (`.standard` in the CLI, `.silent` in tests).
    public var output: LearnerOutput
    /// Status lines ("run 3: features …"), on standard error in the CLI.
    public var log: (String) -> Void
    /// Whether feature extraction shows a progress bar/lines on standard error.
    public var featureProgress: Bool
    /// Threads for feature extraction.
    public var threads: Int

    public init(
        toolVersion: String, output: LearnerOutput = .silent, log: @escaping (String) -> Void = { _ in },
        featureProgress: Bool = false, threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.toolVersion = toolVersion
        self.output = output
        self.log = log
        self.featureProgress = featureProgress
        self.threads = threads
    }
}

/// Runs experiment plans and records everything in a run store.
///
/// For each resolved spec: queue the run → claim it (running, heartbeat every 30 s) → make sure its run folder
/// is its own (ownership marker) → list the corpus (making the synthetic one on first use) → features through
/// the cache next to the store → split →
/// ResNet → LR finder (curve and suggestions recorded; `train.lr` picks one) → fit with the spec's schedule,
/// every epoch recorded and checkpointed → the kept (best-accuracy) model evaluated on validation (and test)
/// with confusion, per-class metrics and per-file predictions → the model saved as a `ModelBundle`
/// safetensors artifact → finished. An error marks the run failed with its description; a stop request
/// (Ctrl-C) ends the current epoch, records it and marks the run interrupted. Nothing recorded is lost.
public final class ExperimentRunner {
    public let store: RunStore
    public let paths: RunnerPaths
    public var options: RunnerOptions
    /// Set by a signal handler (or a test) to stop the current run after its current batch's epoch.
    public let stop = StopFlag()
    /// Test hook: called after each recorded epoch (run id, 1-based epoch); throwing fails the run.
    public var onEpochRecorded: ((Int64, Int) throws -> Void)?
    /// The metric that picks the kept epoch.
    public var bestMetric: BestEpochMetric = .accuracy
    /// When a running run counts as abandoned, so that `resume` may claim it (injectable for tests).
    public var staleness = Staleness()
    /// How often a running run's heartbeat is stamped, in seconds (workers make it shorter in tests).
    public var heartbeatInterval: TimeInterval = 30

    private let state = RunnerState()

    public init(store: RunStore, options: RunnerOptions) {
        self.store = store
        self.paths = RunnerPaths(folders: store.folders)
        self.options = options
    }

    /// The run being trained and its recorded epochs (for a second Ctrl-C, which exits at once).
    public var current: (runID: Int64, epochs: Int)? { state.current }

    // MARK: Plans

    /// Queues every run of `plan` under its experiment, then runs them in order. After a stop request the
    /// remaining runs are marked interrupted without starting. Failed runs do not stop the others.
    public func run(_ plan: ExperimentPlan) throws -> [RunOutcome] {
        let ids = try plan.enqueue(in: store, toolVersion: options.toolVersion)
        var outcomes: [RunOutcome] = []
        for (index, (id, resolved)) in zip(ids, plan.runs).enumerated() {
            if stop.isRequested {
                try store.markRunning(id)
                try store.interrupt(id, reason: "\(stop.reason ?? "interrupted") before this run started")
                outcomes.append(
                    RunOutcome(
                        runID: id, name: resolved.runName, sweep: resolved.sweepLabel, status: .interrupted,
                        error: "not started", epochs: 0, seconds: 0))
                continue
            }
            if plan.runs.count > 1 {
                options.log("run \(id) (\(index + 1)/\(plan.runs.count)): \(resolved.runName)")
            } else {
                options.log("run \(id): \(resolved.runName)")
            }
            outcomes.append(execute(runID: id, resolved: resolved, resume: false))
        }
        return outcomes
    }

    /// Continues run `runID` (interrupted, failed, or stale) from its latest checkpoint, under the same id,
    /// with the spec it recorded; without a checkpoint it starts that run again.
    /// - Throws: `RunnerError.notResumable` for a finished or live run; spec errors when a recorded path
    ///   no longer exists.
    ///   The run is claimed atomically (`RunStore.claim`): of two processes resuming the same stale run, one
    ///   runs it and the other gets `notResumable` naming the process that holds it.
    public func resume(runID: Int64, loader: SpecLoader = SpecLoader()) throws -> RunOutcome {
        guard let run = try store.run(runID) else { throw RunStoreError.noSuchRun(runID) }
        if run.status == .finished { throw RunnerError.notResumable(run: runID, reason: "it has finished") }
        let resolved = try loader.load(resolvedYAML: run.specYaml, runName: run.name)
        do {
            try store.claim(runID, staleness: staleness)
        } catch RunStoreError.claimRefused(_, let reason) {
            throw RunnerError.notResumable(run: runID, reason: reason)
        }
        options.log("run \(runID): resuming \(run.name)")
        return execute(runID: runID, resolved: resolved, resume: true, claimed: true)
    }

    // MARK: One run

    /// Runs one queued (or resumed) run to its end; never throws: the outcome says how it ended and the
    /// store has the status and reason.
    func execute(runID: Int64, resolved: ResolvedSpec, resume: Bool, claimed: Bool = false) -> RunOutcome {
        let started = Date()
        var outcome = RunOutcome(
            runID: runID, name: resolved.runName, sweep: resolved.sweepLabel, status: .running, epochs: 0, seconds: 0)
        state.begin(runID)
        defer { state.end() }
        do {
            if !claimed { try store.claim(runID, staleness: staleness) }
        } catch {
            outcome.status = .failed
            outcome.error = "\(error)"
            return outcome
        }
        let heartbeat = store.startHeartbeat(runID, every: heartbeatInterval)
        defer { heartbeat.stop() }
        do {
            // Where its numbers come from: recorded at the start, and again by a resume on another machine.
            try store.recordEnvironment(RunEnvironment.current(serVersion: options.toolVersion), runID: runID)
            // The run's folder must be this run's (its ownership marker) before anything is written into it.
            let folder = try store.prepareRunFolder(runID)
            try train(runID: runID, folder: folder, resolved: resolved, resume: resume, outcome: &outcome)
        } catch let error as RunnerError {
            if case .interrupted(_, let reason) = error {
                outcome.status = .interrupted
                outcome.error = reason
                try? store.interrupt(runID, reason: reason)
            } else if case .takenOver = error {
                // The run is another worker's now: its status is not this process's to change.
                outcome.status = .interrupted
                outcome.error = error.description
            } else {
                outcome.status = .failed
                outcome.error = error.description
                try? store.fail(runID, reason: error.description)
            }
        } catch {
            outcome.status = .failed
            outcome.error = "\(error)"
            try? store.fail(runID, reason: "\(error)")
        }
        outcome.epochs = state.current?.epochs ?? outcome.epochs
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }

    private func train(
        runID: Int64, folder: URL, resolved: ResolvedSpec, resume: Bool, outcome: inout RunOutcome
    ) throws {
        let setup = try self.setup(runID: runID, resolved: resolved, folder: folder)
        let split = setup.split
        options.log(
            "run \(runID): \(setup.features.count) files, \(setup.data.classNames.count) classes; train \(split.train.count), valid \(split.valid.count)"
                + (split.test.isEmpty ? "" : ", test \(split.test.count)"))
        try fit(setup, runID: runID, folder: folder, resume: resume, outcome: &outcome)
    }

    /// The run's ``TrainingSetup``: the recipe `ser lr-find` uses too, with this runner's threads, output and
    /// kept-epoch metric, checkpointing into the run's folder. A stop request while the corpus is listed
    /// interrupts the run.
    func setup(runID: Int64, resolved: ResolvedSpec, folder: URL) throws -> TrainingSetup {
        do {
            return try TrainingSetup(
                resolved, paths: paths, threads: options.threads, featureProgress: options.featureProgress,
                output: options.output, bestMetric: bestMetric,
                checkpointDirectory: RunnerPaths.checkpoints(in: folder),
                log: options.log, shouldStop: { [stop] in stop.isRequested })
        } catch DatasetError.stopped(let path) {
            throw RunnerError.interrupted(
                run: runID, reason: "\(stop.reason ?? "interrupted") while listing the corpus \(path)")
        }
    }

    private func fit(
        _ setup: TrainingSetup, runID: Int64, folder: URL, resume: Bool, outcome: inout RunOutcome
    ) throws {
        let spec = setup.spec
        let learner = setup.learner
        let recorder = StoreRecorder(
            store: store, runID: runID, stop: stop, onEpochRecorded: onEpochRecorded,
            progress: { [state] in state.recorded($0) })
        learner.callbacks.append(recorder)
        let checkpoints = RunnerPaths.checkpoints(in: folder)
        let summary: FitSummary
        if resume, let checkpoint = try? CheckpointState.read(from: checkpoints) {
            try store.deleteEpochs(of: runID, after: checkpoint.epochsCompleted)
            options.log(
                "run \(runID): continuing after epoch \(checkpoint.epochsCompleted) of \(checkpoint.plan.epochs)")
            outcome.learningRate = checkpoint.plan.policy.peakLearningRate
            summary = try learner.resume(from: checkpoints)
        } else {
            try store.deleteEpochs(of: runID, after: 0)
            // Starting afresh: drop an earlier attempt's checkpoint (only the files the learner writes).
            let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
            for name in names where RunFolders.isCheckpointFile(name) {
                try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
            }
            let lr = try chooseLearningRate(setup, runID: runID)
            outcome.learningRate = lr
            summary = try learner.fit(FitPlan(epochs: spec.train.epochs, policy: spec.policy(lr: lr)))
        }
        if let error = recorder.error { throw error }
        let epochs = summary.history.count
        if summary.stoppedEarly {
            let reason = "\(stop.reason ?? "interrupted") after epoch \(epochs)"
            throw RunnerError.interrupted(run: runID, reason: reason)
        }
        switch spec.train.keep {
        case .last:
            outcome.bestEpoch = epochs
            outcome.selectedBy = TrainSpec.Keep.last.rawValue
        case .average:
            learner.loadAveragedModel()
            let count = learner.averagedEpochCount
            outcome.bestEpoch = epochs
            outcome.selectedBy = "average of epochs \(epochs - count + 1)–\(epochs)"
        case .best:
            learner.loadBestModel()
            outcome.bestEpoch = summary.best.map { $0.epoch + 1 }
            outcome.selectedBy = summary.best?.metric.rawValue
        }
        if !setup.split.valid.isEmpty {
            let valid = try learner.evaluate(setup.split.valid)
            try record(valid, split: "valid", runID: runID, data: setup.features)
            outcome.valid = Self.metrics(valid)
        }
        if !setup.split.test.isEmpty {
            let test = try learner.evaluate(setup.split.test)
            let unknown = setup.data.unknownTestClasses
            try record(
                test, split: "test", runID: runID, data: setup.features,
                unknownClasses: unknown.isEmpty ? nil : unknown)
            outcome.test = Self.metrics(test)
        }
        if spec.data.sources != nil {
            try recordPerCorpus(setup, learner: learner, runID: runID)
        }
        let bundle = ModelBundle(
            architecture: setup.architecture, features: setup.parameters, audio: setup.audio,
            normalization: setup.normalization, labels: setup.features.classNames,
            labelScheme: setup.data.labelScheme,
            source: ModelSource(
                runID: runID, runName: setup.resolved.runName, experiment: spec.name, specHash: setup.resolved.hash,
                epoch: outcome.bestEpoch, selectedBy: outcome.selectedBy),
            toolVersion: options.toolVersion, model: learner.model)
        let weights = RunnerPaths.weights(in: folder)
        if let holder = try store.takenOver(runID) { throw RunnerError.takenOver(run: runID, by: holder) }
        try bundle.save(to: weights)
        // Replacing: a run resumed after its weights were recorded (its worker killed before `finish`) keeps one row.
        try store.replaceArtifact(runID: runID, kind: "weights", path: weights.path)
        outcome.weights = weights.path
        try store.finish(runID)
        outcome.status = .finished
    }

    /// Runs the LR finder when enabled (recording its curve and suggestions) and returns the rate `train.lr`
    /// names: a number, or a suggestion.
    private func chooseLearningRate(_ setup: TrainingSetup, runID: Int64) throws -> Double {
        let spec = setup.spec
        var chosenName: String?
        var finder: LRFinderResult?
        if spec.lrFinder.enabled {
            let result = try setup.findLearningRate()
            finder = result
            if case .suggestion(let method) = spec.train.lr { chosenName = method.rawValue }
            try store.recordLRFinder(
                runID: runID, points: result.points.map { LRFinderPointRecord(runId: runID, point: $0) },
                suggestions: result.suggestions.map {
                    LRSuggestionRecord(
                        runId: runID, method: $0.method.rawValue, lr: $0.learningRate,
                        chosen: $0.method.rawValue == chosenName)
                })
            let text = result.suggestions.map { "\($0.method.rawValue) \(String(format: "%.2e", $0.learningRate))" }
            options.log("run \(runID): lr_find suggests " + text.joined(separator: ", "))
        }
        switch spec.train.lr {
        case .value(let value): return value
        case .range(_, let high): return high
        case .suggestion(let method):
            guard let lr = finder?.learningRate(method), lr > 0, lr.isFinite else {
                throw RunnerError.noSuggestion(method: method.rawValue, points: finder?.points.count ?? 0)
            }
            return lr
        }
    }

    /// With `data.sources`: each corpus's share of the validation and test sets evaluated on its own and
    /// recorded as split `valid/<corpus>` or `test/<corpus>` (summary and per-class metrics; the predictions
    /// are already recorded under `valid`/`test`), when the set holds more than one corpus.
    private func recordPerCorpus(
        _ setup: TrainingSetup, learner: Learner<ResNet, AnyOptimizer>, runID: Int64
    ) throws {
        for (split, indices) in [("valid", setup.split.valid), ("test", setup.split.test)] {
            let byCorpus = Dictionary(grouping: indices) { setup.features.items[$0].file.corpus ?? "" }
            guard byCorpus.count > 1 else { continue }
            for corpus in byCorpus.keys.sorted() {
                let evaluation = try learner.evaluate(byCorpus[corpus]!)
                try record(
                    evaluation, split: "\(split)/\(corpus)", runID: runID, data: setup.features, predictions: false)
                let m = evaluation.metrics
                options.log(
                    "run \(runID): \(split) \(corpus): \(evaluation.indices.count) files, accuracy "
                        + String(format: "%.4f, UAR %.4f", m.accuracy, m.unweightedAverageRecall))
            }
        }
    }

    private func record(
        _ evaluation: Evaluation, split: String, runID: Int64, data: FeatureDataset,
        predictions withPredictions: Bool = true, unknownClasses: [String: Int]? = nil
    ) throws {
        let m = evaluation.metrics
        let names = data.classNames
        let predicted = evaluation.predictions
        let summary = EvaluationRecord(
            runId: runID, split: split, loss: m.loss.isFinite ? m.loss : nil, accuracy: m.accuracy,
            balancedAccuracy: m.unweightedAverageRecall, f1Macro: m.macroF1, labels: names,
            confusion: m.confusion.counts, unknownClasses: unknownClasses)
        let classes = m.confusion.perClass.map {
            ClassMetricRecord(
                runId: runID, split: split, label: $0.className, precision: $0.precision, recall: $0.recall, f1: $0.f1,
                support: $0.support)
        }
        let predictions: [PredictionRecord] =
            withPredictions
            ? evaluation.indices.enumerated().map { k, index in
                let p = evaluation.probabilities[k]
                return PredictionRecord(
                    runId: runID, split: split, path: data.items[index].path, label: names[evaluation.targets[k]],
                    predicted: names[predicted[k]], confidence: p[predicted[k]], probabilities: p)
            } : []
        try store.recordCheckedEvaluation(summary, classMetrics: classes, predictions: predictions)
    }

    static func metrics(_ evaluation: Evaluation) -> OutcomeMetrics {
        let m = evaluation.metrics
        return OutcomeMetrics(
            loss: m.loss.isFinite ? m.loss : nil, accuracy: m.accuracy, uar: m.unweightedAverageRecall,
            f1Macro: m.macroF1)
    }
}

/// The run in progress and its recorded epochs, read by signal handlers on another thread.
final class RunnerState: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (runID: Int64, epochs: Int)?
    var current: (runID: Int64, epochs: Int)? { lock.withLock { value } }
    func begin(_ runID: Int64) { lock.withLock { value = (runID, 0) } }
    func recorded(_ epochs: Int) { lock.withLock { if value != nil { value!.epochs = epochs } } }
    func end() { lock.withLock { value = value.map { ($0.runID, $0.epochs) } } }
}
