import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// SQLite store files written by an older `ser` (before `v5-params-groups`, `v6-run-environment`,
/// `v7-stored-evaluations`, `v8-queue-workers`), read by this one: kept apart from the suites that also run on
/// PostgreSQL, whose stores every writing open migrates.
final class OlderSQLiteStoreTests: XCTestCase {
    func testQueryingTheViewsOfAStoreFromBeforeThemSaysToRunAWritingCommand() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        try RunStore.createOldStore(path: path, migrations: 4)
        XCTAssertThrowsError(try RunStore.query(path: path, sql: "SELECT * FROM run_summary")) { error in
            XCTAssertTrue("\(error)".contains("v5-params-groups") && "\(error)".contains("ser run"), "\(error)")
        }
        XCTAssertThrowsError(try RunStore.query(path: path, sql: "SELECT * FROM nope")) { error in
            XCTAssertTrue("\(error)".contains("no such table: nope"), "\(error)")
        }
        XCTAssertEqual(try RunStore.query(path: path, sql: "SELECT COUNT(*) FROM run").rows, [[.integer(0)]])
    }

    /// A store from before v6/v7, read without migrating, shows no environments or stored evaluations.
    func testAStoreWithoutTheNewTablesReadsAsHavingNone() throws {
        let directory = TemporaryDirectory("ser-env-old")
        let path = directory.path("old.sqlite")
        try RunStore.createOldStore(path: path, migrations: 4)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO experiment (name, created_at) VALUES ('e', '2026-01-01 00:00:00')")
            try db.execute(
                sql: """
                    INSERT INTO run (experiment_id, name, spec_yaml, spec_hash, status, seed, tool_version, host, created_at)
                    VALUES (1, 'r', 'seed: 1', 'h', 'finished', 1, 't', 'h', '2026-01-01 00:00:00')
                    """)
        }
        try queue.close()
        let store = try RunStore(readingPath: path)
        XCTAssertEqual(try store.environments(of: 1), [])
        XCTAssertEqual(try store.storedEvaluations(of: 1), [])
        XCTAssertEqual(try store.detail(of: 1).environments, [])
    }

    /// A store written before the queue existed, opened read-only: no queue, no workers, no error.
    func testAStoreWithoutTheQueueReadsAsEmpty() throws {
        let directory = TemporaryDirectory("ser-queue-old")
        let path = directory.path("runs/ser.sqlite")
        try FileManager.default.createDirectory(atPath: directory.path("runs"), withIntermediateDirectories: true)
        try RunStore.createOldStore(path: path, migrations: 4)
        let store = try RunStore(readingPath: path)
        XCTAssertEqual(try store.queueEntries(), [:])
        XCTAssertEqual(try store.claimableCount(), 0)
        XCTAssertEqual(try store.runs(), [])
    }
}
