import ArgumentParser
import Foundation
import RunStore
import Runner
import TestSupport
import XCTest

@testable import SERCommands

/// Issue #22: `compare --where/--group-by`, groups in `show` and `compare`, `export --best` on test metrics or
/// group means, `query` against `run_summary`, and one JSON name per fact.
final class StoreQuestionsTests: XCTestCase {
    var directory: TemporaryDirectory!
    var path: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-store-questions") }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    /// Experiment `folds`: depth 18 and 34, two folds each (a k-fold group per depth); valid UAR favours 34,
    /// test UAR favours 18. Every run has a weights file.
    func populate(test: Bool = true) throws -> RunStore {
        let store = try RunStore(path: path)
        let experiment = try store.findOrCreateExperiment(name: "folds").id!
        let runs: [(depth: Int, fold: Int, uar: Double, test: Double)] = [
            (18, 1, 0.50, 0.70), (18, 2, 0.60, 0.60), (34, 1, 0.80, 0.40), (34, 2, 0.70, 0.50),
        ]
        var byDepth: [Int: [Int64]] = [:]
        for run in runs {
            let yaml = "model:\n  depth: \(run.depth)\nname: folds\nsplit:\n  fold: \(run.fold)\n"
            let id = try store.createRun(
                experimentID: experiment, name: "folds", sweep: "model.depth=\(run.depth), split.fold=\(run.fold)",
                specYAML: yaml, specHash: "h", seed: 1, toolVersion: "t", parameters: try StoreParameters.flatten(yaml))
            byDepth[run.depth, default: []].append(id)
        }
        for depth in [18, 34] {
            try store.createGroup(
                experimentID: experiment, kind: .kfold, label: "model.depth=\(depth)", runIDs: byDepth[depth]!)
        }
        for (index, run) in runs.enumerated() {
            let id = Int64(index + 1)
            try store.markRunning(id)
            try store.recordEpoch(
                EpochMetricRecord(runId: id, epoch: 1, accuracy: run.uar, balancedAccuracy: run.uar, f1Macro: run.uar))
            try store.recordEvaluation(
                EvaluationRecord(
                    runId: id, split: "valid", accuracy: run.uar, balancedAccuracy: run.uar, f1Macro: run.uar,
                    labels: ["a"], confusion: [[1]]),
                classMetrics: [], predictions: [])
            if test {
                try store.recordEvaluation(
                    EvaluationRecord(
                        runId: id, split: "test", accuracy: run.test, balancedAccuracy: run.test, f1Macro: run.test,
                        labels: ["a"], confusion: [[1]]),
                    classMetrics: [], predictions: [])
            }
            let weights = try store.prepareRunFolder(id).appendingPathComponent("model.safetensors").path
            try Data("weights \(id)".utf8).write(to: URL(fileURLWithPath: weights))
            try store.addArtifact(runID: id, kind: "weights", path: weights)
            try store.finish(id)
        }
        return store
    }

