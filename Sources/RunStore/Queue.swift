import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// A run a worker took from the queue (``RunStore/claimNext(worker:staleness:pid:host:now:)``).
public struct QueueClaim: Equatable, Sendable {
    /// The run, now `running` for the claiming worker.
    public var run: RunRecord
    /// Its status before the claim: `queued`, `interrupted` (a stopped worker), or `running` when it was
    /// reclaimed from a worker that died.
    public var previousStatus: RunStatus
    /// The worker that held it before, if any.
    public var previousWorker: String?
    /// How many times a worker has claimed it, this claim included.
    public var claims: Int

    /// Whether the run had been started before (it resumes from its last checkpoint, if it has one).
    public var isResumption: Bool { previousStatus != .queued || claims > 1 }
}

/// A run's place in the worker queue: the worker that holds (or last held) it and how often it was claimed.
public struct QueueEntry: Codable, Equatable, Sendable {
    public var runID: Int64
    public var worker: String?
    public var claims: Int
}

extension RunStore {
    /// Records a new queued run for workers: the run and its queue row, in one transaction. Returns its id.
    @discardableResult
    public func enqueueForWorkers(_ run: RunRecord) throws -> Int64 {
        try write { db in
            var run = run
            run.status = .queued
            try run.insert(db)
            try db.execute(
                sql: "INSERT INTO run_queue (run_id, enqueued_at, claims) VALUES (?, ?, 0)",
                arguments: [run.id!, Date()])
            return run.id!
        }
    }

    /// Claims the next run of the worker queue for `worker`, in one exclusive write transaction (SQLite
    /// `BEGIN IMMEDIATE`, so of several workers asking at once each gets a different run): a `running` run whose
    /// worker is gone (`staleness`: its heartbeat is too old, or its process no longer exists on this host),
    /// else the queued (or Ctrl-C-interrupted) run with the lowest id. The run becomes `running` with this
    /// `pid`, `host` and a fresh heartbeat; its queue row names `worker`. Failed and finished runs are never
    /// taken. Returns nil when there is nothing to do.
    public func claimNext(
        worker: String, staleness: Staleness = Staleness(), pid: Int32 = getpid(), host: String = RunStore.hostName,
        now: Date = Date()
    ) throws -> QueueClaim? {
        try Self.mapErrors(path: path) {
            var claim: QueueClaim?
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    // Runs of dead workers first (few rows: at most one per worker), then the lowest queued id.
                    let running = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT run.id, run.status, run.heartbeat_at, run.host, run.pid, q.worker, q.claims
                            FROM run_queue q JOIN run ON run.id = q.run_id
                            WHERE run.status = 'running' ORDER BY run.id
                            """)
                    let waiting = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT run.id, run.status, run.heartbeat_at, run.host, run.pid, q.worker, q.claims
                            FROM run_queue q JOIN run ON run.id = q.run_id
                            WHERE run.status IN ('queued', 'interrupted') ORDER BY run.id LIMIT 1
                            """)
                    let rows = running + waiting
                    for row in rows {
                        let r = StoreRow(row, table: "run", key: StoreRow.runKey(row, column: "id"))
                        let status: RunStatus = try r.value("status")
                        if status == .running,
                            !staleness.isStale(
                                status: status, heartbeat: try r.optional("heartbeat_at"), host: try r.value("host"),
                                pid: try r.optional("pid"), now: now)
                        {
                            continue
                        }
                        let id: Int64 = try r.value("id")
                        try db.execute(
                            sql: """
                                UPDATE run SET status = 'running', started_at = COALESCE(started_at, ?),
                                    heartbeat_at = ?, ended_at = NULL, error = NULL, pid = ?, host = ? WHERE id = ?
                                """, arguments: [now, now, Int64(pid), host, id])
                        try db.execute(
                            sql: "UPDATE run_queue SET worker = ?, claims = claims + 1 WHERE run_id = ?",
                            arguments: [worker, id])
                        guard let run = try RunRecord.fetchOne(db, key: id) else { throw RunStoreError.noSuchRun(id) }
                        let q = StoreRow(row, table: "run_queue", key: "run \(id)")
                        let claims: Int = try q.value("claims")
                        claim = QueueClaim(
                            run: run, previousStatus: status, previousWorker: try q.optional("worker"),
                            claims: claims + 1)
                        break
                    }
                    return .commit
                }
            }
            return claim
        }
    }

    /// Who holds run `runID` when it is `running` but not by process `pid` on `host`: the worker (or `host:pid`)
    /// that took it over; nil while this process still holds it (or it is no longer running).
    public func takenOver(_ runID: Int64, pid: Int32 = getpid(), host: String = RunStore.hostName) throws -> String? {
        try read { db in
            guard let run = try RunRecord.fetchOne(db, key: runID) else { throw RunStoreError.noSuchRun(runID) }
            guard run.status == .running, run.pid != Int64(pid) || run.host != host else { return nil }
            let worker =
                try db.tableExists("run_queue")
                ? try String.fetchOne(db, sql: "SELECT worker FROM run_queue WHERE run_id = ?", arguments: [runID])
                : nil
            return worker ?? "\(run.host):\(run.pid.map(String.init) ?? "?")"
        }
    }

    /// How many runs of the worker queue a worker could take now (as ``claimNext(worker:staleness:pid:host:now:)``
    /// would, without claiming any).
    public func claimableCount(staleness: Staleness = Staleness(), now: Date = Date()) throws -> Int {
        try queueRows().filter { row in
            row.status != .running
                || staleness.isStale(
                    status: row.status, heartbeat: row.heartbeat, host: row.host, pid: row.pid, now: now)
        }.count
    }

    /// The queue rows of every run enqueued for workers, by run id (empty for a store without a queue, such as
    /// one written by an older `ser` and opened read-only).
    public func queueEntries() throws -> [Int64: QueueEntry] {
        try read { db in
            guard try db.tableExists("run_queue") else { return [:] }
            var entries: [Int64: QueueEntry] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT run_id, worker, claims FROM run_queue") {
                let r = StoreRow(row, table: "run_queue", key: StoreRow.runKey(row, column: "run_id"))
                let entry = QueueEntry(
                    runID: try r.value("run_id"), worker: try r.optional("worker"), claims: try r.value("claims"))
                entries[entry.runID] = entry
            }
            return entries
        }
    }

    private func queueRows() throws -> [(status: RunStatus, heartbeat: Date?, host: String, pid: Int64?)] {
        try read { db in
            guard try db.tableExists("run_queue") else { return [] }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT run.id, run.status, run.heartbeat_at, run.host, run.pid
                    FROM run_queue q JOIN run ON run.id = q.run_id
                    WHERE run.status IN ('queued', 'interrupted', 'running') ORDER BY run.id
                    """
            ).map { row in
                let r = StoreRow(row, table: "run", key: StoreRow.runKey(row, column: "id"))
                return (
                    try r.value("status"), try r.optional("heartbeat_at"), try r.value("host"), try r.optional("pid")
                )
            }
        }
    }
}
