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
        return migrator
    }

    /// How many of the first migrations the reading commands need (the tables they read); a store opened
    /// read-only without them is refused, later ones are optional for reading.
    static let migrationsReadingNeeds = 3

    /// The migration identifiers this version of `ser` knows, in order.
    static var migrationNames: [String] { migrator.migrations }
}
