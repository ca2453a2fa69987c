import Foundation
import GRDB

/// The store's schema, as named migrations applied in order and recorded in `grdb_migrations`.
///
/// Rule: a migration that has shipped is never edited; a change is a new migration appended here.
/// Opening a store applies whatever migrations it lacks, so a store from an older `ser` is upgraded in place
/// (each migration runs in its own transaction: a failure leaves the store as it was).
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        // Experiments, runs and their per-epoch metrics.
        migrator.registerMigration("v1-runs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE experiment (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        description TEXT NOT NULL DEFAULT '',
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE run (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        experiment_id INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        sweep TEXT NOT NULL DEFAULT '',
                        spec_yaml TEXT NOT NULL,
                        spec_hash TEXT NOT NULL,
                        status TEXT NOT NULL
                            CHECK (status IN ('queued', 'running', 'finished', 'failed', 'interrupted')),
                        error TEXT,
                        seed INTEGER NOT NULL,
                        tool_version TEXT NOT NULL,
                        host TEXT NOT NULL,
                        pid INTEGER,
                        created_at DATETIME NOT NULL,
                        started_at DATETIME,
                        ended_at DATETIME,
                        heartbeat_at DATETIME
                    );
                    CREATE INDEX run_experiment ON run(experiment_id);
                    CREATE INDEX run_status ON run(status);
                    CREATE TABLE epoch_metric (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        epoch INTEGER NOT NULL CHECK (epoch >= 1),
                        train_loss REAL,
                        valid_loss REAL,
                        accuracy REAL,
                        balanced_accuracy REAL,
                        f1_macro REAL,
                        lr REAL,
                        seconds REAL,
                        recorded_at DATETIME NOT NULL,
                        PRIMARY KEY (run_id, epoch)
                    ) WITHOUT ROWID;
                    """)
        }

        // Evaluations per split: confusion matrix and summary, per-class metrics, per-file predictions.
        migrator.registerMigration("v2-evaluation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE evaluation (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        split TEXT NOT NULL,
                        loss REAL,
                        accuracy REAL NOT NULL,
                        balanced_accuracy REAL NOT NULL,
                        f1_macro REAL NOT NULL,
                        labels TEXT NOT NULL,
                        confusion TEXT NOT NULL,
                        recorded_at DATETIME NOT NULL,
                        PRIMARY KEY (run_id, split)
                    ) WITHOUT ROWID;
                    CREATE TABLE class_metric (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        split TEXT NOT NULL,
                        label TEXT NOT NULL,
                        precision REAL NOT NULL,
                        recall REAL NOT NULL,
                        f1 REAL NOT NULL,
                        support INTEGER NOT NULL,
                        PRIMARY KEY (run_id, split, label)
                    ) WITHOUT ROWID;
                    CREATE TABLE prediction (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        split TEXT NOT NULL,
                        path TEXT NOT NULL,
                        label TEXT NOT NULL,
                        predicted TEXT NOT NULL,
                        confidence REAL NOT NULL,
                        probabilities TEXT,
                        PRIMARY KEY (run_id, split, path)
                    ) WITHOUT ROWID;
                    """)
        }

        // The learning-rate finder's curve and suggestions; files the runs produced.
        migrator.registerMigration("v3-lr-finder-artifacts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE lr_finder_point (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        iteration INTEGER NOT NULL,
                        lr REAL NOT NULL,
                        loss REAL NOT NULL,
                        smoothed_loss REAL,
                        PRIMARY KEY (run_id, iteration)
                    ) WITHOUT ROWID;
                    CREATE TABLE lr_suggestion (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        method TEXT NOT NULL,
                        lr REAL NOT NULL,
                        chosen BOOLEAN NOT NULL DEFAULT 0,
                        PRIMARY KEY (run_id, method)
                    ) WITHOUT ROWID;
                    CREATE TABLE artifact (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        path TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        bytes INTEGER NOT NULL,
                        epoch INTEGER,
                        created_at DATETIME NOT NULL
                    );
                    CREATE INDEX artifact_run ON artifact(run_id, kind);
                    """)
        }
        // The store's identity (a random UUID, written into the ownership marker of every run folder) and the
        // last run id recorded before it: those older runs keep their folders in `<store folder>/<run id>/`.
        migrator.registerMigration("v4-store-identity") { db in
            try db.execute(
                sql: """
                    CREATE TABLE store_identity (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        uuid TEXT NOT NULL,
                        legacy_runs_through INTEGER NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    INSERT INTO store_identity (id, uuid, legacy_runs_through, created_at) VALUES (1, ?,
                        MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'run'), 0),
                            COALESCE((SELECT MAX(id) FROM run), 0)), ?);
                    """, arguments: [UUID().uuidString.lowercased(), Date()])
        }
        // Every resolved spec key as a row (`param`, as MLflow does) so queries can filter and group by it; groups
        // of runs (the folds of a k-fold, the combinations of a sweep) and their aggregate metrics. Runs recorded
        // before this migration get their `param` rows from their stored `spec_yaml` at the next writing open
        // (``RunStore/fillMissingParameters(_:)``: RunStore cannot read YAML itself, Specs sits above it).
        migrator.registerMigration("v5-params-groups") { db in
            try db.execute(
                sql: """
                    CREATE TABLE param (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        type TEXT NOT NULL CHECK (type IN ('int', 'float', 'bool', 'string', 'list')),
                        PRIMARY KEY (run_id, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX param_key ON param(key, value);
                    CREATE TABLE run_group (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        experiment_id INTEGER NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL CHECK (kind IN ('kfold', 'sweep')),
                        label TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE run_group_member (
                        group_id INTEGER NOT NULL REFERENCES run_group(id) ON DELETE CASCADE,
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        PRIMARY KEY (group_id, run_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX run_group_member_run ON run_group_member(run_id);
                    CREATE TABLE group_metric (
                        group_id INTEGER NOT NULL REFERENCES run_group(id) ON DELETE CASCADE,
                        metric TEXT NOT NULL,
                        mean REAL NOT NULL,
                        std REAL,
                        n INTEGER NOT NULL,
                        runs INTEGER NOT NULL,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (group_id, metric)
                    ) WITHOUT ROWID;
                    CREATE VIEW run_metrics AS
                    SELECT run.id AS run_id, experiment.name AS experiment, run.name, run.sweep, run.status,
                        run.error, run.started_at AS started,
                        ROUND((julianday(COALESCE(run.ended_at, run.heartbeat_at)) - julianday(run.started_at))
                            * 1440, 2) AS minutes,
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
                    FROM run JOIN experiment ON experiment.id = run.experiment_id;
                    CREATE VIEW group_summary AS
                    SELECT g.id AS group_id, experiment.name AS experiment, g.kind, g.label, m.metric, m.mean,
                        m.std, m.n, m.runs, m.updated_at
                    FROM run_group g JOIN experiment ON experiment.id = g.experiment_id
                    JOIN group_metric m ON m.group_id = g.id;
                    """)
        }
        // The machine each run ran on, recorded when it starts and again when a resume finds it changed.
        migrator.registerMigration("v6-run-environment") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run_environment (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL CHECK (seq >= 1),
                        cpu_model TEXT NOT NULL,
                        cores INTEGER NOT NULL,
                        os TEXT NOT NULL,
                        host TEXT NOT NULL,
                        blas_library TEXT NOT NULL,
                        blas_version TEXT NOT NULL,
                        blas_core TEXT NOT NULL,
                        blas_core_forced BOOLEAN NOT NULL,
                        threads INTEGER NOT NULL,
                        blas_threads INTEGER NOT NULL,
                        ser_version TEXT NOT NULL,
                        recorded_at DATETIME NOT NULL,
                        PRIMARY KEY (run_id, seq)
                    ) WITHOUT ROWID;
                    """)
        }
        // `ser eval --store`: a model file's evaluation on a labelled corpus, kept with the run that trained it.
        migrator.registerMigration("v7-stored-evaluations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE stored_evaluation (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        model_path TEXT NOT NULL,
                        model_sha256 TEXT NOT NULL,
                        data_path TEXT NOT NULL,
                        layout TEXT NOT NULL,
                        files INTEGER NOT NULL,
                        excluded INTEGER NOT NULL,
                        accuracy REAL NOT NULL,
                        balanced_accuracy REAL NOT NULL,
                        f1_macro REAL NOT NULL,
                        labels TEXT NOT NULL,
                        confusion TEXT NOT NULL,
                        per_class TEXT NOT NULL,
                        recorded_at DATETIME NOT NULL
                    );
                    CREATE INDEX stored_evaluation_run ON stored_evaluation(run_id);
                    """)
        }
        // The work queue of `ser worker`: the runs enqueued for workers (`ser run --queue`, `ser submit`), the
        // worker that holds (or last held) each, and how often a worker claimed it (above 1: reclaimed from a
        // worker that died). Runs of a plain `ser run` have no row, so workers never take them.
        migrator.registerMigration("v8-queue-workers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run_queue (
                        run_id INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                        enqueued_at DATETIME NOT NULL,
                        worker TEXT,
                        claims INTEGER NOT NULL DEFAULT 0
                    );
                    """)
        }
        // `ser store copy`: where a copied run came from (the source store's identity and the run's id there, or
        // the origin the source had recorded for it), so a run copied again (also back, A→B→A) is found.
        migrator.registerMigration("v9-run-origin") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run_origin (
                        run_id INTEGER PRIMARY KEY REFERENCES run(id) ON DELETE CASCADE,
                        source_store TEXT NOT NULL,
                        source_run INTEGER NOT NULL,
                        copied_at DATETIME NOT NULL,
                        UNIQUE (source_store, source_run)
                    );
                    """)
        }
        // A test corpus's files of classes the model does not know: counted per class on the `test` evaluation
        // (JSON text {class: files}), NULL when every file was scored.
        migrator.registerMigration("v10-unknown-classes") { db in
            try db.execute(sql: "ALTER TABLE evaluation ADD COLUMN unknown_classes TEXT")
        }
        return migrator
    }

    /// How many of the first migrations the reading commands need (the tables they read); a store opened
    /// read-only without them is refused, later ones are optional for reading.
    static let migrationsReadingNeeds = 3

    /// The migration identifiers this version of `ser` knows, in order.
    static var migrationNames: [String] { migrator.migrations }
}
