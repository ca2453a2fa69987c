import ArgumentParser
import Checksum
import Foundation
import RunStore
import TestSupport
import XCTest

@testable import SERCommands

/// `ser runs`, `show`, `query`, `rm` and `validate` on a store and specs made in a temporary folder.
final class StoreCommandsTests: XCTestCase {
    var directory: TemporaryDirectory!
    var path: String { directory.path("runs/ser.sqlite") }

    override func setUp() {
        directory = TemporaryDirectory("ser-store-commands")
    }

    /// Two experiments: run 1 finished with 3 epochs and an evaluation, run 2 failed, run 3 queued.
    func populate() throws -> RunStore { try Self.populate(at: path) }

    /// The fixture above, in a new store at `path` (also copied into PostgreSQL by `PostgresStoreCommandsTests`).
    static func populate(at path: String) throws -> RunStore {
        let store = try RunStore(path: path)
        let alpha = try store.findOrCreateExperiment(name: "alpha").id!
        let beta = try store.findOrCreateExperiment(name: "beta").id!
        let one = try store.createRun(
            experimentID: alpha, name: "alpha [model.depth=18]", sweep: "model.depth=18", specYAML: "seed: 1\n",
            specHash: "h1", seed: 1, toolVersion: "0.1.0")
        try store.markRunning(one)
        for (epoch, accuracy) in [(1, 0.4), (2, 0.65), (3, 0.6)] {
            try store.recordEpoch(
                EpochMetricRecord(
                    runId: one, epoch: epoch, trainLoss: 1.5, validLoss: 1.2, accuracy: accuracy,
                    balancedAccuracy: accuracy - 0.1, lr: 1e-3, seconds: 12)
            )
        }
        try store.recordLRFinder(
            runID: one, points: [LRFinderPointRecord(runId: one, iteration: 0, lr: 1e-7, loss: 2)],
            suggestions: [LRSuggestionRecord(runId: one, method: "steep", lr: 3e-4, chosen: true)])
        try store.recordEvaluation(
            EvaluationRecord(
                runId: one, split: "valid", accuracy: 0.6, balancedAccuracy: 0.58, f1Macro: 0.57,
                labels: ["angry", "calm"],
                confusion: [[7, 3], [5, 5]]),
            classMetrics: [
                ClassMetricRecord(
                    runId: one, split: "valid", label: "angry", precision: 0.58, recall: 0.7, f1: 0.64, support: 10)
            ],
            predictions: [])
        let weights = try store.prepareRunFolder(one).appendingPathComponent("model.safetensors").path
        try Data("weights".utf8).write(to: URL(fileURLWithPath: weights))
        try store.addArtifact(runID: one, kind: "weights", path: weights)
        try store.finish(one)
        let two = try store.createRun(
            experimentID: beta, name: "beta", specYAML: "seed: 2\n", specHash: "h2", seed: 2, toolVersion: "0.1.0")
        try store.markRunning(two)
        try store.fail(two, reason: "boom")
        try store.createRun(
            experimentID: beta, name: "beta", specYAML: "seed: 3\n", specHash: "h3", seed: 3, toolVersion: "0.1.0")
        return store
    }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    func testRunsListsAndFilters() throws {
        _ = try populate()
        let all = try parse(Runs.self, ["runs", "--store", path]).output()
        let lines = all.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, all)
        XCTAssertTrue(lines[0].hasPrefix("ID  EXPERIMENT"), all)
        XCTAssertTrue(lines[1].hasPrefix(" 3  beta"), all)
        XCTAssertTrue(
            lines[3].contains("model.depth=18") && lines[3].contains("finished") && lines[3].contains("0.6500"), all)
        // The headline is the kept model's UAR next to its accuracy (its valid evaluation), then the best epoch's.
        XCTAssertTrue(lines[0].contains("EPOCHS     UAR     ACC  BEST ACC"), all)
        XCTAssertTrue(lines[3].contains("0.5800  0.6000    0.6500"), all)
        let failed = try parse(Runs.self, ["runs", "--store", path, "--status", "failed"]).output()
        XCTAssertEqual(failed.split(separator: "\n").count, 2, failed)
        let alpha = try parse(Runs.self, ["runs", "--store", path, "--experiment", "alpha", "--json"]).output()
        let decoded = try JSONSerialization.jsonObject(with: Data(alpha.utf8)) as? [[String: Any]]
        XCTAssertEqual(decoded?.count, 1)
        XCTAssertEqual(decoded?.first?["display_status"] as? String, "finished")
        XCTAssertEqual(decoded?.first?["epochs"] as? Int, 3)
        XCTAssertEqual(
            try parse(Runs.self, ["runs", "--store", path, "--since", "1h", "--limit", "2"]).output().split(
                separator: "\n"
            ).count, 3)
        XCTAssertEqual(
            try parse(Runs.self, ["runs", "--store", path, "--since", "2999-01-01"]).output(), "No runs match.")
        XCTAssertThrowsError(try SER.parseAsRoot(["runs", "--status", "done"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["runs", "--since", "yesterday"]))
        XCTAssertEqual(
            try parse(Runs.self, ["runs", "--store", directory.path("none.sqlite")]).output(),
            "No runs yet (no store at \(directory.path("none.sqlite"))).")
    }

