import Foundation
import GRDB
import PostgresStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import RunStore

/// Every ``RunStoreTests`` test (inherited, so a new one runs here too) on a PostgreSQL store, and what is
/// particular to PostgreSQL.
final class PostgresRunStoreTests: RunStoreTests {
    var url: PostgresURL!
    let artifacts = TemporaryDirectory()

    override func setUpWithError() throws {
        try super.setUpWithError()
        url = try TestPostgres.freshURL()
    }

    override func makeStore() throws -> RunStore {
        try RunStore.postgres(url: url, artifacts: artifacts.path("root"), readOnly: false)
    }

    override func makeStore(folders directory: TemporaryDirectory) throws -> RunStore {
        try RunStore.postgres(url: url, artifacts: directory.path("root"), readOnly: false)
    }

    func testMigrationsHaveTheSQLiteNamesAndAreAppliedOnce() throws {
        let store = try makeStore()
        XCTAssertEqual(try store.appliedMigrations(), Schema.migrationNames)
        let identity = try XCTUnwrap(store.identity)
        // Opening again (another process, another machine) applies nothing and keeps the identity.
        let again = try makeStore()
        XCTAssertEqual(again.identity, identity)
        XCTAssertEqual(
            try again.query("SELECT COUNT(*) AS n FROM grdb_migrations").rows,
            [[.integer(Int64(Schema.migrationNames.count))]])
        let reader = try RunStore.postgres(url: url, artifacts: artifacts.path("root"), readOnly: true)
        XCTAssertEqual(reader.identity, identity)
    }

    func testAReadOnlyOpenOfAnEmptyDatabaseAsksForAWritingCommand() throws {
        XCTAssertThrowsError(try RunStore.postgres(url: url, artifacts: artifacts.path("root"), readOnly: true)) {
            XCTAssertTrue("\($0)".contains("needs migrations v1-runs"), "\($0)")
        }
    }

    func testAStoreFromANewerSerIsRefused() throws {
        let store = try makeStore()
        try store.database.write { try $0.execute("INSERT INTO grdb_migrations VALUES ('v99-future')") }
        XCTAssertThrowsError(try makeStore()) { XCTAssertTrue("\($0)".contains("v99-future"), "\($0)") }
    }

    func testQueryIsReadOnlyOneStatementAndTimesOut() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        XCTAssertEqual(try store.query("SELECT id, name FROM run").rows, [[.integer(id), .text("r")]])
        // A result without rows still names its columns, as on SQLite.
        let none = try store.query("SELECT id, name AS run_name FROM run WHERE id < 0")
        XCTAssertEqual(none.columns, ["id", "run_name"])
        XCTAssertEqual(none.rows, [])
        XCTAssertThrowsError(try store.query("DELETE FROM run")) {
            XCTAssertTrue("\($0)".contains("read-only transaction"), "\($0)")
        }
        XCTAssertEqual(try store.run(id)?.name, "r")
        XCTAssertThrowsError(try store.query("SELECT 1; SELECT 2")) {
            XCTAssertEqual($0 as? QueryError, .multipleStatements)
        }
        XCTAssertThrowsError(try store.query("  ; ")) { XCTAssertEqual($0 as? QueryError, .empty) }
        let started = Date()
        XCTAssertThrowsError(try store.query("SELECT pg_sleep(30)", timeout: 0.3)) {
            XCTAssertEqual($0 as? QueryError, .timedOut(seconds: 0.3))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        // The connection is usable after the cancelled statement.
        XCTAssertEqual(try store.runs().map(\.id), [id])
    }

    func testAReadOnlyStoreRefusesWrites() throws {
        let id = try makeRun(try makeStore())
        let reader = try RunStore.postgres(url: url, artifacts: artifacts.path("root"), readOnly: true)
        XCTAssertThrowsError(try reader.heartbeat(id)) {
            XCTAssertTrue("\($0)".contains("read-only transaction"), "\($0)")
        }
    }

    func testOfTwoClaimsOneWins() throws {
        let store = try makeStore()
        let other = try makeStore()
        let id = try makeRun(store)
        try store.claim(id)
        XCTAssertThrowsError(try other.claim(id, pid: getpid() + 1)) {
            XCTAssertTrue("\($0)".contains("still running"), "\($0)")
        }
        XCTAssertEqual(try other.run(id)?.pid, Int64(getpid()))
    }

    func testRunFoldersLiveUnderTheArtifactRoot() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        XCTAssertEqual(
            store.runFolder(of: id).path,
            URL(fileURLWithPath: artifacts.path("root/ser-runs/\(id)")).standardizedFileURL.path)
        let file = artifacts.path("root/ser-runs/\(id)/model.safetensors")
        try FileManager.default.createDirectory(
            atPath: artifacts.path("root/ser-runs/\(id)"), withIntermediateDirectories: true)
        try Data("w".utf8).write(to: URL(fileURLWithPath: file))
        let artifact = try store.addArtifact(runID: id, kind: "weights", path: file)
        XCTAssertEqual(artifact.path, "ser-runs/\(id)/model.safetensors", "recorded relative to the artifact root")
        XCTAssertEqual(store.resolvedPath(of: artifact), URL(fileURLWithPath: file).standardizedFileURL.path)
    }

    func testAReadInsideAWriteIsPartOfItRatherThanADeadlock() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        let done = DispatchSemaphore(value: 0)
        let seen = FailureLog()
        DispatchQueue.global().async {
            do {
                try store.database.write { tx in
                    try tx.execute("UPDATE run SET name = 'renamed' WHERE id = ?", [id])
                    // Sees the enclosing transaction's own change.
                    let name = try store.database.read { try $0.row("SELECT name FROM run WHERE id = ?", [id]) }
                    seen.add(name?["name"] ?? "none")
                }
            } catch { seen.add("\(error)") }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "a nested transaction deadlocked")
        XCTAssertEqual(seen.messages, ["renamed"])
        XCTAssertEqual(try store.run(id)?.name, "renamed")
    }

    func testURLsAreParsedAndPasswordsNeverShown() throws {
        let url = try PostgresURL("postgres://me:secret@db.lab:6543/runs", environment: [:])
        XCTAssertEqual(url, PostgresURL(user: "me", password: "secret", host: "db.lab", port: 6543, database: "runs"))
        XCTAssertEqual("\(url)", "postgres://me@db.lab:6543/runs")
        XCTAssertEqual(try PostgresURL("postgresql://me@h/d", environment: ["PGPASSWORD": "p"]).password, "p")
        XCTAssertThrowsError(try PostgresURL("postgres://me:secret@h", environment: [:])) {
            XCTAssertTrue("\($0)".contains("no database"), "\($0)")
            XCTAssertFalse("\($0)".contains("secret"), "\($0)")
        }
        XCTAssertThrowsError(try PostgresURL("postgres://h/d", environment: [:])) {
            XCTAssertTrue("\($0)".contains("no user"), "\($0)")
        }
    }
}
