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
    /// The file is not an SQLite database, or SQLite found it damaged (truncated, garbage pages).
    case corrupt(path: String, message: String)
    /// SQLite could not open or use the store for another reason (permissions, a full disk…).
    case database(path: String, message: String)
    /// A read-only open found a store that lacks migrations the reading commands need.
    case needsMigration(path: String, missing: [String])
    /// Another process holds the run, or it cannot run again (finished).
    case claimRefused(run: Int64, reason: String)
    /// A run folder that holds another run's files (or files without an ownership marker).
    case runFolderNotOwned(folder: String, run: Int64, reason: String)
    /// The failure note of a run folder could not be written.
    case failureNote(String, String)

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
        case .corrupt(let path, let message):
            return
                "\(path) is not a readable run store (SQLite: \(message)); restore it from a backup, or move it aside "
                + "and let `ser run` start a new one (--store PATH chooses another store)."
        case .database(let path, let message):
            return "cannot use the run store \(path): \(message)"
        case .needsMigration(let path, let missing):
            return
                "\(path) was written by an older ser and needs migrations \(missing.joined(separator: ", ")) that a "
                + "read-only open cannot apply; run a command that writes the store once (`ser run`, `ser resume`, "
                + "`ser rm`) with write access to it, or use the ser that wrote it."
        case .claimRefused(let run, let reason): return "run \(run) cannot be started: \(reason)"
        case .runFolderNotOwned(let folder, let run, let reason):
            return
                "run \(run) will not write into \(folder): \(reason). Move that folder away (it belongs to another "
                + "run or store), or give this store a folder of its own with --store, then try again."
        case .failureNote(let path, let reason): return "cannot write the failure note \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// The SQLite database where runs, their metrics and artifacts are recorded (through GRDB).
///
/// A store opened for writing (`init(path:)`) is a WAL-mode `DatabasePool`: any number of processes may read and
/// write it at once; a writer that finds the database locked waits (busy timeout, 60 s) instead of failing.
/// Opening it applies the migrations it lacks (see `Schema`), serialised across processes by a lock on its
/// folder, and marks runs whose failure only reached their failure note (``FailureNote``).
/// A store opened for reading (`init(readingPath:)`) is read-only by construction: no migration, no folder, no
/// lock file, and no `-wal`/`-shm` file created (see ``openReadOnly(path:)``).
/// Every method is synchronous and thread-safe.
public final class RunStore: @unchecked Sendable {
    /// The default store path, relative to the working directory.
    public static let defaultPath = "runs/ser.sqlite"
    /// The environment variable that overrides the default store path.
    public static let environmentVariable = "SER_STORE"

    /// The store's file path (`:memory:` for an in-memory store), or a PostgreSQL store's URL (without password).
    public let path: String
    /// The database the store's rows live in (SQLite or PostgreSQL).
    public let database: any StoreDatabase
    /// Where this store's runs keep their files.
    public let folders: RunFolders
    /// The store's random identity (nil for a store read before it had one).
    public let identity: String?
    /// Runs with an id up to this one were recorded before the store had its own runs folder.
    let legacyRunsThrough: Int64
    /// True for a store opened with `init(readingPath:)`.
    public let isReadOnly: Bool
    /// False for a PostgreSQL store opened without its artifact root (by the commands that read or write only
    /// rows): its run folders are not known here, so no file of theirs is read or written.
    public private(set) var hasArtifactRoot = true

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

