import Checksum
import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// `param` rows, groups with stored aggregates, and the views `ser query` offers.
/// `PostgresParamsGroupsTests` runs them on a PostgreSQL store.
class ParamsGroupsTests: XCTestCase {
    func makeStore() throws -> RunStore { try RunStore.inMemory() }

    func makeRun(_ store: RunStore, experiment: String = "exp", depth: Int, mixup: Double? = nil) throws -> Int64 {
        let experimentID = try store.findOrCreateExperiment(name: experiment).id!
        var parameters = [
            ParamRecord(key: "model.depth", value: String(depth), type: "int"),
            ParamRecord(key: "seed", value: "1", type: "int"),
            ParamRecord(key: "name", value: experiment, type: "string"),
        ]
        if let mixup {
            parameters.append(ParamRecord(key: "train.augment.mixup.alpha", value: "\(mixup)", type: "float"))
        }
        return try store.createRun(
            experimentID: experimentID, name: "r", specYAML: "seed: 1\n", specHash: SHA256.hex(of: "seed: 1\n"),
            seed: 1, toolVersion: "test", parameters: parameters)
    }

    func finish(_ store: RunStore, _ run: Int64, accuracy: Double, uar: Double, test: Double? = nil) throws {
        try store.markRunning(run)
        try store.recordEpoch(EpochMetricRecord(runId: run, epoch: 1, accuracy: 0.1, balancedAccuracy: 0.1))
        try store.recordEpoch(EpochMetricRecord(runId: run, epoch: 2, accuracy: accuracy, balancedAccuracy: uar))
        if let test {
            try store.recordEvaluation(
                EvaluationRecord(
                    runId: run, split: "test", accuracy: test, balancedAccuracy: test, f1Macro: test, labels: ["a"],
                    confusion: [[1]]),
                classMetrics: [], predictions: [])
        }
        try store.finish(run)
    }

    func testParametersAreRecordedWithTheRunAndDeletedWithIt() throws {
        let store = try makeStore()
        let run = try makeRun(store, depth: 18)
        XCTAssertEqual(try store.parameters(of: run).map(\.key), ["model.depth", "name", "seed"])
        XCTAssertEqual(try store.parameters(of: run).first?.value, "18")
        try store.deleteRun(run)
        XCTAssertEqual(try store.query("SELECT COUNT(*) FROM param").rows, [[.integer(0)]])
    }

