import Checksum
import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// The store tests every backend passes: run here on an in-memory SQLite store, and on PostgreSQL by
/// `PostgresRunStoreTests`, which overrides ``makeStore()``.
class RunStoreTests: XCTestCase {
    /// The store a test works on.
    func makeStore() throws -> RunStore { try RunStore.inMemory() }

    /// A store whose run folders live in `directory` (a file store here).
    func makeStore(folders directory: TemporaryDirectory) throws -> RunStore {
        try RunStore(path: directory.path("store/ser.sqlite"))
    }

    func makeRun(_ store: RunStore, experiment: String = "exp", name: String = "r") throws -> Int64 {
        let experimentID = try store.findOrCreateExperiment(name: experiment).id!
        return try store.createRun(
            experimentID: experimentID, name: name, specYAML: "seed: 1\n", specHash: SHA256.hex(of: "seed: 1\n"),
            seed: 1, toolVersion: "test")
    }

    func testRunLifecycleRoundTrips() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        XCTAssertEqual(try store.run(id)?.status, .queued)
        try store.markRunning(id)
        let running = try XCTUnwrap(store.run(id))
        XCTAssertEqual(running.status, .running)
        XCTAssertEqual(running.pid, Int64(getpid()))
        XCTAssertNotNil(running.startedAt)
        for epoch in 1...3 {
            try store.recordEpoch(
                EpochMetricRecord(
                    runId: id, epoch: epoch, trainLoss: 2.0 / Double(epoch), validLoss: 1.5 / Double(epoch),
                    accuracy: 0.3 + 0.1 * Double(epoch), lr: 1e-3, seconds: 1.5))
        }
        // Re-recording an epoch replaces it.
        try store.recordEpoch(EpochMetricRecord(runId: id, epoch: 3, validLoss: 0.4, accuracy: 0.65))
        try store.finish(id)
        let finished = try XCTUnwrap(store.run(id))
        XCTAssertEqual(finished.status, .finished)
        XCTAssertNotNil(finished.endedAt)
        let epochs = try store.epochs(of: id)
        XCTAssertEqual(epochs.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(epochs[2].accuracy, 0.65)
        XCTAssertEqual(epochs[0].trainLoss, 2.0)
        let summary = try store.summary(of: id)
        XCTAssertEqual(summary.epochs, 3)
        XCTAssertEqual(summary.finalAccuracy, 0.65)
        XCTAssertEqual(summary.bestAccuracy, 0.65)
        XCTAssertEqual(summary.displayStatus, .finished)
    }

    func testFailAndInterruptKeepTheirReasonAndEpochs() throws {
        let store = try makeStore()
        let a = try makeRun(store, name: "a")
        let b = try makeRun(store, name: "b")
        try store.markRunning(a)
        try store.recordEpoch(EpochMetricRecord(runId: a, epoch: 1, accuracy: 0.5))
        try store.interrupt(a, reason: "Ctrl-C")
        try store.markRunning(b)
        try store.fail(b, reason: "out of memory")
        XCTAssertEqual(try store.run(a)?.status, .interrupted)
        XCTAssertEqual(try store.run(a)?.error, "Ctrl-C")
        XCTAssertEqual(try store.epochs(of: a).count, 1)
        XCTAssertEqual(try store.run(b)?.error, "out of memory")
        XCTAssertThrowsError(try store.finish(999)) { error in
            XCTAssertTrue("\(error)".contains("no run 999"), "\(error)")
        }
        // Resuming clears the end and error but keeps the first start time.
        let started = try store.run(a)?.startedAt
        try store.markRunning(a)
        XCTAssertEqual(try store.run(a)?.status, .running)
        XCTAssertNil(try store.run(a)?.error)
        XCTAssertEqual(try store.run(a)?.startedAt, started)
    }