    /// Opens (creating it and its folder if needed) the store at `path`, migrated to the current schema, and
    /// records the failures left in failure notes by runs that could not write them to the store.
    /// - Throws: `RunStoreError.newerStore` for a store written by a newer `ser`; `.corrupt` (naming the file)
    ///   for a file that is not a database or is damaged; `.database` for other SQLite errors.
    ///
    /// `parameters` fills the `param` rows of runs recorded before the store had them (see
    /// ``fillMissingParameters(_:)``); the commands pass Specs' flattening, through Runner.
    public init(path: String, parameters: SpecParameterSource? = nil) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunStoreError.cannotCreateDirectory(folder.path, error.localizedDescription)
        }
        self.path = path
        folders = RunFolders(storePath: path)
        isReadOnly = false
        let pool = try Self.mapErrors(path: path) {
            try FolderLock.withLock(on: folder.path) {
                let pool = try DatabasePool(path: path, configuration: Self.configuration())
                try Self.migrate(pool, path: path)
                return pool
            }
        }
        let database = SQLiteStoreDatabase(path: path, writer: pool)
        self.database = database
        (identity, legacyRunsThrough) = try Self.mapErrors(path: path) { try Self.readIdentity(database) }
        applyFailureNotes()
        if let parameters { try Self.mapErrors(path: path) { try fillMissingParameters(parameters) } }
    }

    /// Opens the existing store at `path` for reading only: no migration, no folder or lock file, and nothing
    /// written, not even SQLite's `-wal`/`-shm` files (see ``openReadOnly(path:)``). Works on a read-only file or
    /// in a read-only folder; every write through it fails.
    /// - Throws: `RunStoreError.newerStore`, `.needsMigration` for a store that lacks tables the reading
    ///   commands need, `.corrupt` or `.database` (naming the file).
    public init(readingPath path: String) throws {
        self.path = path
        folders = RunFolders(storePath: path)
        isReadOnly = true
        let queue = try Self.openReadOnly(path: path)
        let database = SQLiteStoreDatabase(path: path, writer: queue)
        self.database = database
        (identity, legacyRunsThrough) = try Self.mapErrors(path: path) {
            let applied = try queue.read { db -> [String] in
                guard try db.tableExists("grdb_migrations") else { return [] }
                return try Schema.migrator.appliedIdentifiers(db).sorted()
            }
            let unknown = applied.filter { !Schema.migrationNames.contains($0) }
            if !unknown.isEmpty { throw RunStoreError.newerStore(path: path, unknownMigrations: unknown) }
            let missing = Schema.migrationNames.prefix(Schema.migrationsReadingNeeds).filter { !applied.contains($0) }
            if !missing.isEmpty { throw RunStoreError.needsMigration(path: path, missing: Array(missing)) }
            return try Self.readIdentity(database)
        }
    }

    /// A store on another backend (`PostgresStore`): `database` is migrated already; run folders are `folders`.
    /// `folders` nil: the artifact root is not known (see ``hasArtifactRoot``).
    public init(database: any StoreDatabase, folders: RunFolders?, isReadOnly: Bool) throws {
        self.database = database
        path = database.location
        self.folders = folders ?? RunFolders(artifactRoot: "/")
        hasArtifactRoot = folders != nil
        self.isReadOnly = isReadOnly
        (identity, legacyRunsThrough) = try Self.readIdentity(database)
        if !isReadOnly && hasArtifactRoot { applyFailureNotes() }
    }

    /// The SQLite connection of a SQLite store (for tests that edit the file behind the store's back).
    var writer: any DatabaseWriter { (database as! SQLiteStoreDatabase).writer }

    /// A read-only connection to the store file at `path` that writes nothing to its folder.
    ///
    /// SQLite reads a WAL-mode database through its `-shm` and `-wal` files and creates them when they are
    /// missing (and can, as root can even in a read-only folder), leaving them behind. When the store has no
    /// `-wal` file, no connection has it open (the last one to close deletes it), so it is opened `immutable`:
    /// SQLite then takes no lock and creates no file. Otherwise the existing files are used, read-only.
    static func openReadOnly(path: String) throws -> DatabaseQueue {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let encoded = absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute
        let idle = FileKind(path: absolute + "-wal") == nil
        let uri = "file:\(encoded)?mode=ro" + (idle ? "&immutable=1" : "")
        return try mapErrors(path: path) { try DatabaseQueue(path: uri, configuration: configuration(readonly: true)) }
    }

    /// The identity row, or none and "every run is legacy" for a store without it.
    static func readIdentity(_ database: any StoreDatabase) throws -> (String?, Int64) {
        try database.read { tx in
            guard try tx.tableExists("store_identity"),
                let row = try tx.row("SELECT uuid, legacy_runs_through FROM store_identity")
            else { return (nil, Int64.max) }
            return (row["uuid"], row["legacy_runs_through"])
        }
    }

    /// A private in-memory store (for tests and dry runs).
    public static func inMemory() throws -> RunStore {
        let queue = try DatabaseQueue(configuration: configuration())
        try migrate(queue, path: ":memory:")
        let database = SQLiteStoreDatabase(path: ":memory:", writer: queue)
        let (identity, legacy) = try readIdentity(database)
        return RunStore(database: database, path: ":memory:", identity: identity, legacyRunsThrough: legacy)
    }

    private init(database: any StoreDatabase, path: String, identity: String?, legacyRunsThrough: Int64) {
        self.database = database
        self.path = path
        self.identity = identity
        self.legacyRunsThrough = legacyRunsThrough
        folders = RunFolders(storePath: path)
        isReadOnly = false
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

    /// Runs `body`, turning SQLite's errors into ones that name the store file.
    static func mapErrors<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                throw RunStoreError.corrupt(path: path, message: error.message ?? "\(error.resultCode)")
            default:
                throw RunStoreError.database(path: path, message: error.message ?? "\(error)")
            }
        }
    }

    /// A read transaction; a damaged database is reported naming the store.
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try database.read(body) }

    /// A write transaction; a damaged database is reported naming the store.
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try database.write(body) }

    /// The migrations applied to this store, in order.
    public func appliedMigrations() throws -> [String] { try database.appliedMigrations() }

    // MARK: - Experiments

    /// The experiment called `name`, created if it does not exist yet (safe against concurrent creators).
    /// An existing experiment keeps its description unless it was empty.
    @discardableResult
    public func findOrCreateExperiment(name: String, description: String = "") throws -> ExperimentRecord {
        try write { tx in
            try tx.execute(
                "INSERT INTO experiment (name, description, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
                [name, description, Date()])
            if !description.isEmpty {
                try tx.execute(
                    "UPDATE experiment SET description = ? WHERE name = ? AND description = ''", [description, name])
            }
            guard
                let experiment = try tx.fetchOne(
                    ExperimentRecord.self, "SELECT * FROM experiment WHERE name = ?", [name])
            else { throw RunStoreError.noSuchExperiment(name) }
            return experiment
        }
    }

    /// Every experiment, oldest first.
    public func experiments() throws -> [ExperimentRecord] {
        try read { try $0.fetchAll(ExperimentRecord.self, "SELECT * FROM experiment ORDER BY id") }
    }

    /// The experiment called `name`, if any.
    public func experiment(named name: String) throws -> ExperimentRecord? {
        try read { try $0.fetchOne(ExperimentRecord.self, "SELECT * FROM experiment WHERE name = ?", [name]) }
    }

    // MARK: - Run lifecycle

    /// Records a new run (status `queued` unless `run.status` says otherwise) with its resolved spec keys
    /// (`param` rows), in one transaction, and returns its id.
    @discardableResult
    public func createRun(_ run: RunRecord, parameters: [ParamRecord] = []) throws -> Int64 {
        try write { tx in
            guard let id = try tx.insert(run) else {
                throw RunStoreError.database(path: path, message: "the new run got no id")
            }
            try Self.insertParameters(runID: id, parameters, tx)
            return id
        }
    }

    /// Records a new queued run of `experiment` from a resolved spec; returns its id.
    @discardableResult
    public func createRun(
        experimentID: Int64, name: String, sweep: String = "", specYAML: String, specHash: String, seed: Int64,
        toolVersion: String, parameters: [ParamRecord] = []
    ) throws -> Int64 {
        try createRun(
            RunRecord(
                experimentId: experimentID, name: name, sweep: sweep, specYaml: specYAML, specHash: specHash,
                seed: seed, toolVersion: toolVersion), parameters: parameters)
    }

    /// Marks a run `running` (also when resuming an interrupted or failed one), stamping start, heartbeat,
    /// this host and `pid`. The start time of a resumed run is kept; its end time and error are cleared.
    public func markRunning(_ runID: Int64, pid: Int32 = getpid(), host: String = RunStore.hostName) throws {
        try update(runID) { tx, now in
            try tx.execute(
                """
                UPDATE run SET status = 'running', started_at = COALESCE(started_at, ?), heartbeat_at = ?,
                    ended_at = NULL, error = NULL, pid = ?, host = ? WHERE id = ?
                """, [now, now, Int64(pid), host, runID])
        }
    }

    /// Claims run `runID` for this process in one write transaction: a queued, failed or interrupted run, or a
    /// running one whose process is gone (`staleness`), becomes `running` with this `pid`, `host` and a fresh
    /// heartbeat (as ``markRunning(_:pid:host:)``). Of two processes claiming the same run, one wins.
    /// - Throws: `RunStoreError.claimRefused` naming who holds the run (or that it finished); `.noSuchRun`.
    @discardableResult
    public func claim(
        _ runID: Int64, staleness: Staleness = Staleness(), pid: Int32 = getpid(), host: String = RunStore.hostName
    ) throws -> RunRecord {
        try Self.mapErrors(path: path) {
            try write { tx in
                let lock = tx.dialect == .postgres ? " FOR UPDATE" : ""
                guard var run = try tx.fetchOne(RunRecord.self, "SELECT * FROM run WHERE id = ?" + lock, [runID])
                else { throw RunStoreError.noSuchRun(runID) }
                let now = Date()
                switch run.status {
                case .finished: throw RunStoreError.claimRefused(run: runID, reason: "it has finished")
                case .running
                where !staleness.isStale(
                    status: .running, heartbeat: run.heartbeatAt, host: run.host, pid: run.pid, now: now):
                    let age = run.heartbeatAt.map { ", heartbeat \(Int(now.timeIntervalSince($0))) s ago" } ?? ""
                    throw RunStoreError.claimRefused(
                        run: runID,
                        reason:
                            "it is still running (pid \(run.pid.map(String.init) ?? "?") on \(run.host)\(age)); "
                            + "wait for it to end, or stop that process")
                default: break
                }
                run.status = .running
                run.startedAt = run.startedAt ?? now
                run.heartbeatAt = now
                run.endedAt = nil
                run.error = nil
                run.pid = Int64(pid)
                run.host = host
                try tx.execute(
                    """
                    UPDATE run SET status = ?, started_at = ?, heartbeat_at = ?, ended_at = NULL, error = NULL,
                        pid = ?, host = ? WHERE id = ?
                    """, [run.status, run.startedAt, run.heartbeatAt, run.pid, run.host, runID])
                return run
            }
        }
    }

    /// Stamps the run's heartbeat: a running run whose heartbeat is old is shown as stale.
    public func heartbeat(_ runID: Int64) throws {
        try update(runID) { tx, now in
            try tx.execute("UPDATE run SET heartbeat_at = ? WHERE id = ?", [now, runID])
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

    /// Records how a run ended. A failure or interruption is retried (a full disk may free up, a lock may
    /// clear); when the store still cannot record it, it goes into the run's failure note (``FailureNote``),
    /// which the next writing open of the store records, and the store's error is rethrown.
    func end(_ runID: Int64, status: RunStatus, error reason: String?) throws {
        let record = {
            try self.update(runID) { tx, now in
                let changed = try tx.execute(
                    "UPDATE run SET status = ?, error = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?",
                    [status, reason, now, now, runID])
                // The aggregates of the run's groups, in the same transaction (whichever process ends the run).
                if status == .finished, changed > 0 { try Self.refreshGroups(containing: [runID], tx) }
                return changed
            }
        }
        guard status == .failed || status == .interrupted, !isReadOnly, path != ":memory:" else {
            return try record()
        }
        var attempt = 0
        while true {
            do {
                try record()
                return
            } catch RunStoreError.noSuchRun(let id) {
                throw RunStoreError.noSuchRun(id)
            } catch {
                attempt += 1
                if attempt < Self.endAttempts {
                    Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
                    continue
                }
                // Only into this run's own folder (its marker), where the runner preallocated the note.
                let folder = runFolder(of: runID)
                if let identity,
                    (try? RunFolderMarker.read(in: folder, runID: runID))
                        == .some(
                            RunFolderMarker(store: identity, run: runID))
                {
                    let note = FailureNote(status: status, reason: reason ?? status.rawValue, recordedAt: Date())
                    try? note.write(in: folder)
                }
                throw error
            }
        }
    }

    /// How many times a failure or interruption is tried before it goes to the failure note.
    static let endAttempts = 3

    private func update(_ runID: Int64, _ body: @escaping (any StoreTransaction, Date) throws -> Int) throws {
        try write { tx in
            if try body(tx, Date()) == 0 { throw RunStoreError.noSuchRun(runID) }
        }
    }

    /// Deletes a run and everything recorded about it (metrics, evaluations, artifacts rows — not the files).
    /// Returns the artifacts it had, so the caller may delete their files.
    @discardableResult
    public func deleteRun(_ runID: Int64) throws -> [ArtifactRecord] {
        try write { tx in
            let artifacts = try tx.fetchAll(
                ArtifactRecord.self, "SELECT * FROM artifact WHERE run_id = ? ORDER BY id", [runID])
            let groups = try Self.groupIDs(containing: [runID], tx)
            if try tx.execute("DELETE FROM run WHERE id = ?", [runID]) == 0 { throw RunStoreError.noSuchRun(runID) }
            // The aggregates of its groups no longer count it.
            try Self.refreshGroups(groups, tx)
            return artifacts
        }
    }

    // MARK: - Results

    /// Records (or replaces) one epoch's metrics and stamps the heartbeat, in one transaction.
    public func recordEpoch(_ metric: EpochMetricRecord) throws {
        try write { tx in
            try tx.insert(metric, upsert: ["run_id", "epoch"])
            try tx.execute("UPDATE run SET heartbeat_at = ? WHERE id = ?", [Date(), metric.runId])
        }
    }

    /// Drops the epochs after `epoch` (a resumed run re-records them from its checkpoint).
    public func deleteEpochs(of runID: Int64, after epoch: Int) throws {
        try write { tx in
            try tx.execute("DELETE FROM epoch_metric WHERE run_id = ? AND epoch > ?", [runID, epoch])
        }
    }

    /// Records the learning-rate finder's curve and suggestions of a run, replacing earlier ones.
    public func recordLRFinder(runID: Int64, points: [LRFinderPointRecord], suggestions: [LRSuggestionRecord]) throws {
        try write { tx in
            try tx.execute("DELETE FROM lr_finder_point WHERE run_id = ?", [runID])
            try tx.execute("DELETE FROM lr_suggestion WHERE run_id = ?", [runID])
            for var point in points {
                point.runId = runID
                try tx.insert(point)
            }
            for var suggestion in suggestions {
                suggestion.runId = runID
                try tx.insert(suggestion)
            }
        }
    }

    /// Records one split's evaluation — summary and confusion matrix, per-class metrics and per-file
    /// predictions — replacing an earlier evaluation of the same run and split, in one transaction.
    public func recordEvaluation(
        _ evaluation: EvaluationRecord, classMetrics: [ClassMetricRecord], predictions: [PredictionRecord]
    ) throws {
        try write { tx in
            for table in ["evaluation", "class_metric", "prediction"] {
                try tx.execute(
                    "DELETE FROM \(table) WHERE run_id = ? AND split = ?", [evaluation.runId, evaluation.split])
            }
            try tx.insert(evaluation)
            for var metric in classMetrics {
                metric.runId = evaluation.runId
                metric.split = evaluation.split
                try tx.insert(metric)
            }
            for var prediction in predictions {
                prediction.runId = evaluation.runId
                prediction.split = evaluation.split
                try tx.insert(prediction)
            }
        }
    }

    /// Records a file a run produced; returns it with its id.
    @discardableResult
    public func addArtifact(_ artifact: ArtifactRecord) throws -> ArtifactRecord {
        try write { tx in
            var artifact = artifact
            artifact.id = try tx.insert(artifact)
            return artifact
        }
    }

    /// Records the file at `path` as an artifact of `kind`, hashing it (SHA-256) and measuring its size. A file
    /// inside the store's folder is recorded by its path relative to that folder (``resolvedPath(of:)``).
    @discardableResult
    public func addArtifact(runID: Int64, kind: String, path: String, epoch: Int? = nil) throws -> ArtifactRecord {
        let (hash, bytes) = try SHA256.hexAndSize(ofFileAt: path)
        return try addArtifact(
            ArtifactRecord(runId: runID, kind: kind, path: storedPath(path), sha256: hash, bytes: bytes, epoch: epoch))
    }

    /// Records the file at `path` as the run's only artifact of `kind` (as ``addArtifact(runID:kind:path:epoch:)``),
    /// replacing the earlier rows of that kind in the same transaction: a run keeps one `checkpoint` row.
    @discardableResult
    public func replaceArtifact(runID: Int64, kind: String, path: String, epoch: Int? = nil) throws -> ArtifactRecord {
        let (hash, bytes) = try SHA256.hexAndSize(ofFileAt: path)
        let stored = storedPath(path)
        return try write { tx in
            try tx.execute("DELETE FROM artifact WHERE run_id = ? AND kind = ?", [runID, kind])
            var artifact = ArtifactRecord(
                runId: runID, kind: kind, path: stored, sha256: hash, bytes: bytes, epoch: epoch)
            artifact.id = try tx.insert(artifact)
            return artifact
        }
    }

    /// `path` as the store records it: relative to the store's folder when it lies inside it, else absolute.
    func storedPath(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let folder = folders.storeFolder.path.hasSuffix("/") ? folders.storeFolder.path : folders.storeFolder.path + "/"
        return absolute.hasPrefix(folder) ? String(absolute.dropFirst(folder.count)) : absolute
    }

    /// Where an artifact's file is: a relative path (what this `ser` records) is relative to the store's folder;
    /// stores written by older versions hold absolute paths, returned as they are.
    public func resolvedPath(of artifact: ArtifactRecord) -> String { resolvedPath(artifact.path) }

    func resolvedPath(_ path: String) -> String { folders.resolve(path) }

    /// The run's most recent checkpoint (artifact of kind `checkpoint` with the highest epoch), if any.
    public func latestCheckpoint(of runID: Int64) throws -> ArtifactRecord? {
        try read { tx in
            try tx.fetchOne(
                ArtifactRecord.self,
                "SELECT * FROM artifact WHERE run_id = ? AND kind = 'checkpoint' ORDER BY epoch DESC, id DESC LIMIT 1",
                [runID])
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