    func testAWritingOpenFillsTheParametersOfOlderRunsFromTheirSpecAndSkipsOnesThatDoNotParse() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        try RunStore.createOldStore(path: path, migrations: 4)
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: "INSERT INTO experiment (name, created_at) VALUES ('old', '2026-01-01 10:00:00.000')")
            for (yaml, seed) in [("depth: 18", 1), ("broken", 2)] {
                try db.execute(
                    sql: """
                        INSERT INTO run (experiment_id, name, spec_yaml, spec_hash, status, seed, tool_version, host,
                            created_at) VALUES (1, 'r', ?, 'x', 'finished', ?, '0', 'h', '2026-01-01 10:00:00.000')
                        """, arguments: [yaml, seed])
            }
        }
        try old.close()
        let source: SpecParameterSource = { yaml in
            guard yaml.hasPrefix("depth: ") else { throw RunStoreError.unknownMetric(yaml) }
            return [ParamRecord(key: "model.depth", value: String(yaml.dropFirst(7)), type: "int")]
        }
        let store = try RunStore(path: path, parameters: source)
        XCTAssertTrue(try store.appliedMigrations().contains("v5-params-groups"), "every later migration applied too")
        XCTAssertEqual(
            try store.parameters(of: 1), [ParamRecord(runId: 1, key: "model.depth", value: "18", type: "int")])
        XCTAssertEqual(try store.parameters(of: 2), [], "a spec that does not parse leaves the run as it was")
        XCTAssertEqual(try store.run(2)?.specYaml, "broken")
        // Filling again changes nothing.
        XCTAssertEqual(try store.fillMissingParameters(source).map(\.run), [2])
        XCTAssertEqual(try store.parameters(of: 1).count, 1)
    }

    func testAGroupStoresItsAggregateWhenItsRunsFinishAndAgainAfterAResume() throws {
        let store = try makeStore()
        let runs = try (0..<3).map { _ in try makeRun(store, depth: 18) }
        let group = try store.createGroup(
            experimentID: try store.experiment(named: "exp")!.id!, kind: .kfold, label: "", runIDs: runs)
        XCTAssertEqual(try store.groups(containing: runs[0]).first?.metrics, [])
        try finish(store, runs[0], accuracy: 0.5, uar: 0.4, test: 0.3)
        try finish(store, runs[1], accuracy: 0.7, uar: 0.6, test: 0.5)
        try store.markRunning(runs[2])
        try store.fail(runs[2], reason: "disk full")
        var metrics = Dictionary(
            uniqueKeysWithValues: try XCTUnwrap(store.groups(containing: runs[0]).first).metrics.map { ($0.metric, $0) }
        )
        XCTAssertEqual(metrics["final_accuracy"]?.mean ?? 0, 0.6, accuracy: 1e-12)
        XCTAssertEqual(metrics["final_accuracy"]?.std ?? 0, (0.02).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(metrics["final_uar"]?.n, 2)
        XCTAssertEqual(metrics["final_uar"]?.runs, 3)
        XCTAssertEqual(metrics["test_uar"]?.mean ?? 0, 0.4, accuracy: 1e-12)
        // The failed run is resumed (by any process) and finishes: the aggregate covers all three.
        try finish(store, runs[2], accuracy: 0.9, uar: 0.8)
        metrics = Dictionary(
            uniqueKeysWithValues: try XCTUnwrap(store.groups(containing: runs[2]).first).metrics.map { ($0.metric, $0) }
        )
        XCTAssertEqual(metrics["final_accuracy"]?.n, 3)
        XCTAssertEqual(metrics["final_accuracy"]?.mean ?? 0, 0.7, accuracy: 1e-12)
        XCTAssertEqual(metrics["test_uar"]?.n, 2, "the resumed run has no test evaluation")
        let rows = try store.query(
            "SELECT mean, n FROM group_summary WHERE group_id = \(group) AND metric = 'final_uar'"
        ).rows
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?.last, .integer(3))
        // Removing a run (`ser rm`) takes it out of the aggregate.
        try store.deleteRun(runs[2])
        metrics = Dictionary(
            uniqueKeysWithValues: try XCTUnwrap(store.groups(containing: runs[0]).first).metrics.map { ($0.metric, $0) }
        )
        XCTAssertEqual(metrics["final_accuracy"]?.n, 2)
        XCTAssertEqual(metrics["final_accuracy"]?.runs, 2)
        XCTAssertEqual(metrics["final_accuracy"]?.mean ?? 0, 0.6, accuracy: 1e-12)
    }

    func testRunSummaryHasAColumnPerKeyThatDiffersWithinAnExperimentComparingNumbersAsNumbers() throws {
        let store = try makeStore()
        let a = try makeRun(store, depth: 18, mixup: 0.4)
        let b = try makeRun(store, depth: 34)
        let c = try makeRun(store, depth: 18)
        try finish(store, a, accuracy: 0.5, uar: 0.45, test: 0.4)
        try finish(store, b, accuracy: 0.6, uar: 0.55, test: 0.5)
        try finish(store, c, accuracy: 0.7, uar: 0.65)
        let result = try store.query(
            #"SELECT run_id, "model.depth", "train.augment.mixup.alpha", final_uar, best_uar, test_uar FROM run_summary WHERE "model.depth" = 18 ORDER BY final_uar DESC"#
        )
        XCTAssertEqual(result.rows.map { $0[0] }, [.integer(c), .integer(a)])
        XCTAssertEqual(result.rows[1], [.integer(a), .integer(18), .real(0.4), .real(0.45), .real(0.45), .real(0.4)])
        XCTAssertEqual(result.rows[0][2], .null, "a key a run does not have reads as NULL")
        XCTAssertEqual(result.rows[0][5], .null, "no test evaluation")
        // Keys that are the same for every run (seed) get no column; the read-only connection still refuses writes.
        let columns = try store.query("SELECT * FROM run_summary").columns
        XCTAssertTrue(columns.contains("model.depth") && columns.contains("test_f1"), "\(columns)")
        XCTAssertFalse(columns.contains("seed"), "\(columns)")
        XCTAssertEqual(columns.filter { $0 == "name" }.count, 1, "the run's name, not the spec key")
        XCTAssertThrowsError(try store.query("DELETE FROM param"))
        XCTAssertEqual(try store.query("SELECT COUNT(*) FROM param").rows, [[.integer(10)]])
    }
}
