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
    /// Records a new queued run for workers: the run, its parameters and its queue row, in one transaction. Returns its id.
    @discardableResult
    public func enqueueForWorkers(_ run: RunRecord, parameters: [ParamRecord] = []) throws -> Int64 {
        try write { tx in
            var run = run
            run.status = .queued
            guard let id = try tx.insert(run) else {
                throw RunStoreError.database(path: path, message: "the new run got no id")
            }
            try Self.insertParameters(runID: id, parameters, tx)
            try tx.execute("INSERT INTO run_queue (run_id, enqueued_at, claims) VALUES (?, ?, 0)", [id, Date()])
            return id
        }
    }

    /// Claims the next run of the worker queue for `worker`, in one exclusive write transaction (SQLite
    /// `BEGIN IMMEDIATE`; on PostgreSQL the rows it reads are locked `FOR UPDATE SKIP LOCKED`, so a worker passes
    /// over the run another is claiming; either way, of several workers asking at once each gets a different
    /// run): a `running` run whose
    /// worker is gone (`staleness`: its heartbeat is too old, or its process no longer exists on this host),
    /// else the queued (or Ctrl-C-interrupted) run with the lowest id. The run becomes `running` with this
    /// `pid`, `host` and a fresh heartbeat; its queue row names `worker`. Failed and finished runs are never
    /// taken. Returns nil when there is nothing to do.
    public func claimNext(
        worker: String, staleness: Staleness = Staleness(), pid: Int32 = getpid(), host: String = RunStore.hostName,
        now: Date = Date()
    ) throws -> QueueClaim? {
        try Self.mapErrors(path: path) {
            try write { tx in
                var claim: QueueClaim?
                // PostgreSQL: lock the rows read; rows another worker is claiming right now are passed over.
                let lock = tx.dialect == .postgres ? " FOR UPDATE OF run, q SKIP LOCKED" : ""
                // Runs of dead workers first (few rows: at most one per worker), then the lowest queued id.
                let running = try tx.rows(
                    """
                    SELECT run.id, run.status, run.heartbeat_at, run.host, run.pid, q.worker, q.claims
                    FROM run_queue q JOIN run ON run.id = q.run_id
                    WHERE run.status = 'running' ORDER BY run.id
                    """ + lock)
                let waiting = try tx.rows(
                    """
                    SELECT run.id, run.status, run.heartbeat_at, run.host, run.pid, q.worker, q.claims
                    FROM run_queue q JOIN run ON run.id = q.run_id
                    WHERE run.status IN ('queued', 'interrupted') ORDER BY run.id LIMIT 1
                    """ + lock)
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
                    try tx.execute(
                        """
                        UPDATE run SET status = 'running', started_at = COALESCE(started_at, ?),
                            heartbeat_at = ?, ended_at = NULL, error = NULL, pid = ?, host = ? WHERE id = ?
                        """, [now, now, Int64(pid), host, id])
                    try tx.execute(
                        "UPDATE run_queue SET worker = ?, claims = claims + 1 WHERE run_id = ?", [worker, id])
                    guard let run = try tx.fetchOne(RunRecord.self, "SELECT * FROM run WHERE id = ?", [id]) else {
                        throw RunStoreError.noSuchRun(id)
                    }
                    let q = StoreRow(row, table: "run_queue", key: "run \(id)")
                    let claims: Int = try q.value("claims")
                    claim = QueueClaim(
                        run: run, previousStatus: status, previousWorker: try q.optional("worker"),
                        claims: claims + 1)
                    break
                }
                return claim
            }
        }
    }

    /// Who holds run `runID` when it is `running` but not by process `pid` on `host`: the worker (or `host:pid`)
    /// that took it over; nil while this process still holds it (or it is no longer running).
    public func takenOver(_ runID: Int64, pid: Int32 = getpid(), host: String = RunStore.hostName) throws -> String? {
        try read { tx in
            guard let run = try tx.fetchOne(RunRecord.self, "SELECT * FROM run WHERE id = ?", [runID]) else {
                throw RunStoreError.noSuchRun(runID)
            }
            guard run.status == .running, run.pid != Int64(pid) || run.host != host else { return nil }
            let worker: String? =
                try tx.tableExists("run_queue")
                ? try tx.row("SELECT worker FROM run_queue WHERE run_id = ?", [runID])?["worker"]
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
        try read { tx in
            guard try tx.tableExists("run_queue") else { return [:] }
            var entries: [Int64: QueueEntry] = [:]
            for row in try tx.rows("SELECT run_id, worker, claims FROM run_queue") {
                let r = StoreRow(row, table: "run_queue", key: StoreRow.runKey(row, column: "run_id"))
                let entry = QueueEntry(
                    runID: try r.value("run_id"), worker: try r.optional("worker"), claims: try r.value("claims"))
                entries[entry.runID] = entry
            }
            return entries
        }
    }

    private func queueRows() throws -> [(status: RunStatus, heartbeat: Date?, host: String, pid: Int64?)] {
        try read { tx in
            guard try tx.tableExists("run_queue") else { return [] }
            return try tx.rows(
                """
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