    func testStorePathComesFromTheEnvironmentWhenNotGiven() throws {
        setenv("SER_STORE", path, 1)
        defer { unsetenv("SER_STORE") }
        XCTAssertEqual(try parse(Runs.self, ["runs"]).store.path, path)
    }

    func testShowPrintsSummaryEpochsEvaluationAndArtifacts() throws {
        _ = try populate()
        let text = try parse(Show.self, ["show", "1", "--store", path, "--spec"]).output()
        for expected in [
            "Run 1  alpha [model.depth=18]", "status       finished", "sweep        model.depth=18",
            "EPOCH  TRAIN LOSS", "    2      1.5000      1.2000  0.5500    0.6500", "steep 3.00e-04 (used)",
            "valid        UAR 0.5800, accuracy 0.6000",
            "Valid: UAR 0.5800, accuracy 0.6000, F1 macro 0.5700",
            "angry      7 ▓▓  3 ▒▒", "weights", "# resolved spec\nseed: 1",
        ] {
            XCTAssertTrue(text.contains(expected), "missing \(expected.debugDescription) in\n\(text)")
        }
        let failed = try parse(Show.self, ["show", "2", "--store", path]).output()
        XCTAssertTrue(failed.contains("error        boom"), failed)
        XCTAssertTrue(failed.contains("No epochs recorded."), failed)
        let json = try parse(Show.self, ["show", "1", "--store", path, "--json"]).output()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        XCTAssertEqual((object?["epochs"] as? [Any])?.count, 3)
        XCTAssertThrowsError(try parse(Show.self, ["show", "42", "--store", path]).output()) { error in
            XCTAssertTrue("\(error)".contains("no run 42"), "\(error)")
        }
    }

    func testQueryPrintsTableCSVAndJSONAndRefusesWrites() throws {
        _ = try populate()
        let sql = "SELECT id, name, seed, error FROM run ORDER BY id"
        let table = try parse(Query.self, ["query", sql, "--store", path]).output()
        XCTAssertTrue(table.hasPrefix("id  name"), table)
        XCTAssertTrue(table.contains(" 2  beta                       2  boom"), table)
        XCTAssertTrue(table.hasSuffix("(3 rows)"), table)
        let csv = try parse(Query.self, ["query", sql, "--store", path, "--format", "csv"]).output()
        XCTAssertEqual(
            csv, "id,name,seed,error\n1,alpha [model.depth=18],1,\n2,beta,2,boom\n3,beta,3,")
        let json = try parse(Query.self, ["query", sql, "--store", path, "--json"]).output()
        XCTAssertTrue(json.contains(#"{"id": 1, "name": "alpha [model.depth=18]", "seed": 1, "error": null}"#), json)
        XCTAssertThrowsError(try parse(Query.self, ["query", "DELETE FROM run", "--store", path]).output()) { error in
            XCTAssertTrue("\(error)".contains("attempt to write a readonly database"), "\(error)")
        }
        XCTAssertEqual(Query.csvField("a,\"b\""), "\"a,\"\"b\"\"\"")
    }

    func testRmDeletesRunsAndTheirFiles() throws {
        let store = try populate()
        let weights = store.resolvedPath(of: try XCTUnwrap(store.detail(of: 1).artifacts.first))
        let out = try parse(Remove.self, ["rm", "1", "2", "--store", path]).output()
        // The model file, the run folder's ownership marker and its failure note.
        XCTAssertEqual(out, "Removed run 1 (alpha [model.depth=18]) and 3 files.\nRemoved run 2 (beta).")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("runs/ser-runs/1")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: weights))
        XCTAssertEqual(try store.runs().map(\.id), [3])
        XCTAssertThrowsError(try parse(Remove.self, ["rm", "1", "--store", path]).output())
        // A live run needs --force.
        try store.markRunning(3)
        XCTAssertThrowsError(try parse(Remove.self, ["rm", "3", "--store", path]).output()) { error in
            XCTAssertTrue("\(error)".contains("--force"), "\(error)")
        }
        XCTAssertNoThrow(try parse(Remove.self, ["rm", "3", "--force", "--store", path]).output())
        XCTAssertEqual(try store.runs().count, 0)
    }

