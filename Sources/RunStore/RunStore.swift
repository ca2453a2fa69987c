import Checksum
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// Errors of the run store; each names the store or the run it is about.
public enum RunStoreError: Error, CustomStringConvertible, LocalizedError {
    case newerStore(path: String, unknownMigrations: [String])
    case noSuchRun(Int64)
    case noSuchExperiment(String)
    case cannotCreateDirectory(String, String)
    case unknownMetric(String)

    public var description: String {
        switch self {
        case .newerStore(let path, let unknown):
            return
                "\(path) was written by a newer ser (it has migrations \(unknown.joined(separator: ", ")) this version does not know); use a newer ser or another --store."
        case .noSuchRun(let id): return "no run \(id) in the store (`ser runs` lists them)."
        case .noSuchExperiment(let name): return "no experiment named '\(name)' in the store."
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create the folder \(path) for the store: \(reason)"
        case .unknownMetric(let name):
            return
                "unknown metric '\(name)'; expected one of \(StoreMetric.allCases.map(\.rawValue).joined(separator: ", "))."
        }
    }

    public var errorDescription: String? { description }
}

/// The SQLite database where runs, their metrics and artifacts are recorded (through GRDB).
///
/// A file-backed store is a WAL-mode `DatabasePool`: any number of processes may read and write it at once;
/// a writer that finds the database locked waits (busy timeout, 60 s) instead of failing. Opening a store
/// applies the migrations it lacks (see `Schema`), serialised across processes by a lock on its folder.
/// Every method is synchronous and thread-safe.
public final class RunStore: @unchecked Sendable {
    /// The default store path, relative to the working directory.
    public static let defaultPath = "runs/ser.sqlite"
    /// The environment variable that overrides the default store path.
    public static let environmentVariable = "SER_STORE"

    /// The store's file path (`:memory:` for an in-memory store).
    public let path: String
    let writer: any DatabaseWriter

    /// The path to use: the explicit option, else `SER_STORE`, else `runs/ser.sqlite`.
    public static func resolvePath(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let option, !option.isEmpty { return option }
        if let value = environment[environmentVariable], !value.isEmpty { return value }
        return defaultPath
    }

    /// This machine's host name, recorded with each run to tell whether its process is still alive.
    public static let hostName: String = ProcessInfo.processInfo.hostName