    func testFindOrCreateExperimentIsIdempotent() throws {
        let store = try makeStore()
        let first = try store.findOrCreateExperiment(name: "x")
        let second = try store.findOrCreateExperiment(name: "x", description: "later")
        XCTAssertEqual(first.id, second.id)
        XCTAssertEqual(second.description, "later")
        XCTAssertEqual(try store.experiments().count, 1)
    }

    func testEvaluationLRFinderAndArtifactsRoundTrip() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        let points = (0..<5).map {
            LRFinderPointRecord(runId: 0, iteration: $0, lr: 1e-7 * pow(10, Double($0)), loss: 2 - 0.1 * Double($0))
        }
        try store.recordLRFinder(
            runID: id, points: points,
            suggestions: [
                LRSuggestionRecord(runId: 0, method: "steep", lr: 1e-4, chosen: true),
                LRSuggestionRecord(runId: 0, method: "minimum", lr: 1e-3),
            ])
        let labels = ["angry", "happy", "sad"]
        try store.recordEvaluation(
            EvaluationRecord(
                runId: id, split: "valid", loss: 0.9, accuracy: 0.7, balancedAccuracy: 0.68, f1Macro: 0.66,
                labels: labels, confusion: [[5, 1, 0], [2, 3, 1], [0, 0, 4]]),
            classMetrics: labels.map {
                ClassMetricRecord(
                    runId: id, split: "valid", label: $0, precision: 0.7, recall: 0.6, f1: 0.65, support: 6)
            },
            predictions: [
                PredictionRecord(
                    runId: id, split: "valid", path: "a.wav", label: "angry", predicted: "angry", confidence: 0.9,
                    probabilities: [0.9, 0.05, 0.05]),
                PredictionRecord(
                    runId: id, split: "valid", path: "b.wav", label: "sad", predicted: "happy", confidence: 0.5),
            ])
        let dir = TemporaryDirectory()
        let file = dir.path("weights.safetensors")
        try Data("abc".utf8).write(to: URL(fileURLWithPath: file))
        let artifact = try store.addArtifact(runID: id, kind: "weights", path: file)
        XCTAssertEqual(artifact.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(artifact.bytes, 3)
        try store.addArtifact(
            ArtifactRecord(runId: id, kind: "checkpoint", path: "c1", sha256: "x", bytes: 1, epoch: 1))
        try store.addArtifact(
            ArtifactRecord(runId: id, kind: "checkpoint", path: "c2", sha256: "y", bytes: 1, epoch: 2))
        XCTAssertEqual(try store.latestCheckpoint(of: id)?.path, "c2")

        let detail = try store.detail(of: id)
        XCTAssertEqual(detail.lrFinder.count, 5)
        XCTAssertEqual(detail.lrFinder[4].lr, 1e-3, accuracy: 1e-12)
        XCTAssertEqual(detail.suggestions.first { $0.chosen }?.method, "steep")
        XCTAssertEqual(detail.evaluations.first?.confusion, [[5, 1, 0], [2, 3, 1], [0, 0, 4]])
        XCTAssertEqual(detail.evaluations.first?.labels, labels)
        XCTAssertEqual(detail.classMetrics.count, 3)
        XCTAssertEqual(detail.artifacts.count, 3)
        let predictions = try store.predictions(of: id, split: "valid")
        XCTAssertEqual(predictions.map(\.path), ["a.wav", "b.wav"])
        XCTAssertEqual(predictions[0].probabilities, [0.9, 0.05, 0.05])
        XCTAssertNil(predictions[1].probabilities)

        // Re-evaluating a split replaces its rows; deleting the run removes everything about it.
        try store.recordEvaluation(
            EvaluationRecord(
                runId: id, split: "valid", accuracy: 1, balancedAccuracy: 1, f1Macro: 1, labels: labels,
                confusion: [[6, 0, 0], [0, 6, 0], [0, 0, 4]]),
            classMetrics: [], predictions: [])
        XCTAssertEqual(try store.detail(of: id).evaluations.count, 1)
        XCTAssertEqual(try store.predictions(of: id, split: "valid").count, 0)
        let removed = try store.deleteRun(id)
        XCTAssertEqual(removed.count, 3)
        XCTAssertNil(try store.run(id))
        let leftovers = try store.query(
            "SELECT (SELECT COUNT(*) FROM artifact) + (SELECT COUNT(*) FROM lr_finder_point) + (SELECT COUNT(*) FROM evaluation)"
        )
        XCTAssertEqual(leftovers.rows, [[.integer(0)]])
        XCTAssertThrowsError(try store.deleteRun(id))
    }