    func testValidateReportsResolvedRunsAndLocatedErrors() throws {
        let good = directory.path("good.yaml")
        let bad = directory.path("bad.yaml")
        try "name: demo\ndata: {synthetic: true}\nsweep:\n  model.depth: [18, 34]\n".write(
            toFile: good, atomically: true, encoding: .utf8)
        try "data: {synthetic: true}\nfeatures: {n_mel: 64}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let command = try parse(Validate.self, ["validate", good, bad, "--set", "train.epochs=2"])
        let reports = command.reports()
        XCTAssertEqual(reports.map(\.ok), [true, false])
        XCTAssertEqual(reports[0].runs.map(\.name), ["demo [model.depth=18]", "demo [model.depth=34]"])
        XCTAssertTrue(reports[0].runs[0].yaml.contains("  epochs: 2\n"))
        let text = Validate.text(reports, quiet: false)
        XCTAssertTrue(
            text.output.hasPrefix("OK \(good): 2 runs\n# run 1/2: demo [model.depth=18]\n# spec sha256 "), text.output)
        XCTAssertEqual(
            text.errors, "\(bad): 1 error\n  \(bad):2:12: unknown key 'n_mel' in features; did you mean 'n_mels'?")
        XCTAssertEqual(Validate.text(reports, quiet: true).output, "OK \(good): 2 runs")
        XCTAssertThrowsError(try command.run()) { error in
            XCTAssertEqual((error as? ExitCode)?.rawValue, ExitCode.failure.rawValue)
        }
        let json = try StoreFormat.json(reports)
        XCTAssertTrue(json.contains("\"line\" : 2"), json)
    }