    static func configuration(readonly: Bool = false) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.readonly = readonly
        configuration.foreignKeysEnabled = true
        configuration.label = "ser.RunStore"
        return configuration
    }

    /// Opens (creating it and its folder if needed) the store at `path`, migrated to the current schema.
    /// - Throws: `RunStoreError.newerStore` for a store written by a newer `ser`; GRDB's `DatabaseError`
    ///   (with SQLite's message) for a file that is not a database.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunStoreError.cannotCreateDirectory(folder.path, error.localizedDescription)
        }
        self.path = path
        writer = try FolderLock.withLock(on: folder.path) {
            let pool = try DatabasePool(path: path, configuration: Self.configuration())
            try Self.migrate(pool, path: path)
            return pool
        }
    }

    /// A private in-memory store (for tests and dry runs).
    public static func inMemory() throws -> RunStore {
        let queue = try DatabaseQueue(configuration: configuration())
        try migrate(queue, path: ":memory:")
        return RunStore(writer: queue, path: ":memory:")
    }

    private init(writer: any DatabaseWriter, path: String) {
        self.writer = writer
        self.path = path
    }

    /// A store with only the first `count` migrations applied, as an older `ser` would have left it
    /// (for migration tests).
    static func createOldStore(path: String, migrations count: Int) throws {
        let queue = try DatabaseQueue(path: path, configuration: configuration())
        try Schema.migrator.migrate(queue, upTo: Schema.migrationNames[count - 1])
    }

    static func migrate(_ writer: any DatabaseWriter, path: String) throws {
        let migrator = Schema.migrator
        let unknown = try writer.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            let known = Set(Schema.migrationNames)
            return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted()
        }
        if !unknown.isEmpty { throw RunStoreError.newerStore(path: path, unknownMigrations: unknown) }
        try migrator.migrate(writer)
    }

    /// The migrations applied to this store, in order.
    public func appliedMigrations() throws -> [String] {
        try writer.read { try Schema.migrator.appliedMigrations($0) }
    }

    // MARK: - Experiments

    /// The experiment called `name`, created if it does not exist yet (safe against concurrent creators).
    /// An existing experiment keeps its description unless it was empty.
    @discardableResult
    public func findOrCreateExperiment(name: String, description: String = "") throws -> Experiment {
        try writer.write { db in
            try db.execute(
                sql:
                    "INSERT INTO experiment (name, description, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
                arguments: [name, description, Date()])
            if !description.isEmpty {
                try db.execute(
                    sql: "UPDATE experiment SET description = ? WHERE name = ? AND description = ''",
                    arguments: [description, name])
            }
            return try Experiment.filter(Column("name") == name).fetchOne(db)!
        }
    }

    /// Every experiment, oldest first.
    public func experiments() throws -> [Experiment] {
        try writer.read { try Experiment.order(Column("id")).fetchAll($0) }
    }

    /// The experiment called `name`, if any.
    public func experiment(named name: String) throws -> Experiment? {
        try writer.read { try Experiment.filter(Column("name") == name).fetchOne($0) }
    }

    // MARK: - Run lifecycle

    /// Records a new run (status `queued` unless `run.status` says otherwise) and returns its id.
    @discardableResult
    public func createRun(_ run: Run) throws -> Int64 {
        try writer.write { db in
            var run = run
            try run.insert(db)
            return run.id!
        }
    }

    /// Records a new queued run of `experiment` from a resolved spec; returns its id.
    @discardableResult
    public func createRun(
        experimentID: Int64, name: String, sweep: String = "", specYAML: String, specHash: String, seed: Int64,
        toolVersion: String
    ) throws -> Int64 {
        try createRun(
            Run(
                experimentId: experimentID, name: name, sweep: sweep, specYaml: specYAML, specHash: specHash,
                seed: seed, toolVersion: toolVersion))
    }

    /// Marks a run `running` (also when resuming an interrupted or failed one), stamping start, heartbeat,
    /// this host and `pid`. The start time of a resumed run is kept; its end time and error are cleared.
    public func markRunning(_ runID: Int64, pid: Int32 = getpid(), host: String = RunStore.hostName) throws {
        try update(runID) { db, now in
            try db.execute(
                sql: """
                    UPDATE run SET status = 'running', started_at = COALESCE(started_at, ?), heartbeat_at = ?,
                        ended_at = NULL, error = NULL, pid = ?, host = ? WHERE id = ?
                    """, arguments: [now, now, Int64(pid), host, runID])
        }
    }

    /// Stamps the run's heartbeat: a running run whose heartbeat is old is shown as stale.
    public func heartbeat(_ runID: Int64) throws {
        try update(runID) { db, now in
            try db.execute(sql: "UPDATE run SET heartbeat_at = ? WHERE id = ?", arguments: [now, runID])
        }
    }

    /// Marks the run `finished`.
    public func finish(_ runID: Int64) throws { try end(runID, status: .finished, error: nil) }

    /// Marks the run `failed` with the error that stopped it.
    public func fail(_ runID: Int64, reason: String) throws { try end(runID, status: .failed, error: reason) }

    /// Marks the run `interrupted` (Ctrl-C, a stale run closed by hand); its finished epochs are kept.
    public func interrupt(_ runID: Int64, reason: String = "interrupted") throws {
        try end(runID, status: .interrupted, error: reason)
    }

    func end(_ runID: Int64, status: RunStatus, error: String?) throws {
        try update(runID) { db, now in
            try db.execute(
                sql: "UPDATE run SET status = ?, error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?",
                arguments: [status, error, now, now, runID])
        }
    }

    private func update(_ runID: Int64, _ body: @escaping (Database, Date) throws -> Void) throws {
        try writer.write { db in
            try body(db, Date())
            if db.changesCount == 0 { throw RunStoreError.noSuchRun(runID) }
        }
    }

    /// Deletes a run and everything recorded about it (metrics, evaluations, artifacts rows — not the files).
    /// Returns the artifacts it had, so the caller may delete their files.
    @discardableResult
    public func deleteRun(_ runID: Int64) throws -> [Artifact] {
        try writer.write { db in
            let artifacts = try Artifact.filter(Column("run_id") == runID).fetchAll(db)
            try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [runID])
            if db.changesCount == 0 { throw RunStoreError.noSuchRun(runID) }
            return artifacts
        }
    }

    // MARK: - Results

    /// Records (or replaces) one epoch's metrics and stamps the heartbeat, in one transaction.
    public func recordEpoch(_ metric: EpochMetric) throws {
        try writer.write { db in
            var metric = metric
            try metric.insert(db, onConflict: .replace)
            try db.execute(sql: "UPDATE run SET heartbeat_at = ? WHERE id = ?", arguments: [Date(), metric.runId])
        }
    }

    /// Drops the epochs after `epoch` (a resumed run re-records them from its checkpoint).
    public func deleteEpochs(of runID: Int64, after epoch: Int) throws {
        try writer.write { db in
            try db.execute(
                sql: "DELETE FROM epoch_metric WHERE run_id = ? AND epoch > ?", arguments: [runID, epoch])
        }
    }

    /// Records the learning-rate finder's curve and suggestions of a run, replacing earlier ones.
    public func recordLRFinder(runID: Int64, points: [LRFinderPoint], suggestions: [LRSuggestion]) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM lr_finder_point WHERE run_id = ?", arguments: [runID])
            try db.execute(sql: "DELETE FROM lr_suggestion WHERE run_id = ?", arguments: [runID])
            for var point in points {
                point.runId = runID
                try point.insert(db)
            }
            for var suggestion in suggestions {
                suggestion.runId = runID
                try suggestion.insert(db)
            }
        }
    }

    /// Records one split's evaluation — summary and confusion matrix, per-class metrics and per-file
    /// predictions — replacing an earlier evaluation of the same run and split, in one transaction.
    public func recordEvaluation(
        _ evaluation: EvaluationRecord, classMetrics: [ClassMetric], predictions: [Prediction]
    ) throws {
        try writer.write { db in
            let key: StatementArguments = [evaluation.runId, evaluation.split]
            for table in ["evaluation", "class_metric", "prediction"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE run_id = ? AND split = ?", arguments: key)
            }
            var evaluation = evaluation
            try evaluation.insert(db)
            for var metric in classMetrics {
                metric.runId = evaluation.runId
                metric.split = evaluation.split
                try metric.insert(db)
            }
            for var prediction in predictions {
                prediction.runId = evaluation.runId
                prediction.split = evaluation.split
                try prediction.insert(db)
            }
        }
    }

    /// Records a file a run produced; returns it with its id.
    @discardableResult
    public func addArtifact(_ artifact: Artifact) throws -> Artifact {
        try writer.write { db in
            var artifact = artifact
            try artifact.insert(db)
            return artifact
        }
    }

    /// Records the file at `path` as an artifact of `kind`, hashing it (SHA-256) and measuring its size.
    @discardableResult
    public func addArtifact(runID: Int64, kind: String, path: String, epoch: Int? = nil) throws -> Artifact {
        let (hash, bytes) = try SHA256.hexAndSize(ofFileAt: path)
        return try addArtifact(
            Artifact(runId: runID, kind: kind, path: path, sha256: hash, bytes: bytes, epoch: epoch))
    }

    /// The run's most recent checkpoint (artifact of kind `checkpoint` with the highest epoch), if any.
    public func latestCheckpoint(of runID: Int64) throws -> Artifact? {
        try writer.read { db in
            try Artifact.filter(Column("run_id") == runID && Column("kind") == "checkpoint")
                .order(Column("epoch").desc, Column("id").desc).fetchOne(db)
        }
    }
}

/// An exclusive `flock` on a folder, held while a store is opened and migrated, so two processes opening
/// a new store at once do not both apply the same migration. (Not on the database file itself: closing any
/// descriptor of that file would drop SQLite's own POSIX locks.)
enum FolderLock {
    static func withLock<T>(on folder: String, _ body: () throws -> T) throws -> T {
        let fd = open(folder, O_RDONLY)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