    func testListingFiltersByExperimentStatusAndRecency() throws {
        let store = try makeStore()
        let a = try makeRun(store, experiment: "alpha", name: "a")
        let b = try makeRun(store, experiment: "beta", name: "b")
        let c = try makeRun(store, experiment: "beta", name: "c")
        try store.markRunning(b)
        try store.markRunning(c)
        try store.finish(c)
        XCTAssertEqual(try store.runs().map(\.id), [c, b, a])
        XCTAssertEqual(try store.runs(RunFilter(experiment: "beta")).map(\.id), [c, b])
        XCTAssertEqual(try store.runs(RunFilter(statuses: [.queued])).map(\.id), [a])
        XCTAssertEqual(try store.runs(RunFilter(statuses: [.running, .finished])).map(\.id), [c, b])
        XCTAssertEqual(try store.runs(RunFilter(since: Date().addingTimeInterval(3600))).count, 0)
        XCTAssertEqual(try store.runs(RunFilter(since: Date().addingTimeInterval(-3600))).count, 3)
        XCTAssertEqual(try store.runs(RunFilter(limit: 1)).map(\.id), [c])
    }

    func testStaleRunsAreShownStaleWithoutChangingTheStoreUnlessAsked() throws {
        let store = try makeStore()
        let alive = try makeRun(store, name: "alive")
        let dead = try makeRun(store, name: "dead")
        let silent = try makeRun(store, name: "silent")
        try store.markRunning(alive, pid: 100, host: "here")
        try store.markRunning(dead, pid: 200, host: "here")
        try store.markRunning(silent, pid: 300, host: "elsewhere")
        let staleness = Staleness(heartbeatTimeout: 60, host: "here", isAlive: { $0 == 100 })
        func statuses(now: Date) throws -> [Int64: String] {
            Dictionary(
                uniqueKeysWithValues: try store.runs(staleness: staleness, now: now).map {
                    ($0.id, $0.displayStatus.rawValue)
                })
        }
        // Process 200 is gone; the run on another host is trusted while its heartbeat is fresh.
        XCTAssertEqual(try statuses(now: Date()), [alive: "running", dead: "stale", silent: "running"])
        // Ten minutes without a heartbeat: every running run is stale.
        XCTAssertEqual(
            try statuses(now: Date().addingTimeInterval(600)), [alive: "stale", dead: "stale", silent: "stale"])
        XCTAssertEqual(try store.runs(RunFilter(statuses: [.stale]), staleness: staleness).map(\.id), [dead])
        XCTAssertEqual(try store.run(dead)?.status, .running, "listing must not change the store")
        XCTAssertEqual(try store.interruptStaleRuns(staleness: staleness), [dead])
        XCTAssertEqual(try store.run(dead)?.status, .interrupted)
        XCTAssertEqual(try store.run(alive)?.status, .running)
        // The real check: this process exists, a huge pid does not.
        XCTAssertTrue(Staleness.processExists(Int64(getpid())))
        XCTAssertFalse(Staleness.processExists(Int64(Int32.max)))
    }

