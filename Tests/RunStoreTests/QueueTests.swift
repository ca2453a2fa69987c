import Foundation
import TestSupport
import XCTest

@testable import RunStore

/// The worker queue (issue #21): `claimNext` hands each queued run to exactly one worker, takes over runs of
/// dead workers, and leaves alone what is not its to take.
/// `PostgresQueueTests` runs them on a PostgreSQL store.
class QueueTests: XCTestCase {
    var directory: TemporaryDirectory!
    var path: String { directory.path("runs/ser.sqlite") }

    override func setUpWithError() throws { directory = TemporaryDirectory("ser-queue") }

    /// A writing open of the store (each call its own connection, as another worker's).
    func makeStore() throws -> RunStore { try RunStore(path: path) }

    /// A read-only open of the store.
    func makeReader() throws -> RunStore { try RunStore(readingPath: path) }

    func enqueue(_ store: RunStore, _ count: Int) throws -> [Int64] {
        let experiment = try store.findOrCreateExperiment(name: "queue")
        return try (0..<count).map { k in
            try store.enqueueForWorkers(
                RunRecord(
                    experimentId: experiment.id!, name: "queue \(k)", specYaml: "k: \(k)\n", specHash: "\(k)", seed: 1,
                    toolVersion: "test"))
        }
    }

    /// A worker on another host, alive by pid: only its heartbeat tells.
    let liveElsewhere = Staleness(heartbeatTimeout: 300, host: "this-host", isAlive: { _ in true })

    func testClaimsInOrderOnlyQueueRunsAndNothingTwice() throws {
        let store = try makeStore()
        XCTAssertTrue(try store.appliedMigrations().contains("v8-queue-workers"))
        let experiment = try store.findOrCreateExperiment(name: "plain")
        // A run of a plain `ser run` (no queue row): a worker never takes it.
        let plain = try store.createRun(
            experimentID: experiment.id!, name: "plain", specYAML: "x: 1\n", specHash: "x", seed: 1, toolVersion: "t")
        let ids = try enqueue(store, 3)
        XCTAssertEqual(try store.claimableCount(staleness: liveElsewhere), 3)

        let first = try XCTUnwrap(try store.claimNext(worker: "w1", staleness: liveElsewhere, pid: 11, host: "a"))
        XCTAssertEqual(first.run.id, ids[0])
        XCTAssertEqual(first.run.status, .running)
        XCTAssertEqual(first.run.pid, 11)
        XCTAssertEqual(first.run.host, "a")
        XCTAssertEqual(first.previousStatus, .queued)
        XCTAssertEqual(first.claims, 1)
        XCTAssertFalse(first.isResumption)
        let second = try XCTUnwrap(try store.claimNext(worker: "w2", staleness: liveElsewhere, pid: 12, host: "b"))
        XCTAssertEqual(second.run.id, ids[1])
        try store.fail(ids[1], reason: "broken")
        let third = try XCTUnwrap(try store.claimNext(worker: "w1", staleness: liveElsewhere, pid: 11, host: "a"))
        XCTAssertEqual(third.run.id, ids[2], "a failed run is not taken again")
        try store.finish(ids[2])
        XCTAssertNil(try store.claimNext(worker: "w3", staleness: liveElsewhere, pid: 13, host: "c"))
        XCTAssertEqual(try store.run(plain)?.status, .queued)
        XCTAssertEqual(try store.claimableCount(staleness: liveElsewhere), 0)

        let entries = try store.queueEntries()
        XCTAssertEqual(entries[ids[0]]?.worker, "w1")
        XCTAssertEqual(entries[ids[1]]?.worker, "w2")
        XCTAssertNil(entries[plain])
        let summaries = try makeReader().runs(staleness: liveElsewhere)
        XCTAssertEqual(summaries.first { $0.id == ids[2] }?.worker, "w1")
        XCTAssertNil(summaries.first { $0.id == plain }?.worker)
    }

    func testRunsOfDeadWorkersAreReclaimedAndInterruptedOnesResumed() throws {
        let store = try makeStore()
        let ids = try enqueue(store, 2)
        _ = try store.claimNext(worker: "far", staleness: liveElsewhere, pid: 21, host: "far-host")
        _ = try store.claimNext(worker: "near", staleness: liveElsewhere, pid: 22, host: "this-host")
        // Both hold their run: a live heartbeat, a live process.
        XCTAssertNil(try store.claimNext(worker: "w", staleness: liveElsewhere, pid: 1, host: "this-host"))

        // The process on this host is gone: its run is taken over at once.
        let deadHere = Staleness(heartbeatTimeout: 300, host: "this-host", isAlive: { $0 != 22 })
        let taken = try XCTUnwrap(try store.claimNext(worker: "w", staleness: deadHere, pid: 1, host: "this-host"))
        XCTAssertEqual(taken.run.id, ids[1])
        XCTAssertEqual(taken.previousStatus, .running)
        XCTAssertEqual(taken.previousWorker, "near")
        XCTAssertEqual(taken.claims, 2)
        XCTAssertTrue(taken.isResumption)

        // The other host's worker stops beating: taken over once its heartbeat is older than the timeout.
        let later = Date().addingTimeInterval(301)
        XCTAssertNil(try store.claimNext(worker: "w2", staleness: liveElsewhere, pid: 2, host: "this-host"))
        let lost = try XCTUnwrap(
            try store.claimNext(worker: "w2", staleness: liveElsewhere, pid: 2, host: "this-host", now: later))
        XCTAssertEqual(lost.run.id, ids[0])
        XCTAssertEqual(lost.previousWorker, "far")

        // A worker stopped by Ctrl-C leaves its run interrupted: the next worker continues it.
        try store.interrupt(ids[0], reason: "interrupted by Ctrl-C after epoch 2")
        let again = try XCTUnwrap(try store.claimNext(worker: "w3", staleness: liveElsewhere, pid: 3, host: "x"))
        XCTAssertEqual(again.run.id, ids[0])
        XCTAssertEqual(again.previousStatus, .interrupted)
        XCTAssertNil(again.run.error)
        XCTAssertEqual(again.claims, 3)
    }

    /// Workers on their own connections claiming at once: every run is handed out exactly once.
    func testConcurrentWorkersNeverShareARun() throws {
        let ids = try enqueue(try makeStore(), 40)
        let stores = try (0..<4).map { _ in try makeStore() }
        let lock = NSLock()
        var claimed: [Int64] = []
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                while let claim = try stores[worker].claimNext(
                    worker: "w\(worker)", staleness: liveElsewhere, pid: Int32(100 + worker), host: "h")
                {
                    lock.withLock { claimed.append(claim.run.id!) }
                }
            } catch {
                lock.withLock { failures.append("\(error)") }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(claimed.sorted(), ids)
        XCTAssertEqual(Set(try stores[0].queueEntries().values.map(\.claims)), [1])
    }
}