    func testCompareFiltersByParameterValuesAndRanksByUARByDefault() throws {
        _ = try populate()
        let text = try parse(Compare.self, ["compare", "--store", path, "--where", "model.depth=34"]).output()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].contains("BEST uar"), text)
        XCTAssertTrue(lines[1].hasPrefix("  3  folds"), text)
        XCTAssertTrue(lines[2].hasPrefix("  4  folds"), text)
        XCTAssertFalse(lines.contains { $0.hasPrefix("  1  folds") }, text)
        // The group of the compared runs, with its stored aggregate.
        XCTAssertTrue(
            text.contains("group 2 (folds, k-fold model.depth=34, runs 3,4): final_accuracy 0.7500 ± 0.0707 (n 2)"),
            text)
        func ids(_ arguments: [String]) throws -> [Int] {
            let json = try parse(Compare.self, ["compare", "--store", path, "--json"] + arguments).output()
            let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
            return rows.compactMap { $0["run_id"] as? Int }
        }
        XCTAssertEqual(try ids(["--where", "model.depth>20"]), [3, 4])
        XCTAssertEqual(try ids(["--where", "model.depth!=34", "--where", "split.fold<2"]), [1])
        XCTAssertEqual(try ids(["--where", "model.depth = 18.0"]), [2, 1], "numbers compare as numbers")
        XCTAssertEqual(try ids(["--sort", "test_uar"]), [1, 2, 4, 3])
        XCTAssertThrowsError(try parse(Compare.self, ["compare", "--store", path, "--where", "depth=18"]).output()) {
            XCTAssertTrue("\($0)".contains("model.depth"), "\($0)")
        }
        XCTAssertThrowsError(try SER.parseAsRoot(["compare", "--where", "model.depth"]))
    }

    func testCompareGroupsByAKeyWithMeanStdAndRunCounts() throws {
        _ = try populate()
        let text = try parse(Compare.self, ["compare", "--store", path, "--group-by", "model.depth"]).output()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, text)
        XCTAssertTrue(lines[1].hasPrefix("34"), text)
        XCTAssertTrue(lines[1].contains("0.7500 ± 0.0707"), text)
        XCTAssertTrue(
            lines[2].hasPrefix("18") && lines[2].contains("0.5500 ± 0.0707") && lines[2].hasSuffix("1,2"), text)
        let json = try parse(
            Compare.self, ["compare", "--store", path, "--group-by", "model.depth", "--sort", "test_uar", "--json"]
        )
        .output()
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["value"] as? String }, ["18", "34"])
        XCTAssertEqual(rows.first?["n"] as? Int, 2)
        XCTAssertEqual(rows.first?["best_mean"] as? Double ?? 0, 0.65, accuracy: 1e-9)
    }

    func testExportBestRanksByTestMetricsOrByAGroupsMeanAndWarnsWhenOnlyValidationExists() throws {
        _ = try populate()
        let out = directory.path("best.safetensors")
        let best = try parse(Export.self, ["export", "--best", "-o", out, "--store", path]).export()
        XCTAssertEqual(best.runId, 1, "run 3 has the best validation UAR, run 1 the best test UAR")
        XCTAssertEqual(best.rankedOn, "test")
        XCTAssertEqual(best.metric, "test_uar")
        XCTAssertNil(best.warning)
        let group = try parse(Export.self, ["export", "--best", "--group", "-o", out, "--force", "--store", path])
            .export()
        XCTAssertEqual(group.groupId, 1, "depth 18 has the better mean test UAR")
        XCTAssertEqual(group.groupMean ?? 0, 0.65, accuracy: 1e-9)
        XCTAssertEqual(group.runId, 1)
        XCTAssertThrowsError(try SER.parseAsRoot(["export", "--group", "1", "-o", out]))

        directory = TemporaryDirectory("ser-store-questions")
        _ = try populate(test: false)
        let valid = try parse(Export.self, ["export", "--best", "-o", out, "--force", "--store", path]).export()
        XCTAssertEqual(valid.runId, 3)
        XCTAssertEqual(valid.rankedOn, "valid")
        XCTAssertTrue(valid.warning?.contains("validation split") ?? false, "\(String(describing: valid.warning))")
        let validGroup = try parse(Export.self, ["export", "--best", "--group", "-o", out, "--force", "--store", path])
            .export()
        XCTAssertEqual(validGroup.groupId, 2)
        XCTAssertNotNil(validGroup.warning)
    }

    func testQueryAnswersQuestionsFromRunSummaryAndGroupSummary() throws {
        _ = try populate()
        let best = try parse(
            Query.self,
            [
                "query",
                #"SELECT "model.depth", AVG(test_uar) AS uar FROM run_summary GROUP BY "model.depth" ORDER BY uar DESC"#,
                "--store", path, "--format", "csv",
            ]
        ).output()
        XCTAssertEqual(best, "model.depth,uar\n18,0.6499999999999999\n34,0.45")
        let groups = try parse(
            Query.self,
            [
                "query", "SELECT label, n FROM group_summary WHERE metric = 'test_uar' ORDER BY mean DESC", "--store",
                path, "--json",
            ]
        ).output()
        XCTAssertTrue(groups.contains(#"{"label": "model.depth=18", "n": 2}"#), groups)
    }

    func testRunIdAndUARHaveOneJSONNameInRunsShowAndCompare() throws {
        _ = try populate()
        func keys(_ value: Any) -> Set<String> {
            if let object = value as? [String: Any] {
                return Set(object.keys).union(object.values.flatMap { keys($0) })
            }
            if let array = value as? [Any] { return Set(array.flatMap { keys($0) }) }
            return []
        }
        for arguments in [["runs"], ["show", "1"], ["compare"]] {
            let command = try SER.parseAsRoot(arguments + ["--store", path, "--json"])
            let output: String
            switch command {
            case let runs as Runs: output = try runs.output()
            case let show as Show: output = try show.output()
            case let compare as Compare: output = try compare.output()
            default: return XCTFail("\(arguments)")
            }
            let all = keys(try JSONSerialization.jsonObject(with: Data(output.utf8)))
            XCTAssertTrue(all.contains("run_id"), "\(arguments): \(all.sorted())")
            XCTAssertFalse(all.contains("balanced_accuracy"), "\(arguments): \(all.sorted())")
            if arguments != ["show", "1"] {
                let top = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
                XCTAssertNil(top?.first?["id"], "\(arguments)")
            }
        }
        let show = try parse(Show.self, ["show", "1", "--store", path, "--json"]).output()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(show.utf8)) as? [String: Any])
        XCTAssertEqual((object["run"] as? [String: Any])?["run_id"] as? Int, 1)
        XCTAssertNil((object["run"] as? [String: Any])?["id"])
        XCTAssertEqual(
            ((object["evaluations"] as? [[String: Any]])?.first?["uar"] as? Double) ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertEqual((object["groups"] as? [[String: Any]])?.first?["group_id"] as? Int, 1)
    }
}