    func testCompareAndBestRankByMetricDirection() throws {
        let store = try makeStore()
        let a = try makeRun(store, experiment: "e", name: "a")
        let b = try makeRun(store, experiment: "e", name: "b")
        let other = try makeRun(store, experiment: "f", name: "other")
        let empty = try makeRun(store, experiment: "e", name: "empty")
        for (epoch, acc, loss) in [(1, 0.5, 1.0), (2, 0.8, 0.7), (3, 0.7, 0.6)] {
            try store.recordEpoch(EpochMetricRecord(runId: a, epoch: epoch, validLoss: loss, accuracy: acc))
        }
        for (epoch, acc, loss) in [(1, 0.6, 0.9), (2, 0.75, 0.5)] {
            try store.recordEpoch(EpochMetricRecord(runId: b, epoch: epoch, validLoss: loss, accuracy: acc))
        }
        try store.recordEpoch(EpochMetricRecord(runId: other, epoch: 1, validLoss: 0.1, accuracy: 0.99))
        let byAccuracy = try store.compare(experiment: "e", metric: .accuracy)
        XCTAssertEqual(byAccuracy.map(\.runID), [a, b, empty])
        XCTAssertEqual(byAccuracy[0].best, 0.8)
        XCTAssertEqual(byAccuracy[0].bestEpoch, 2)
        XCTAssertEqual(byAccuracy[0].final, 0.7)
        let byLoss = try store.compare(experiment: "e", metric: .validLoss)
        XCTAssertEqual(byLoss.map(\.runID), [b, a, empty])
        XCTAssertEqual(try store.compare(runIDs: [a, other], metric: .accuracy).map(\.runID), [other, a])
        XCTAssertEqual(try store.bestRun(metric: .accuracy)?.runID, other)
        XCTAssertEqual(try store.bestRun(metric: .validLoss, experiment: "e")?.runID, b)
        XCTAssertThrowsError(try store.bestRun(metric: .accuracy, experiment: "nope"))
        try store.recordEvaluation(
            EvaluationRecord(
                runId: b, split: "test", accuracy: 0.9, balancedAccuracy: 0.9, f1Macro: 0.9, labels: ["a"],
                confusion: [[1]]),
            classMetrics: [], predictions: [])
        XCTAssertEqual(try store.bestRun(metric: .testAccuracy)?.runID, b)
        // Once runs have kept a model, --best ranks by that model's validation value, not the best epoch's.
        for (run, accuracy) in [(a, 0.7), (b, 0.75)] {
            try store.recordEvaluation(
                EvaluationRecord(
                    runId: run, split: "valid", accuracy: accuracy, balancedAccuracy: accuracy, f1Macro: accuracy,
                    labels: ["a"], confusion: [[1]]),
                classMetrics: [], predictions: [])
        }
        let kept = try XCTUnwrap(try store.bestRun(metric: .accuracy, experiment: "e"))
        XCTAssertEqual(kept.runID, b, "a's best epoch (0.8) is higher, but the model it kept scores 0.7")
        XCTAssertEqual(kept.kept, 0.75)
        XCTAssertEqual(kept.best, 0.75)
        XCTAssertThrowsError(try StoreMetric.named("acuracy")) { error in
            XCTAssertTrue("\(error)".contains("test_uar"), "\(error)")
        }
    }

