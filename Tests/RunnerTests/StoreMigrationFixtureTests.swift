import Foundation
import GRDB
import RunStore
import TestSupport
import XCTest

@testable import Runner

/// A store written by the `ser` before `v5-params-groups` (Fixtures/store-v4, see its README) opens with
/// today's `ser` without losing a row, and every run gets its `param` rows from its stored spec.
final class StoreMigrationFixtureTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/store-v4/ser.sqlite")

    /// The old version's columns of a table a later migration added a column to (`v10-unknown-classes`:
    /// `evaluation.unknown_classes`, NULL in old rows).
    static let oldColumns = [
        "evaluation": "run_id, split, loss, accuracy, balanced_accuracy, f1_macro, labels, confusion, recorded_at"
    ]

    /// Every row of the tables the old version had (in the old version's columns), in a fixed order.
    static func dump(_ reader: any DatabaseReader) throws -> [String: [Row]] {
        let tables = [
            "experiment", "run", "epoch_metric", "lr_finder_point", "lr_suggestion", "evaluation", "class_metric",
            "prediction", "artifact", "store_identity",
        ]
        return try reader.read { db in
            var rows: [String: [Row]] = [:]
            for table in tables {
                rows[table] = try Row.fetchAll(
                    db, sql: "SELECT \(oldColumns[table] ?? "*") FROM \(table) ORDER BY 1, 2, 3")
            }
            return rows
        }
    }

    func testAStoreFromTheVersionBeforeParamsMigratesWithoutLossAndGetsItsParameters() throws {
        let directory = TemporaryDirectory("ser-fixture")
        let path = directory.path("ser.sqlite")
        try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: path)
        let before = try DatabaseQueue(path: path)
        XCTAssertEqual(
            try before.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY 1") },
            ["v1-runs", "v2-evaluation", "v3-lr-finder-artifacts", "v4-store-identity"])
        let old = try Self.dump(before)
        try before.close()
        XCTAssertEqual(old["run"]?.count, 2)
        XCTAssertEqual(old["prediction"]?.count, 28)

        let store = try RunStore(path: path, parameters: StoreParameters.source)
        XCTAssertTrue(try store.appliedMigrations().contains("v5-params-groups"), "every later migration applied too")
        XCTAssertEqual(try Self.dump(DatabaseQueue(path: path)), old, "every row of the old tables is as it was")
        // Every run, metric and artifact reads through the store's own types.
        for id: Int64 in [1, 2] {
            let detail = try store.detail(of: id)
            XCTAssertEqual(detail.run.status, .finished)
            XCTAssertEqual(detail.epochs.count, 1)
            XCTAssertEqual(detail.evaluations.map(\.split), ["valid"])
            XCTAssertNil(detail.evaluations[0].unknownClasses)
            XCTAssertEqual(detail.lrFinder.count, 12)
            XCTAssertEqual(detail.artifacts.map(\.kind), ["checkpoint", "weights"])
            XCTAssertTrue(store.resolvedPath(of: detail.artifacts[1]).hasSuffix("ser-runs/\(id)/model.safetensors"))
            XCTAssertEqual(try store.predictions(of: id, split: "valid").count, 14)
            // Its parameters are those `ser run` records today for the same spec.
            let parameters = try store.parameters(of: id)
            XCTAssertEqual(
                parameters,
                try StoreParameters.flatten(detail.run.specYaml).map {
                    ParamRecord(runId: id, key: $0.key, value: $0.value, type: $0.type)
                })
            XCTAssertEqual(parameters.first { $0.key == "model.depth" }?.value, id == 1 ? "10" : "18")
        }
        let result = try RunStore.query(
            path: path, sql: #"SELECT run_id, "model.depth", final_uar IS NOT NULL FROM run_summary ORDER BY run_id"#)
        XCTAssertEqual(
            result.rows, [[.integer(1), .integer(10), .integer(1)], [.integer(2), .integer(18), .integer(1)]])
    }
}
