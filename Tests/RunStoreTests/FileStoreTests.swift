import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// Stores on disk: WAL mode, migrations from older schemas, read-only queries.
final class FileStoreTests: XCTestCase {
    func testFileStoreIsWALAndCreatesItsFolder() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("nested/runs/ser.sqlite")
        let store = try RunStore(path: path)
        XCTAssertEqual(try store.appliedMigrations(), Schema.migrationNames)
        let mode = try store.query("PRAGMA journal_mode")
        XCTAssertEqual(mode.rows, [[.text("wal")]])
        // Reopening is harmless.
        let again = try RunStore(path: path)
        XCTAssertEqual(try again.appliedMigrations(), Schema.migrationNames)
    }

    func testAStoreFromTheFirstVersionIsMigratedWithItsRowsIntact() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("old.sqlite")
        try RunStore.createOldStore(path: path, migrations: 1)
        // Rows as the first version wrote them, with plain SQL.
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(
                sql:
                    "INSERT INTO experiment (name, description, created_at) VALUES ('old', 'kept', '2026-01-01 10:00:00.000')"
            )
            try db.execute(
                sql: """
                    INSERT INTO run (experiment_id, name, spec_yaml, spec_hash, status, seed, tool_version, host, created_at)
                    VALUES (1, 'old run', 'seed: 7', 'abc', 'finished', 7, '0.0.1', 'h', '2026-01-01 10:00:00.000')
                    """)
            try db.execute(
                sql:
                    "INSERT INTO epoch_metric (run_id, epoch, accuracy, recorded_at) VALUES (1, 1, 0.42, '2026-01-01 10:01:00.000')"
            )
        }
        XCTAssertFalse(try old.read { try $0.tableExists("evaluation") })
        try old.close()

        let store = try RunStore(path: path)
        XCTAssertEqual(try store.appliedMigrations(), Schema.migrationNames)
        let run = try XCTUnwrap(store.run(1))
        XCTAssertEqual(run.name, "old run")
        XCTAssertEqual(run.seed, 7)
        XCTAssertEqual(run.status, .finished)
        XCTAssertEqual(try store.epochs(of: 1).first?.accuracy, 0.42)
        XCTAssertEqual(try store.experiments().first?.description, "kept")
        // The new tables work on the migrated store.
        try store.recordEvaluation(
            EvaluationRecord(
                runId: 1, split: "test", accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["a", "b"],
                confusion: [[1, 1], [0, 2]]),
            classMetrics: [], predictions: [])
        try store.addArtifact(ArtifactRecord(runId: 1, kind: "weights", path: "w", sha256: "0", bytes: 0))
        XCTAssertEqual(try store.detail(of: 1).evaluations.count, 1)
    }

    func testAStoreFromANewerVersionIsRefusedUntouched() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("new.sqlite")
        _ = try RunStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-future')") }
        try queue.close()
        XCTAssertThrowsError(try RunStore(path: path)) { error in
            XCTAssertTrue("\(error)".contains("newer ser"), "\(error)")
            XCTAssertTrue("\(error)".contains("v99-future"), "\(error)")
        }
    }

    func testReadOnlyQueryRefusesWritesWithSQLitesMessage() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        let store = try RunStore(path: path)
        let experiment = try store.findOrCreateExperiment(name: "q")
        try store.createRun(
            experimentID: experiment.id!, name: "r", specYAML: "", specHash: "", seed: 1, toolVersion: "t")
        let result = try RunStore.query(path: path, sql: "SELECT id, name, seed, error FROM run")
        XCTAssertEqual(result.columns, ["id", "name", "seed", "error"])
        XCTAssertEqual(result.rows, [[.integer(1), .text("r"), .integer(1), .null]])
        for sql in [
            "DELETE FROM run", "INSERT INTO experiment (name, created_at) VALUES ('x', 'now')", "DROP TABLE run",
            "CREATE TABLE t (x)",
        ] {
            XCTAssertThrowsError(try RunStore.query(path: path, sql: sql), sql) { error in
                XCTAssertTrue("\(error)".contains("readonly database"), "\(sql): \(error)")
            }
        }
        XCTAssertThrowsError(try RunStore.query(path: path, sql: "SELEC 1")) { error in
            XCTAssertTrue("\(error)".contains("syntax error"), "\(error)")
        }
        XCTAssertEqual(try store.runs().count, 1)
        XCTAssertThrowsError(try store.query("DELETE FROM run"))
        XCTAssertEqual(try RunStore.query(path: path, sql: "SELECT 1 UNION SELECT 2", limit: 1).rows.count, 1)
    }

    func testAQueryOfSeveralStatementsIsRefusedInOurOwnWords() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        _ = try RunStore(path: path)
        XCTAssertThrowsError(try RunStore.query(path: path, sql: "SELECT 1; SELECT 2")) { error in
            XCTAssertEqual(error as? QueryError, .multipleStatements)
            XCTAssertFalse("\(error)".contains("Database."), "quotes GRDB's API: \(error)")
        }
        XCTAssertThrowsError(try RunStore.query(path: path, sql: "  ;  ")) { error in
            XCTAssertEqual(error as? QueryError, .empty)
        }
        // A trailing semicolon is still one statement.
        XCTAssertEqual(try RunStore.query(path: path, sql: "SELECT 1;").rows, [[.integer(1)]])
    }

    func testARunawayRecursiveQueryIsStoppedAtItsTimeLimit() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        let store = try RunStore(path: path)
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        let start = Date()
        XCTAssertThrowsError(try RunStore.query(path: path, sql: endless, timeout: 0.3)) { error in
            XCTAssertEqual(error as? QueryError, .timedOut(seconds: 0.3))
            XCTAssertTrue("\(error)".contains("--timeout"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertThrowsError(try store.query(endless, timeout: 0.3)) { error in
            XCTAssertEqual(error as? QueryError, .timedOut(seconds: 0.3))
        }
        // A bounded recursion finishes, and a quick query is not interrupted later by a stale timer.
        let bounded =
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT count(*) FROM c"
        XCTAssertEqual(try RunStore.query(path: path, sql: bounded, timeout: 0.3).rows, [[.integer(1000)]])
    }
}