    func testCopiedRunsKeepTheirRowsAndFilesAndAreNotCopiedTwice() throws {
        let dir = TemporaryDirectory()
        let source = try RunStore(path: dir.path("source/ser.sqlite"))
        func addRun(_ name: String, weights: String) throws -> Int64 {
            let id = try makeRun(source, name: name)
            try source.markRunning(id)
            try source.recordEpoch(EpochMetricRecord(runId: id, epoch: 1, validLoss: 0.5, accuracy: 0.5))
            try source.recordEvaluation(
                EvaluationRecord(
                    runId: id, split: "valid", accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["a", "b"],
                    confusion: [[1, 0], [1, 0]]),
                classMetrics: [],
                predictions: [
                    PredictionRecord(
                        runId: id, split: "valid", path: "x.wav", label: "a", predicted: "a", confidence: 0.9)
                ])
            let file = try source.prepareRunFolder(id).appendingPathComponent("model.safetensors").path
            try Data(weights.utf8).write(to: URL(fileURLWithPath: file))
            try source.addArtifact(runID: id, kind: "weights", path: file)
            try source.finish(id)
            return id
        }
        let id = try addRun("r", weights: "w")
        // A resumed run records its weights again: two rows, one file.
        try source.addArtifact(
            runID: id, kind: "weights", path: source.resolvedPath(of: source.detail(of: id).artifacts[0]))
        let store = try makeStore(folders: dir)
        let first = try store.copyRun(id, from: source)
        XCTAssertTrue(first.copied)
        XCTAssertEqual(first.files, 1)
        XCTAssertEqual(
            try store.copyRun(id, from: source), RunCopy(sourceRun: id, run: first.run, copied: false, files: 0))
        XCTAssertEqual(try store.runs().map(\.id), [first.run])
        let detail = try store.detail(of: first.run)
        XCTAssertEqual(detail.run.status, .finished)
        XCTAssertEqual(detail.run.createdAt, try source.run(id)?.createdAt)
        XCTAssertEqual(detail.epochs.map(\.accuracy), [0.5])
        XCTAssertEqual(detail.evaluations.map(\.confusion), [[[1, 0], [1, 0]]])
        XCTAssertEqual(try store.predictions(of: first.run, split: "valid").map(\.path), ["x.wav"])
        XCTAssertEqual(detail.artifacts.count, 2)
        XCTAssertEqual(Set(detail.artifacts.map(\.path)).count, 1)
        let artifact = try XCTUnwrap(detail.artifacts.first)
        let copied = store.resolvedPath(of: artifact)
        XCTAssertEqual(try String(contentsOfFile: copied, encoding: .utf8), "w")
        XCTAssertEqual(copied, store.runFolder(of: first.run).appendingPathComponent("model.safetensors").path)
        // A file changed since it was recorded stops the copy before anything is written.
        let other = try addRun("other", weights: "x")
        try Data("tampered".utf8).write(
            to: URL(fileURLWithPath: source.resolvedPath(of: source.detail(of: other).artifacts[0])))
        XCTAssertThrowsError(try store.copyRun(other, from: source)) {
            XCTAssertTrue("\($0)".contains("SHA-256"), "\($0)")
        }
        XCTAssertEqual(try store.runs().map(\.id), [first.run])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.runFolder(of: first.run + 1).path))
    }

    /// A copy is known by its source store's identity and run id (`run_origin`): two runs that agree in every
    /// field are both copied, a copy is not copied again, also back to where it came from (A→B→A), and the
    /// run's parameters, group (with its aggregate), environments and stored evaluations come along.
    func testCopiesAreKnownByTheirOriginAndBringParamsGroupsEnvironmentsAndEvaluations() throws {
        let dir = TemporaryDirectory()
        let source = try RunStore(path: dir.path("source/ser.sqlite"))
        let experimentID = try source.findOrCreateExperiment(name: "exp").id!
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        func addRun(uar: Double) throws -> Int64 {
            let id = try source.createRun(
                RunRecord(
                    experimentId: experimentID, name: "fold", specYaml: "seed: 1\n", specHash: "h", seed: 1,
                    toolVersion: "test", createdAt: created),
                parameters: [ParamRecord(key: "model.depth", value: "18", type: "int")])
            try source.markRunning(id)
            try source.recordEpoch(EpochMetricRecord(runId: id, epoch: 1, accuracy: uar, balancedAccuracy: uar))
            try source.finish(id)
            return id
        }
        let runs = [try addRun(uar: 0.4), try addRun(uar: 0.6)]
        try source.createGroup(experimentID: experimentID, kind: .kfold, label: "", runIDs: runs)
        let environment = RunEnvironment(
            cpuModel: "cpu", cores: 2, os: "Linux", host: "h", blasLibrary: "OpenBLAS", blasVersion: "0.3",
            blasCore: "Haswell", blasCoreForced: false, threads: 2, blasThreads: 1, serVersion: "test")
        try source.recordEnvironment(environment, runID: runs[0])
        try source.recordStoredEvaluation(
            StoredEvaluationRecord(
                runId: runs[0], modelPath: "/m.safetensors", modelSha256: "s", dataPath: "/d", layout: "ravdess",
                files: 2, excluded: 0, accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["a", "b"],
                confusion: [[1, 0], [0, 1]],
                perClass: [.init(label: "a", precision: 1, recall: 1, f1: 1, support: 1)]))

        let store = try makeStore(folders: dir)
        let copies = try runs.map { try store.copyRun($0, from: source) }
        XCTAssertEqual(copies.map(\.copied), [true, true], "two runs that agree in every field are two runs")
        XCTAssertEqual(try runs.map { try store.copyRun($0, from: source).copied }, [false, false])
        XCTAssertEqual(try store.runs().count, 2)
        XCTAssertEqual(
            try store.origin(of: copies[0].run), RunOrigin(store: try XCTUnwrap(source.identity), run: runs[0]))
        XCTAssertEqual(try store.parameters(of: copies[0].run).map(\.value), ["18"])
        XCTAssertEqual(try store.environments(of: copies[0].run).map(\.environment), [environment])
        XCTAssertEqual(try store.storedEvaluations(of: copies[0].run).map(\.confusion), [[[1, 0], [0, 1]]])
        let groups = try store.groups(containing: copies[1].run)
        XCTAssertEqual(groups.map(\.runIds), [copies.map(\.run)], "the second copy joins the first one's group")
        let uar = try XCTUnwrap(groups.first?.metrics.first { $0.metric == "final_uar" })
        XCTAssertEqual(uar.n, 2)
        XCTAssertEqual(uar.mean, 0.5, accuracy: 1e-12)

        // Back to the source (A→B→A): they are its own runs, nothing is added.
        XCTAssertEqual(
            try source.copyRun(copies[0].run, from: store),
            RunCopy(sourceRun: copies[0].run, run: runs[0], copied: false, files: 0))
        XCTAssertEqual(try source.runs().count, 2)
        // On to a third store and from there back to B: still the same two runs.
        let third = try RunStore(path: dir.path("third/ser.sqlite"))
        let thirdCopy = try third.copyRun(copies[1].run, from: store)
        XCTAssertTrue(thirdCopy.copied)
        XCTAssertEqual(try store.copyRun(thirdCopy.run, from: third).run, copies[1].run)
        XCTAssertEqual(try store.runs().count, 2)
    }

    func testStorePathResolution() {
        XCTAssertEqual(RunStore.resolvePath(option: "x.sqlite", environment: ["SER_STORE": "y"]), "x.sqlite")
        XCTAssertEqual(RunStore.resolvePath(option: nil, environment: ["SER_STORE": "y"]), "y")
        XCTAssertEqual(RunStore.resolvePath(option: nil, environment: [:]), "runs/ser.sqlite")
    }
}

final class HeartbeatAndDamageTests: XCTestCase {
    func testTheHeartbeatTimerStampsTheRunUntilStopped() throws {
        let store = try RunStore.inMemory()
        let experiment = try store.findOrCreateExperiment(name: "h").id!
        let id = try store.createRun(
            experimentID: experiment, name: "h", specYAML: "", specHash: "", seed: 1, toolVersion: "t")
        try store.markRunning(id)
        let first = try XCTUnwrap(store.run(id)?.heartbeatAt)
        let heartbeat = store.startHeartbeat(id, every: 0.05)
        let deadline = Date().addingTimeInterval(10)
        while try store.run(id)?.heartbeatAt == first, Date() < deadline { usleep(20_000) }
        heartbeat.stop()
        heartbeat.stop()
        XCTAssertGreaterThan(try XCTUnwrap(store.run(id)?.heartbeatAt), first)
    }

    func testAFileThatIsNotAStoreIsRefusedAndLeftAlone() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("notes.sqlite")
        let garbage = Data(String(repeating: "not a database\n", count: 500).utf8)
        try garbage.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try RunStore(path: path)) { error in
            XCTAssertTrue("\(error)".contains("not a database"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), garbage)
    }
}