    func testSinceParsesAgesAndDates() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        XCTAssertEqual(try StoreFormat.since("30m", now: now), now.addingTimeInterval(-1800))
        XCTAssertEqual(try StoreFormat.since("2d", now: now), now.addingTimeInterval(-172_800))
        XCTAssertNoThrow(try StoreFormat.since("2026-11-01"))
        XCTAssertNoThrow(try StoreFormat.since("2026-11-01T10:30"))
        XCTAssertThrowsError(try StoreFormat.since("soon"))
        XCTAssertEqual(StoreFormat.duration(3725), "1h02m")
        XCTAssertEqual(StoreFormat.duration(65), "1m05s")
    }

    func testCompareShowsTheKeysThatDifferAndRanksByTheMetric() throws {
        let store = try RunStore(path: path)
        let experiment = try store.findOrCreateExperiment(name: "sweep").id!
        let base = "data:\n  path: /d\nmodel:\n  depth: DEPTH\n  width: 64\nname: sweep\ntrain:\n  epochs: 3\n"
        var ids: [Int64] = []
        for (depth, accuracies) in [(18, [0.5, 0.7, 0.6]), (34, [0.6, 0.8, 0.75]), (50, [0.3])] {
            let yaml = base.replacingOccurrences(of: "DEPTH", with: String(depth))
            let id = try store.createRun(
                experimentID: experiment, name: "sweep [model.depth=\(depth)]", specYAML: yaml, specHash: "", seed: 1,
                toolVersion: "t")
            for (index, accuracy) in accuracies.enumerated() {
                try store.recordEpoch(
                    EpochMetricRecord(runId: id, epoch: index + 1, validLoss: 1 - accuracy, accuracy: accuracy))
            }
            ids.append(id)
        }
        let text = try parse(Compare.self, ["compare", "--store", path, "--experiment", "sweep", "--sort", "accuracy"])
            .output()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, text)
        XCTAssertTrue(
            lines[0].hasPrefix("RUN  EXPERIMENT  model.depth  BEST accuracy  EPOCH   FINAL  EPOCHS  STATUS"), text)
        XCTAssertTrue(lines[1].hasPrefix("  2  sweep       34"), text)
        XCTAssertTrue(lines[1].contains("0.8000      2  0.7500       3  queued"), text)
        XCTAssertTrue(lines[3].hasPrefix("  3  sweep       50"), text)
        let loss = try parse(Compare.self, ["compare", "1", "3", "--store", path, "--metric", "valid_loss", "--json"])
            .output()
        let decoded = try JSONSerialization.jsonObject(with: Data(loss.utf8)) as? [[String: Any]]
        XCTAssertEqual(decoded?.map { $0["run_id"] as? Int }, [1, 3])
        XCTAssertEqual((decoded?.first?["parameters"] as? [String: String])?["model.depth"], "18")
        XCTAssertThrowsError(try SER.parseAsRoot(["compare", "--metric", "acc"]))
        XCTAssertThrowsError(try parse(Compare.self, ["compare", "1", "99", "--store", path]).output())
    }

    func testExportCopiesTheWeightsOfARunOrTheBestOne() throws {
        let store = try populate()
        let out = directory.path("export/model.safetensors")
        let result = try parse(Export.self, ["export", "1", "-o", out, "--store", path]).export()
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "weights")
        XCTAssertEqual(result.sha256, SHA256.hex(of: "weights"))
        let best = try parse(
            Export.self,
            [
                "export", "--best", "--experiment", "alpha", "--metric", "accuracy", "-o", out, "--store", path,
                "--force",
            ]
        )
        .export()
        XCTAssertEqual(best.runId, 1)
        XCTAssertEqual(best.rankedOn, "valid")
        XCTAssertTrue(best.warning?.contains("validation split") ?? false, "\(String(describing: best.warning))")
        // The value printed is that of the exported model: the run's recorded validation evaluation.
        let kept = try XCTUnwrap(store.detail(of: 1).evaluations.first { $0.split == "valid" })
        XCTAssertEqual(best.value, kept.accuracy)
        XCTAssertNotEqual(kept.accuracy, 0.65, "the fixture's best epoch differs from its kept model")
        XCTAssertThrowsError(try parse(Export.self, ["export", "2", "-o", out, "--store", path]).export()) { error in
            XCTAssertTrue("\(error)".contains("no weights"), "\(error)")
        }
        // A weights file changed after training is refused.
        let weights = store.resolvedPath(of: try XCTUnwrap(store.detail(of: 1).artifacts.first))
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: weights))
        XCTAssertThrowsError(try parse(Export.self, ["export", "1", "-o", out, "--store", path, "--force"]).export()) {
            error in
            XCTAssertTrue("\(error)".contains("the file changed since training"), "\(error)")
        }
        XCTAssertThrowsError(try SER.parseAsRoot(["export", "-o", out]))
        XCTAssertThrowsError(try SER.parseAsRoot(["export", "1", "--best", "-o", out]))
    }

    // MARK: Files that are not the run's own

    /// `cp -r live backup && ser rm 1 --store backup/ser.sqlite` deletes the backup's files, not the live ones.
    func testRmOnACopiedStoreLeavesTheOriginalsFiles() throws {
        _ = try populate()
        let live = directory.path("runs"), backup = directory.path("backup")
        try FileManager.default.copyItem(atPath: live, toPath: backup)
        let liveWeights = directory.path("runs/ser-runs/1/model.safetensors")
        let out = try parse(Remove.self, ["rm", "1", "--store", backup + "/ser.sqlite"]).output()
        XCTAssertTrue(out.hasPrefix("Removed run 1 (alpha [model.depth=18]) and 3 files."), out)
        XCTAssertEqual(try String(contentsOfFile: liveWeights, encoding: .utf8), "weights")
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/ser-runs/1"))
        XCTAssertEqual(try RunStore(readingPath: path).runs().count, 3, "the live store keeps its runs")
    }

    func testRmRefusesPathsOutsideTheRunFolderAndSymbolicLinksAndSaysSo() throws {
        let store = try populate()
        let folder = directory.path("runs/ser-runs/1")
        // Someone else's folder and file, named by crafted artifact rows and by links inside the run folder.
        let victim = directory.path("precious")
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim + "/thesis.txt"))
        try FileManager.default.createDirectory(atPath: folder + "/checkpoints", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: folder + "/checkpoints/best-e0001.safetensors", withDestinationPath: victim + "/thesis.txt")
        try FileManager.default.createSymbolicLink(
            atPath: folder + "/plot.svg", withDestinationPath: victim + "/thesis.txt")
        for crafted in [victim, "ser-runs/1/../../../precious/thesis.txt", "ser-runs/1/plot.svg"] {
            try store.addArtifact(ArtifactRecord(runId: 1, kind: "report", path: crafted, sha256: "0", bytes: 0))
        }
        let out = try parse(Remove.self, ["rm", "1", "--store", path]).output()
        XCTAssertEqual(try String(contentsOfFile: victim + "/thesis.txt", encoding: .utf8), "keep me")
        for expected in [
            "  kept \(victim): it is outside run 1's folder \(folder)",
            "  kept \(victim)/thesis.txt: it is outside run 1's folder \(folder)",
            "  kept \(folder)/plot.svg: it is a symbolic link",
            "  kept \(folder)/checkpoints/best-e0001.safetensors: it is a symbolic link",
        ] {
            XCTAssertTrue(out.contains(expected), "missing \(expected.debugDescription) in\n\(out)")
        }
        // The run's own files are gone; the folders holding the refused links stay.
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/checkpoints"))
    }

    func testRmDeletesTheCheckpointFilesAndEmptyFoldersButNotOtherFiles() throws {
        let store = try populate()
        let folder = store.runFolder(of: 1)
        let checkpoints = folder.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        for name in ["model-e0002.safetensors", "optimizer-e0002.safetensors", "best-e0001.safetensors"] {
            try Data(name.utf8).write(to: checkpoints.appendingPathComponent(name))
        }
        let json = checkpoints.appendingPathComponent("checkpoint.json")
        try Data("{}".utf8).write(to: json)
        try store.replaceArtifact(runID: 1, kind: "checkpoint", path: json.path, epoch: 3)
        // A file the user put in the run's folder is not the run's.
        try Data("mine".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let out = try parse(Remove.self, ["rm", "1", "--store", path]).output()
        XCTAssertEqual(out, "Removed run 1 (alpha [model.depth=18]) and 7 files.")
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoints.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["notes.txt"])
    }

    // MARK: Read-only stores

    /// Every regular file under `folder` with its bytes and modification time, and the modification time of
    /// every folder (which changes when a file is created in it, even one deleted again, like `-wal`/`-shm`).
    func snapshot(_ folder: String) throws -> [String: String] {
        func date(_ path: String) throws -> String {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return "\(try XCTUnwrap(attributes[.modificationDate] as? Date).timeIntervalSince1970)"
        }
        var result: [String: String] = [".": try date(folder)]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let name = enumerator?.nextObject() as? String {
            let path = folder + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            switch attributes[.type] as? FileAttributeType {
            case .typeRegular?:
                result[name] = SHA256.hex(of: try Data(contentsOf: URL(fileURLWithPath: path))) + " " + (try date(path))
            case .typeDirectory?: result[name + "/"] = try date(path)
            default: break
            }
        }
        return result
    }

    /// Runs every reading command on the store; their outputs go outside its folder.
    func readWithEveryCommand() throws {
        XCTAssertTrue(try parse(Runs.self, ["runs", "--store", path]).output().contains("alpha"))
        XCTAssertTrue(try parse(Show.self, ["show", "1", "--store", path]).output().contains("Run 1"))
        XCTAssertTrue(try parse(Compare.self, ["compare", "--store", path]).output().contains("alpha"))
        XCTAssertTrue(
            try parse(Query.self, ["query", "SELECT name FROM run", "--store", path]).output().contains("beta"))
        let out = NSTemporaryDirectory() + "ser-ro-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try parse(Export.self, ["export", "1", "-o", out + "/m.safetensors", "--store", path]).export()
        _ = try parse(Report.self, ["report", "1", "-o", out + "/r.html", "--no-spectrograms", "--store", path]).write()
    }

    func testReadingCommandsChangeNothingInTheStoresFolder() throws {
        do { _ = try populate() }
        let runs = directory.path("runs")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"), "the store was closed")
        let before = try snapshot(runs)
        Thread.sleep(forTimeInterval: 0.02)
        try readWithEveryCommand()
        XCTAssertEqual(try snapshot(runs), before)
        // The same on a read-only file in a read-only folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: runs)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: runs) }
        try readWithEveryCommand()
        XCTAssertEqual(try snapshot(runs), before)
    }

    func testADamagedStoreFileIsNamedInTheError() throws {
        try FileManager.default.createDirectory(atPath: directory.path("runs"), withIntermediateDirectories: true)
        try Data(String(repeating: "not a database ", count: 500).utf8).write(to: URL(fileURLWithPath: path))
        for command in [["runs"], ["show", "1"], ["rm", "1"]] {
            XCTAssertThrowsError(try runCommand(command + ["--store", path])) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path) && message.contains("restore it from a backup"), message)
            }
        }
    }

    func runCommand(_ arguments: [String]) throws {
        var command = try SER.parseAsRoot(arguments)
        switch command {
        case let runs as Runs: _ = try runs.output()
        case let show as Show: _ = try show.output()
        case let remove as Remove: _ = try remove.output()
        default: try command.run()
        }
    }
}
