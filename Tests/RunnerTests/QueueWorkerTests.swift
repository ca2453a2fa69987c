import Foundation
import RunStore
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

/// The worker loop in process (issue #21); the three-process test with SIGKILL is `WorkerProcessTests`.
final class QueueWorkerTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-queue-worker") }

    func plan(_ text: String) throws -> ExperimentPlan {
        let path = directory.path("tiny.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(path: path)
    }

    func runner(_ store: RunStore) -> ExperimentRunner {
        ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
    }

    func testAWorkerTakesQueueRunsOnlyAndStopsWhenIdle() throws {
        let store = try RunStore(path: storePath)
        let queued = try plan(tinySpec(epochs: 1)).enqueue(in: store, toolVersion: "test", forWorkers: true)
        let plain = try plan(tinySpec(name: "plain", epochs: 1)).enqueue(in: store, toolVersion: "test")
        let outcomes = try runner(store).work(WorkerOptions(workerID: "w", idleExit: 0))
        XCTAssertEqual(outcomes.map(\.runID), queued)
        XCTAssertEqual(outcomes.map(\.status), [.finished], "\(outcomes.map(\.error))")
        XCTAssertEqual(try store.run(plain[0])?.status, .queued, "a plain ser run's run is not a worker's")
        XCTAssertEqual(try store.queueEntries()[queued[0]]?.worker, "w")
    }

    /// Runs queued for workers are recorded as `ser run` records its runs: with their parameters and their
    /// group, whose aggregate is stored when the workers finish its runs.
    func testQueuedRunsHaveTheirParametersAndGroupAndTheAggregateAppearsWhenWorkersFinishThem() throws {
        let store = try RunStore(path: storePath)
        let spec = tinySpec(name: "swept", epochs: 1, extra: "sweep: {train.lr: [0.001, 0.002]}")
        let ids = try plan(spec).enqueue(in: store, toolVersion: "test", forWorkers: true)
        XCTAssertEqual(try store.parameters(of: ids[1]).first { $0.key == "train.lr" }?.value, "0.002")
        let group = try XCTUnwrap(try store.groups(experiment: "swept").first)
        XCTAssertEqual(group.runIds, ids)
        XCTAssertTrue(group.metrics.isEmpty, "no run has finished yet")
        let outcomes = try runner(store).work(WorkerOptions(workerID: "w", idleExit: 0))
        XCTAssertEqual(outcomes.map(\.status), [.finished, .finished], "\(outcomes.map(\.error))")
        let finished = try XCTUnwrap(try store.groups(experiment: "swept").first)
        XCTAssertEqual(finished.metrics.first { $0.metric == "final_accuracy" }?.n, 2)
    }

    /// A worker whose heartbeat looked stale to another worker loses its run: it stops before recording the
    /// next epoch or its checkpoint, and leaves the run's status to the new holder.
    func testAWorkerWhoseRunWasTakenOverStopsWritingIntoIt() throws {
        let store = try RunStore(path: storePath)
        let id = try plan(tinySpec(epochs: 3)).enqueue(in: store, toolVersion: "test", forWorkers: true)[0]
        let loser = runner(store)
        let everythingStale = Staleness(heartbeatTimeout: -1, host: "elsewhere", isAlive: { _ in true })
        loser.onEpochRecorded = { _, epoch in
            if epoch == 1 {
                _ = try store.claimNext(worker: "other", staleness: everythingStale, pid: 999_999, host: "elsewhere")
            }
        }
        let outcomes = try loser.work(WorkerOptions(workerID: "loser", maxRuns: 1))
        XCTAssertEqual(outcomes.map(\.status), [.interrupted])
        let message = try XCTUnwrap(outcomes.first?.error)
        XCTAssertTrue(message.contains("run \(id) was taken over by other"), message)
        let run = try XCTUnwrap(try store.run(id))
        XCTAssertEqual(run.status, .running, "the new holder's status is left alone")
        XCTAssertEqual(run.pid, 999_999)
        XCTAssertNil(run.error)
        XCTAssertEqual(try store.epochs(of: id).map(\.epoch), [1], "epoch 2 is not recorded by the loser")
        XCTAssertEqual(try store.latestCheckpoint(of: id)?.epoch, 1)
        XCTAssertNil(try store.detail(of: id).artifacts.first { $0.kind == "weights" })
    }
}
