import Foundation
import RunStore
import TestSupport
import XCTest

@testable import Inference
@testable import Runner
@testable import Specs

/// A tiny spec on the synthetic corpus: 2 actors, 4 emotions (56 files), 1 s clips, 16 mel bands, a ResNet-10 of
/// width 8; two epochs take a second or two.
func tinySpec(name: String = "tiny", epochs: Int = 2, extra: String = "") -> String {
    """
    name: \(name)
    seed: 3
    data:
      synthetic: {actors: 2, seed: 1}
      labels: emotion
      emotions: [neutral, happy, sad, angry]
    audio: {sample_rate: 16000, duration: 1.0}
    features: {n_fft: 256, hop_length: 160, n_mels: 16}
    model: {depth: 10, width: 8, stem: small, dropout: 0.1}
    lr_finder: {num_it: 12, suggest: [minimum, steep]}
    train: {epochs: \(epochs), batch_size: 16, schedule: one_cycle, lr: minimum}
    split: {kind: random, valid_pct: 0.25}
    \(extra)
    """
}

/// The runner on a store in a temporary folder: queue, train, record, interrupt, resume, fail, and two
/// runners writing one store at once.
final class RunnerTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-runner") }

    func plan(_ text: String, file: String = "tiny.yaml", overrides: [String] = []) throws -> ExperimentPlan {
        let path = directory.path(file)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(
            path: path, overrides: overrides)
    }

    func runner(_ store: RunStore) -> ExperimentRunner {
        ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
    }

    func testARunIsRecordedWithEpochsFinderEvaluationPredictionsAndWeights() throws {
        let store = try RunStore(path: storePath)
        let outcomes = try runner(store).run(try plan(tinySpec()))
        XCTAssertEqual(outcomes.count, 1)
        let outcome = outcomes[0]
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        XCTAssertEqual(outcome.epochs, 2)
        let detail = try store.detail(of: outcome.runID)
        XCTAssertEqual(detail.run.status, .finished)
        XCTAssertEqual(detail.epochs.map(\.epoch), [1, 2])
        XCTAssertTrue(detail.epochs.allSatisfy { $0.accuracy != nil && $0.trainLoss != nil && $0.lr != nil })
        XCTAssertEqual(detail.lrFinder.count, 12)
        XCTAssertEqual(Set(detail.suggestions.map(\.method)), ["minimum", "steep"])
        XCTAssertEqual(detail.suggestions.filter(\.chosen).map(\.method), ["minimum"])
        let valid = try XCTUnwrap(detail.evaluations.first { $0.split == "valid" })
        XCTAssertEqual(valid.labels, ["neutral", "happy", "sad", "angry"])
        XCTAssertEqual(valid.confusion.flatMap { $0 }.reduce(0, +), 14, "a quarter of 56 files")
        XCTAssertEqual(valid.accuracy, outcome.valid?.accuracy)
        XCTAssertEqual(detail.classMetrics.filter { $0.split == "valid" }.count, 4)
        let predictions = try store.predictions(of: outcome.runID, split: "valid")
        XCTAssertEqual(predictions.count, 14)
        XCTAssertEqual(
            Double(predictions.filter { $0.label == $0.predicted }.count) / 14, valid.accuracy, accuracy: 1e-12)
        XCTAssertTrue(predictions.allSatisfy { ($0.probabilities ?? []).count == 4 })
        let weights = try XCTUnwrap(detail.artifacts.first { $0.kind == "weights" })
        // Recorded relative to the store's folder, in the store's own runs folder.
        XCTAssertEqual(weights.path, "ser-runs/\(outcome.runID)/model.safetensors")
        XCTAssertEqual(store.resolvedPath(of: weights), RunnerPaths(storePath: storePath).weights(outcome.runID).path)
        XCTAssertEqual(outcome.weights, store.resolvedPath(of: weights))
        // One checkpoint row per run: the latest.
        let checkpoints = detail.artifacts.filter { $0.kind == "checkpoint" }
        XCTAssertEqual(checkpoints.compactMap(\.epoch), [2])
        XCTAssertEqual(checkpoints.first?.path, "ser-runs/\(outcome.runID)/checkpoints/checkpoint.json")
        // The model file carries everything predict needs.
        let bundle = try ModelBundle.load(from: URL(fileURLWithPath: store.resolvedPath(of: weights)))
        XCTAssertEqual(bundle.labels, valid.labels)
        XCTAssertEqual(bundle.architecture.depth, 10)
        XCTAssertEqual(bundle.architecture.classCount, 4)
        XCTAssertEqual(bundle.features.nMels, 16)
        XCTAssertEqual(bundle.audio.frames, 101)
        XCTAssertEqual(bundle.source.runID, outcome.runID)
        XCTAssertEqual(bundle.source.specHash, detail.run.specHash)
        XCTAssertEqual(bundle.source.epoch, outcome.bestEpoch)
        // Classifying the validation files again gives the recorded probabilities.
        var classifier = bundle
        let again = try classifier.classify(files: predictions.map(\.path))
        for (prediction, probabilities) in zip(predictions, again) {
            XCTAssertEqual(bundle.labels[ModelBundle.argmax(probabilities)], prediction.predicted, prediction.path)
            assertClose(probabilities, prediction.probabilities ?? [], 1e-4)
        }
        // …and so does classify(samples:sampleRate:) on the decoded samples.
        let first = predictions[0].path
        let samples = try AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil).decoder(first, 16000)
        assertClose(try classifier.classify(samples: samples, sampleRate: 16000), again[0], 1e-4)
    }

    func testATestSetAndDatasetNormalizationAreEvaluatedAndCarriedIntoTheModelFile() throws {
        let store = try RunStore(path: storePath)
        let spec = try plan(
            tinySpec(epochs: 1),
            overrides: ["features.normalize=dataset", "test.actors=[2]", "lr_finder.enabled=false", "train.lr=0.01"])
        let outcome = try runner(store).run(spec)[0]
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        XCTAssertNotNil(outcome.test)
        let detail = try store.detail(of: outcome.runID)
        XCTAssertTrue(detail.lrFinder.isEmpty)
        XCTAssertEqual(Set(detail.evaluations.map(\.split)), ["valid", "test"])
        let test = try store.predictions(of: outcome.runID, split: "test")
        XCTAssertEqual(test.count, 28, "actor 2's files of the 4 emotions")
        XCTAssertTrue(test.allSatisfy { $0.path.contains("Actor_02") })
        XCTAssertTrue(
            try store.predictions(of: outcome.runID, split: "valid").allSatisfy { $0.path.contains("Actor_01") })
        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: try XCTUnwrap(outcome.weights)))
        guard case .dataset(let statistics) = bundle.normalization else {
            return XCTFail("expected dataset statistics in the model file, got \(bundle.normalization)")
        }
        XCTAssertEqual(statistics.mean.count, 1)
        let again = try bundle.classify(files: test.map(\.path))
        for (prediction, probabilities) in zip(test, again) {
            assertClose(probabilities, prediction.probabilities ?? [], 1e-4)
        }
    }

    /// `split.kind: none` (the final model on every file once a k-fold has chosen the recipe): every epoch is
    /// recorded without validation metrics, only the test set is evaluated, and an interrupted run resumes to
    /// the weights of an uninterrupted one.
    func testARunWithoutValidationRecordsItsEpochsAndTestSetAndResumesBitIdentically() throws {
        let store = try RunStore(path: storePath)
        let overrides = ["split={kind: none}", "test.actors=[2]", "lr_finder.enabled=false", "train.lr=0.01"]
        let straight = try runner(store).run(try plan(tinySpec(epochs: 3), overrides: overrides))[0]
        XCTAssertEqual(straight.status, .finished, straight.error ?? "")
        XCTAssertNil(straight.valid)
        XCTAssertEqual(straight.bestEpoch, 3)
        XCTAssertNotNil(straight.test)
        let detail = try store.detail(of: straight.runID)
        XCTAssertEqual(detail.evaluations.map(\.split), ["test"])
        XCTAssertEqual(detail.epochs.map(\.epoch), [1, 2, 3])
        XCTAssertTrue(detail.epochs.allSatisfy { $0.trainLoss != nil && $0.validLoss == nil && $0.accuracy == nil })
        XCTAssertTrue(
            try store.predictions(of: straight.runID, split: "test").allSatisfy { $0.path.contains("Actor_02") })

        let first = runner(store)
        first.onEpochRecorded = { [unowned first] _, epoch in
            if epoch == 1 { first.stop.request(reason: "interrupted by Ctrl-C") }
        }
        let interrupted = try first.run(try plan(tinySpec(epochs: 3), overrides: overrides))[0]
        XCTAssertEqual(interrupted.status, .interrupted)
        let resumed = try runner(store).resume(runID: interrupted.runID, loader: SpecLoader(environment: [:]))
        XCTAssertEqual(resumed.status, .finished, resumed.error ?? "")
        XCTAssertEqual(resumed.test, straight.test)
        let a = try ModelBundle.load(from: URL(fileURLWithPath: try XCTUnwrap(straight.weights)))
        let b = try ModelBundle.load(from: URL(fileURLWithPath: try XCTUnwrap(resumed.weights)))
        XCTAssertEqual(a.model.stateDict.map(\.tensor.scalars), b.model.stateDict.map(\.tensor.scalars))
    }

    func testKeepLastReportsTheLastEpochAndKeepBestTheMostAccurateOne() throws {
        let store = try RunStore(path: storePath)
        for keep in ["last", "best"] {
            let spec = try plan(
                tinySpec(name: "keep-\(keep)", epochs: 3),
                overrides: ["train.keep=\(keep)", "lr_finder.enabled=false", "train.lr=0.02"])
            let outcome = try runner(store).run(spec)[0]
            XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
            let epochs = try store.detail(of: outcome.runID).epochs
            let accuracies = epochs.compactMap(\.accuracy)
            XCTAssertEqual(accuracies.count, 3)
            let kept = keep == "last" ? 3 : accuracies.firstIndex(of: accuracies.max()!)! + 1
            XCTAssertEqual(outcome.bestEpoch, kept, keep)
            XCTAssertEqual(outcome.selectedBy, keep == "last" ? "last" : "accuracy")
            XCTAssertEqual(try XCTUnwrap(outcome.valid?.accuracy), accuracies[kept - 1], accuracy: 1e-12, keep)
            let bundle = try ModelBundle.load(from: URL(fileURLWithPath: try XCTUnwrap(outcome.weights)))
            XCTAssertEqual(bundle.source.epoch, kept)
        }
    }

    func testKeepAverageReportsTheAverageOfTheLastEpochsWeights() throws {
        let store = try RunStore(path: storePath)
        let overrides = ["lr_finder.enabled=false", "train.lr=0.02"]
        let last = try runner(store).run(
            try plan(tinySpec(name: "keep-last", epochs: 4), overrides: overrides + ["train.keep=last"]))[0]
        let averaged = try runner(store).run(
            try plan(
                tinySpec(name: "keep-average", epochs: 4),
                overrides: overrides + ["train.keep=average", "train.average_epochs=3"]))[0]
        XCTAssertEqual(averaged.status, .finished, averaged.error ?? "")
        XCTAssertEqual(averaged.selectedBy, "average of epochs 2–4")
        XCTAssertEqual(averaged.bestEpoch, 4)
        // Averaging leaves training alone: the epochs are those of the keep: last run…
        let lastEpochs = try store.detail(of: last.runID).epochs,
            averagedEpochs = try store.detail(of: averaged.runID).epochs
        XCTAssertEqual(lastEpochs.map(\.validLoss), averagedEpochs.map(\.validLoss))
        // …but the kept model is another one, which the run's evaluation and its model file describe.
        let lastBundle = try ModelBundle.load(from: URL(fileURLWithPath: try XCTUnwrap(last.weights)))
        let averagedBundle = try ModelBundle.load(from: URL(fileURLWithPath: try XCTUnwrap(averaged.weights)))
        XCTAssertNotEqual(
            lastBundle.model.stateDict.map(\.tensor.scalars), averagedBundle.model.stateDict.map(\.tensor.scalars))
        XCTAssertEqual(averagedBundle.source.selectedBy, "average of epochs 2–4")
        XCTAssertNotEqual(try XCTUnwrap(averaged.valid?.loss), try XCTUnwrap(lastEpochs.last?.validLoss))
    }

    func testStopAfterTheFirstEpochMarksTheRunInterruptedAndResumeFinishesItUnderTheSameID() throws {
        let store = try RunStore(path: storePath)
        let first = runner(store)
        first.onEpochRecorded = { [unowned first] _, epoch in
            if epoch == 1 { first.stop.request(reason: "interrupted by Ctrl-C") }
        }
        let outcome = try first.run(try plan(tinySpec(epochs: 3)))[0]
        XCTAssertEqual(outcome.status, .interrupted)
        var run = try XCTUnwrap(try store.run(outcome.runID))
        XCTAssertEqual(run.status, .interrupted)
        XCTAssertEqual(run.error, "interrupted by Ctrl-C after epoch 1")
        XCTAssertEqual(try store.epochs(of: outcome.runID).map(\.epoch), [1])
        XCTAssertEqual(try store.latestCheckpoint(of: outcome.runID)?.epoch, 1)
        XCTAssertNil(try store.detail(of: outcome.runID).artifacts.first { $0.kind == "weights" })
        // The machine was recorded when the run started; pretend it then ran on another one, so that the
        // resume here records this one again.
        let here = RunEnvironment.current(serVersion: "test")
        XCTAssertEqual(try store.environments(of: outcome.runID).map(\.environment.blasCore), [here.blasCore])
        var elsewhere = here
        elsewhere.cpuModel = "another CPU"
        elsewhere.blasCore = "Prescott"
        try store.recordEnvironment(elsewhere, runID: outcome.runID)

        let resumed = try runner(try RunStore(path: storePath)).resume(
            runID: outcome.runID, loader: SpecLoader(environment: [:]))
        XCTAssertEqual(resumed.runID, outcome.runID)
        XCTAssertEqual(resumed.status, .finished, resumed.error ?? "")
        run = try XCTUnwrap(try store.run(outcome.runID))
        XCTAssertEqual(run.status, .finished)
        XCTAssertNil(run.error)
        let epochs = try store.epochs(of: outcome.runID)
        XCTAssertEqual(epochs.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(try store.runs().count, 1, "resume adds no run")
        XCTAssertEqual(
            try store.environments(of: outcome.runID).map(\.environment.cpuModel),
            [here.cpuModel, "another CPU", here.cpuModel], "a resume on another machine shows both")
        XCTAssertNotNil(try store.detail(of: outcome.runID).artifacts.first { $0.kind == "weights" })
        XCTAssertThrowsError(try runner(store).resume(runID: outcome.runID)) { error in
            XCTAssertTrue("\(error)".contains("it has finished"), "\(error)")
        }
    }

    func testAResumeOfARunAnotherProcessHoldsIsRefusedNamingThatProcess() throws {
        let store = try RunStore(path: storePath)
        let id = try plan(tinySpec()).enqueue(in: store, toolVersion: "test")[0]
        try store.claim(id, pid: 4242, host: "elsewhere")
        XCTAssertThrowsError(try runner(store).resume(runID: id, loader: SpecLoader(environment: [:]))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("run \(id) cannot be resumed"), message)
            XCTAssertTrue(message.contains("pid 4242 on elsewhere"), message)
        }
        XCTAssertEqual(try store.run(id)?.pid, 4242, "the holder keeps the run")
    }

    func testARunRefusesAFolderThatBelongsToAnotherStoreOrHoldsUnmarkedFiles() throws {
        let store = try RunStore(path: storePath)
        let paths = RunnerPaths(storePath: storePath)
        // Run 1's folder is taken by another store's run; run 2's holds someone's files.
        let foreign = paths.runFolder(1), unmarked = paths.runFolder(2)
        for folder in [foreign, unmarked] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("someone's file".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        }
        let marker = #"{"run":1,"store":"another-store"}"#
        try Data(marker.utf8).write(to: foreign.appendingPathComponent(RunFolders.markerName))
        let outcomes =
            try runner(store).run(
                try plan(tinySpec(epochs: 1), overrides: ["lr_finder.enabled=false", "train.lr=0.01", "seed=4"]))
            + runner(store).run(try plan(tinySpec(epochs: 1), overrides: ["lr_finder.enabled=false", "train.lr=0.01"]))
        XCTAssertEqual(outcomes.map(\.status), [.failed, .failed])
        for (outcome, folder, reason) in [
            (outcomes[0], foreign, "another store (another-store)"), (outcomes[1], unmarked, "no ownership marker"),
        ] {
            let error = try XCTUnwrap(try store.run(outcome.runID)?.error)
            XCTAssertTrue(error.contains(folder.path) && error.contains(reason), error)
            XCTAssertTrue(error.contains("Move that folder away"), error)
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                folder == foreign ? [RunFolders.markerName, "notes.txt"] : ["notes.txt"], "nothing written")
        }
        XCTAssertEqual(try String(contentsOf: foreign.appendingPathComponent(RunFolders.markerName)), marker)
    }

    func testAnErrorMidTrainingFailsTheRunWithItsReasonAndKeepsEarlierEpochs() throws {
        struct Injected: Error, CustomStringConvertible { var description: String { "injected failure" } }
        let store = try RunStore(path: storePath)
        let runner = runner(store)
        runner.onEpochRecorded = { _, epoch in if epoch == 1 { throw Injected() } }
        let outcome = try runner.run(try plan(tinySpec(epochs: 3)))[0]
        XCTAssertEqual(outcome.status, .failed)
        let run = try XCTUnwrap(try store.run(outcome.runID))
        XCTAssertEqual(run.status, .failed)
        XCTAssertEqual(run.error, "injected failure")
        XCTAssertEqual(try store.epochs(of: outcome.runID).map(\.epoch), [1])
    }

    func testAMissingCorpusFolderFailsTheRunNamingThePath() throws {
        let empty = directory.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let spec = tinySpec().replacingOccurrences(of: "synthetic: {actors: 2, seed: 1}", with: "path: empty")
        let store = try RunStore(path: storePath)
        let outcome = try runner(store).run(try plan(spec))[0]
        XCTAssertEqual(outcome.status, .failed)
        let run = try XCTUnwrap(try store.run(outcome.runID))
        XCTAssertEqual(run.status, .failed)
        XCTAssertTrue(run.error?.contains("empty") == true, run.error ?? "nil")
    }

    func testTwoRunnersWritingOneStoreAtOnceLoseNothing() throws {
        let texts = [tinySpec(name: "left"), tinySpec(name: "right", extra: "sweep: {model.width: [8, 12]}")]
        let plans = try zip(texts, ["left.yaml", "right.yaml"]).map { try plan($0, file: $1) }
        _ = try RunStore(path: storePath)  // created (and migrated) once, then opened by each thread
        let results = ResultBox()
        let group = DispatchGroup()
        for plan in plans {
            DispatchQueue.global().async(group: group) {
                do {
                    let store = try RunStore(path: self.storePath)
                    let runner = ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 1))
                    results.add(try runner.run(plan))
                } catch {
                    results.add(error)
                }
            }
        }
        group.wait()
        XCTAssertTrue(results.errors.isEmpty, "\(results.errors)")
        let outcomes = results.outcomes
        XCTAssertEqual(outcomes.count, 3)
        XCTAssertTrue(outcomes.allSatisfy { $0.status == .finished }, "\(outcomes.map { ($0.status, $0.error) })")
        let store = try RunStore(path: storePath)
        XCTAssertEqual(try store.runs().count, 3)
        for outcome in outcomes {
            XCTAssertEqual(try store.epochs(of: outcome.runID).map(\.epoch), [1, 2])
            XCTAssertEqual(try store.predictions(of: outcome.runID, split: "valid").count, 14)
            let detail = try store.detail(of: outcome.runID)
            XCTAssertEqual(detail.lrFinder.count, 12)
            XCTAssertEqual(detail.artifacts.filter { $0.kind == "weights" }.count, 1)
        }
        XCTAssertEqual(Set(try store.experiments().map(\.name)), ["left", "right"])
    }
}

/// Element-wise |a − b| ≤ tolerance, same length.
func assertClose(
    _ a: [Double], _ b: [Double], _ tolerance: Double, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > tolerance {
        XCTFail("\(a) vs \(b)", file: file, line: line)
        return
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var outcomes: [RunOutcome] = []
    private(set) var errors: [Error] = []
    func add(_ o: [RunOutcome]) { lock.withLock { outcomes += o } }
    func add(_ e: Error) { lock.withLock { errors.append(e) } }
}
