import Foundation
import GRDB
import RunStore

/// The PostgreSQL dialect of the store's schema: the same named migrations as the SQLite `Schema`, in the same
/// order, recorded in a table of the same name (`grdb_migrations`, column `identifier`).
///
/// Porting a SQLite migration: `INTEGER PRIMARY KEY AUTOINCREMENT` → `BIGSERIAL PRIMARY KEY`, `INTEGER` →
/// `BIGINT`, `REAL` → `DOUBLE PRECISION`, `DATETIME` → `TEXT` (times stay GRDB's text, so both backends compare
/// and decode them alike), `BOOLEAN` → `BIGINT` (0/1, as SQLite stores it), drop `WITHOUT ROWID`.
enum PostgresSchema {
    static let migrationsTable = "grdb_migrations"

    /// (name, statements) in order; each migration runs in its own transaction.
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v1-runs",
            [
                """
                CREATE TABLE experiment (
                    id BIGSERIAL PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    description TEXT NOT NULL DEFAULT '',
                    created_at TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE run (
                    id BIGSERIAL PRIMARY KEY,
                    experiment_id BIGINT NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    sweep TEXT NOT NULL DEFAULT '',
                    spec_yaml TEXT NOT NULL,
                    spec_hash TEXT NOT NULL,
                    status TEXT NOT NULL
                        CHECK (status IN ('queued', 'running', 'finished', 'failed', 'interrupted')),
                    error TEXT,
                    seed BIGINT NOT NULL,
                    tool_version TEXT NOT NULL,
                    host TEXT NOT NULL,
                    pid BIGINT,
                    created_at TEXT NOT NULL,
                    started_at TEXT,
                    ended_at TEXT,
                    heartbeat_at TEXT
                )
                """,
                "CREATE INDEX run_experiment ON run(experiment_id)",
                "CREATE INDEX run_status ON run(status)",
                """
                CREATE TABLE epoch_metric (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    epoch BIGINT NOT NULL CHECK (epoch >= 1),
                    train_loss DOUBLE PRECISION,
                    valid_loss DOUBLE PRECISION,
                    accuracy DOUBLE PRECISION,
                    balanced_accuracy DOUBLE PRECISION,
                    f1_macro DOUBLE PRECISION,
                    lr DOUBLE PRECISION,
                    seconds DOUBLE PRECISION,
                    recorded_at TEXT NOT NULL,
                    PRIMARY KEY (run_id, epoch)
                )
                """,
            ]
        ),
        (
            "v2-evaluation",
            [
                """
                CREATE TABLE evaluation (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    split TEXT NOT NULL,
                    loss DOUBLE PRECISION,
                    accuracy DOUBLE PRECISION NOT NULL,
                    balanced_accuracy DOUBLE PRECISION NOT NULL,
                    f1_macro DOUBLE PRECISION NOT NULL,
                    labels TEXT NOT NULL,
                    confusion TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    PRIMARY KEY (run_id, split)
                )
                """,
                """
                CREATE TABLE class_metric (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    split TEXT NOT NULL,
                    label TEXT NOT NULL,
                    "precision" DOUBLE PRECISION NOT NULL,
                    recall DOUBLE PRECISION NOT NULL,
                    f1 DOUBLE PRECISION NOT NULL,
                    support BIGINT NOT NULL,
                    PRIMARY KEY (run_id, split, label)
                )
                """,
                """
                CREATE TABLE prediction (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    split TEXT NOT NULL,
                    path TEXT NOT NULL,
                    label TEXT NOT NULL,
                    predicted TEXT NOT NULL,
                    confidence DOUBLE PRECISION NOT NULL,
                    probabilities TEXT,
                    PRIMARY KEY (run_id, split, path)
                )
                """,
            ]
        ),
        (
            "v3-lr-finder-artifacts",
            [
                """
                CREATE TABLE lr_finder_point (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    iteration BIGINT NOT NULL,
                    lr DOUBLE PRECISION NOT NULL,
                    loss DOUBLE PRECISION NOT NULL,
                    smoothed_loss DOUBLE PRECISION,
                    PRIMARY KEY (run_id, iteration)
                )
                """,
                """
                CREATE TABLE lr_suggestion (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    method TEXT NOT NULL,
                    lr DOUBLE PRECISION NOT NULL,
                    chosen BIGINT NOT NULL DEFAULT 0,
                    PRIMARY KEY (run_id, method)
                )
                """,
                """
                CREATE TABLE artifact (
                    id BIGSERIAL PRIMARY KEY,
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    bytes BIGINT NOT NULL,
                    epoch BIGINT,
                    created_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX artifact_run ON artifact(run_id, kind)",
            ]
        ),
        (
            "v4-store-identity",
            [
                """
                CREATE TABLE store_identity (
                    id BIGINT PRIMARY KEY CHECK (id = 1),
                    uuid TEXT NOT NULL,
                    legacy_runs_through BIGINT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                // A new PostgreSQL store has no legacy runs: every run keeps its folder under the artifact root.
                """
                INSERT INTO store_identity (id, uuid, legacy_runs_through, created_at)
                    VALUES (1, ?, COALESCE((SELECT MAX(id) FROM run), 0), ?)
                """,
            ]
        ),
        (
            "v5-params-groups",
            [
                """
                CREATE TABLE param (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ('int', 'float', 'bool', 'string', 'list')),
                    PRIMARY KEY (run_id, key)
                )
                """,
                "CREATE INDEX param_key ON param(key, value)",
                """
                CREATE TABLE run_group (
                    id BIGSERIAL PRIMARY KEY,
                    experiment_id BIGINT NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('kfold', 'sweep')),
                    label TEXT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE run_group_member (
                    group_id BIGINT NOT NULL REFERENCES run_group(id) ON DELETE CASCADE,
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    PRIMARY KEY (group_id, run_id)
                )
                """,
                "CREATE INDEX run_group_member_run ON run_group_member(run_id)",
                """
                CREATE TABLE group_metric (
                    group_id BIGINT NOT NULL REFERENCES run_group(id) ON DELETE CASCADE,
                    metric TEXT NOT NULL,
                    mean DOUBLE PRECISION NOT NULL,
                    std DOUBLE PRECISION,
                    n BIGINT NOT NULL,
                    runs BIGINT NOT NULL,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (group_id, metric)
                )
                """,
                // SQLite's julianday difference in minutes: the times are GRDB's text, which casts to TIMESTAMP.
                """
                CREATE VIEW run_metrics AS
                SELECT run.id AS run_id, experiment.name AS experiment, run.name, run.sweep, run.status,
                    run.error, run.started_at AS started,
                    ROUND(CAST(EXTRACT(EPOCH FROM (CAST(COALESCE(run.ended_at, run.heartbeat_at) AS TIMESTAMP)
                        - CAST(run.started_at AS TIMESTAMP))) / 60 AS NUMERIC), 2) AS minutes,
                    (SELECT COUNT(*) FROM epoch_metric e WHERE e.run_id = run.id) AS epochs,
                    (SELECT accuracy FROM epoch_metric e WHERE e.run_id = run.id ORDER BY epoch DESC LIMIT 1)
                        AS final_accuracy,
                    (SELECT balanced_accuracy FROM epoch_metric e WHERE e.run_id = run.id
                        ORDER BY epoch DESC LIMIT 1) AS final_uar,
                    (SELECT f1_macro FROM epoch_metric e WHERE e.run_id = run.id ORDER BY epoch DESC LIMIT 1)
                        AS final_f1,
                    (SELECT MAX(accuracy) FROM epoch_metric e WHERE e.run_id = run.id) AS best_accuracy,
                    (SELECT MAX(balanced_accuracy) FROM epoch_metric e WHERE e.run_id = run.id) AS best_uar,
                    (SELECT MAX(f1_macro) FROM epoch_metric e WHERE e.run_id = run.id) AS best_f1,
                    (SELECT accuracy FROM evaluation v WHERE v.run_id = run.id AND v.split = 'test')
                        AS test_accuracy,
                    (SELECT balanced_accuracy FROM evaluation v WHERE v.run_id = run.id AND v.split = 'test')
                        AS test_uar,
                    (SELECT f1_macro FROM evaluation v WHERE v.run_id = run.id AND v.split = 'test') AS test_f1
                FROM run JOIN experiment ON experiment.id = run.experiment_id
                """,
                """
                CREATE VIEW group_summary AS
                SELECT g.id AS group_id, experiment.name AS experiment, g.kind, g.label, m.metric, m.mean,
                    m.std, m.n, m.runs, m.updated_at
                FROM run_group g JOIN experiment ON experiment.id = g.experiment_id
                JOIN group_metric m ON m.group_id = g.id
                """,
            ]
        ),
        (
            "v6-run-environment",
            [
                """
                CREATE TABLE run_environment (
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    seq BIGINT NOT NULL CHECK (seq >= 1),
                    cpu_model TEXT NOT NULL,
                    cores BIGINT NOT NULL,
                    os TEXT NOT NULL,
                    host TEXT NOT NULL,
                    blas_library TEXT NOT NULL,
                    blas_version TEXT NOT NULL,
                    blas_core TEXT NOT NULL,
                    blas_core_forced BIGINT NOT NULL,
                    threads BIGINT NOT NULL,
                    blas_threads BIGINT NOT NULL,
                    ser_version TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    PRIMARY KEY (run_id, seq)
                )
                """
            ]
        ),
        (
            "v7-stored-evaluations",
            [
                """
                CREATE TABLE stored_evaluation (
                    id BIGSERIAL PRIMARY KEY,
                    run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                    model_path TEXT NOT NULL,
                    model_sha256 TEXT NOT NULL,
                    data_path TEXT NOT NULL,
                    layout TEXT NOT NULL,
                    files BIGINT NOT NULL,
                    excluded BIGINT NOT NULL,
                    accuracy DOUBLE PRECISION NOT NULL,
                    balanced_accuracy DOUBLE PRECISION NOT NULL,
                    f1_macro DOUBLE PRECISION NOT NULL,
                    labels TEXT NOT NULL,
                    confusion TEXT NOT NULL,
                    per_class TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX stored_evaluation_run ON stored_evaluation(run_id)",
            ]
        ),
        (
            "v8-queue-workers",
            [
                """
                CREATE TABLE run_queue (
                    run_id BIGINT PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                    enqueued_at TEXT NOT NULL,
                    worker TEXT,
                    claims BIGINT NOT NULL DEFAULT 0
                )
                """
            ]
        ),
        (
            "v9-run-origin",
            [
                """
                CREATE TABLE run_origin (
                    run_id BIGINT PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                    source_store TEXT NOT NULL,
                    source_run BIGINT NOT NULL,
                    copied_at TEXT NOT NULL,
                    UNIQUE (source_store, source_run)
                )
                """
            ]
        ),
        ("v10-unknown-classes", ["ALTER TABLE evaluation ADD COLUMN unknown_classes TEXT"]),
    ]

    static var migrationNames: [String] { migrations.map(\.name) }

    /// How many of the first migrations the reading commands need (as `Schema.migrationsReadingNeeds`).
    static let migrationsReadingNeeds = 3

    /// An arbitrary key for `pg_advisory_xact_lock`, serialising migrations across processes and machines.
    static let migrationLock: Int64 = 0x7365_725f_7374_6f72

    /// Applies the migrations the store lacks, each in its own transaction under the migration lock.
    /// - Throws: `RunStoreError.newerStore` when the store has migrations this `ser` does not know.
    static func migrate(_ database: PostgresStoreDatabase) throws {
        try database.write { tx in
            try tx.execute("SELECT pg_advisory_xact_lock(?)", [migrationLock])
            try tx.execute("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        }
        let unknown = try database.appliedMigrations().filter { !migrationNames.contains($0) }
        if !unknown.isEmpty {
            throw RunStoreError.newerStore(path: database.location, unknownMigrations: unknown)
        }
        for migration in migrations {
            try database.write { tx in
                try tx.execute("SELECT pg_advisory_xact_lock(?)", [migrationLock])
                guard try tx.row("SELECT 1 FROM grdb_migrations WHERE identifier = ?", [migration.name]) == nil
                else { return }
                for statement in migration.statements {
                    let arguments: [(any DatabaseValueConvertible)?] =
                        statement.contains("?") ? [UUID().uuidString.lowercased(), Date()] : []
                    try tx.execute(statement, arguments)
                }
                try tx.execute("INSERT INTO grdb_migrations (identifier) VALUES (?)", [migration.name])
            }
        }
    }

    /// Checks a store opened for reading: no unknown migrations, and those the reading commands need.
    static func checkForReading(_ database: PostgresStoreDatabase) throws {
        let applied = try database.appliedMigrations()
        let unknown = applied.filter { !migrationNames.contains($0) }
        if !unknown.isEmpty { throw RunStoreError.newerStore(path: database.location, unknownMigrations: unknown) }
        let missing = migrationNames.prefix(migrationsReadingNeeds).filter { !applied.contains($0) }
        if !missing.isEmpty { throw RunStoreError.needsMigration(path: database.location, missing: Array(missing)) }
    }
}

extension RunStore {
    /// Opens the PostgreSQL store at `url` (migrating it unless `readOnly`), with its runs' folders under
    /// `artifacts` (a folder every machine mounts).
    /// `parameters` fills the `param` rows of runs recorded before the store had them, as for a SQLite store.
    /// `artifacts` nil (commands that read or write only rows): no file of a run is read or written.
    public static func postgres(
        url: PostgresURL, artifacts: String?, readOnly: Bool, parameters: SpecParameterSource? = nil
    ) throws -> RunStore {
        let database = try PostgresStoreDatabase(url: url, readOnly: readOnly)
        if readOnly {
            try PostgresSchema.checkForReading(database)
        } else {
            try PostgresSchema.migrate(database)
        }
        let store = try RunStore(
            database: database, folders: artifacts.map { RunFolders(artifactRoot: $0) }, isReadOnly: readOnly)
        if !readOnly, let parameters { try store.fillMissingParameters(parameters) }
        return store
    }
}
