import ArgumentParser
import Checksum
import Features
import Foundation
import Inference
import NeuralNet
import PostgresStore
import RunStore
import SndFile
import Specs
import StoreTestSupport
import TestSupport
import XCTest

@testable import SERCommands

/// Each run's environment in `show`/`compare`, `ser eval --store`, and `ser export --mlflow` (read back by MLflow's
/// own client when its virtual environment is there: `tools/python-venv`).
final class EnvironmentEvalMLflowTests: XCTestCase {
    var directory: TemporaryDirectory!
    var path: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-env-eval-mlflow") }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    static func environment(core: String) -> RunEnvironment {
        RunEnvironment(
            cpuModel: "Test CPU", cores: 2, os: "Linux 6.1", host: "h", blasLibrary: "OpenBLAS", blasVersion: "0.3.21",
            blasCore: core, blasCoreForced: core == "Haswell", threads: 2, blasThreads: 1, serVersion: "test")
    }

    static let specYAML = "model:\n  depth: 18\nname: two\ntrain:\n  epochs: 3\n  lr: 0.001\n"

    /// Experiment "two": runs 1 and 2 finished with 3 epochs, a validation evaluation and a weights file.
    func populate() throws -> RunStore {
        let store = try RunStore(path: path)
        let experiment = try store.findOrCreateExperiment(name: "two", description: "two tiny runs").id!
        for r in 0..<2 {
            let yaml = Self.specYAML.replacingOccurrences(of: "0.001", with: r == 0 ? "0.001" : "0.004")
            let id = try store.createRun(
                experimentID: experiment, name: "two [train.lr=\(r)]", sweep: "train.lr=\(r)", specYAML: yaml,
                specHash: SHA256.hex(of: yaml), seed: 1, toolVersion: "test")
            try store.markRunning(id)
            try store.recordEnvironment(Self.environment(core: "SkylakeX"), runID: id)
            for epoch in 1...3 {
                try store.recordEpoch(
                    EpochMetricRecord(
                        runId: id, epoch: epoch, trainLoss: 2 - 0.25 * Double(epoch), validLoss: 1.5,
                        accuracy: 0.25 * Double(epoch) + 0.1 * Double(r), balancedAccuracy: 0.2 * Double(epoch),
                        f1Macro: 0.1, lr: 1e-3, seconds: 2))
            }
            try store.recordEvaluation(
                EvaluationRecord(
                    runId: id, split: "valid", accuracy: 0.6, balancedAccuracy: 0.55, f1Macro: 0.5, labels: ["a", "b"],
                    confusion: [[3, 1], [1, 3]]), classMetrics: [], predictions: [])
            let weights = try store.prepareRunFolder(id).appendingPathComponent("model.safetensors").path
            try Data("weights \(id)".utf8).write(to: URL(fileURLWithPath: weights))
            try store.addArtifact(runID: id, kind: "weights", path: weights)
            try store.finish(id)
        }
        return store
    }

    // MARK: Environment

    func testShowPrintsTheEnvironmentsAndCompareNotesDifferentKernels() throws {
        let store = try populate()
        var text = try parse(Show.self, ["show", "1", "--store", path]).output()
        XCTAssertTrue(
            text.contains("environment  Test CPU, 2 cores, Linux 6.1; OpenBLAS 0.3.21, kernels SkylakeX"), text)
        var compare = try parse(Compare.self, ["compare", "--store", path]).output()
        XCTAssertFalse(compare.contains("last digits"), "same environment, no note:\n\(compare)")

        // Run 2 resumed on a machine where OPENBLAS_CORETYPE forced other kernels: both are shown.
        try store.recordEnvironment(Self.environment(core: "Haswell"), runID: 2)
        text = try parse(Show.self, ["show", "2", "--store", path]).output()
        XCTAssertTrue(
            text.contains("environment 1  Test CPU, 2 cores, Linux 6.1; OpenBLAS 0.3.21, kernels SkylakeX"), text)
        XCTAssertTrue(
            text.contains(
                "environment 2  Test CPU, 2 cores, Linux 6.1; OpenBLAS 0.3.21, kernels Haswell (forced by OPENBLAS_CORETYPE)"
            ), text)
        compare = try parse(Compare.self, ["compare", "--store", path]).output()
        XCTAssertTrue(compare.contains("results differ in their last digits across kernels"), compare)
        XCTAssertTrue(compare.contains("run 2: Test CPU · OpenBLAS 0.3.21 Haswell"), compare)
        let json = try parse(Show.self, ["show", "2", "--store", path, "--json"]).output()
        XCTAssertTrue(json.contains("\"blas_core\" : \"Haswell\""), json)
    }

    // MARK: ser eval --store

    /// A model file whose source is `run` of `store` (2 classes low/high), and a folder corpus of 4 tones.
    func modelAndCorpus(run: Int64?, specHash: String?) throws -> (model: String, corpus: String) {
        let architecture = ModelArchitecture(depth: 10, width: 8, stem: .smallInput, classCount: 2, dropout: 0)
        var features = FeatureParameters()
        features.sampleRate = 16000
        features.nFFT = 256
        features.hopLength = 160
        features.nMels = 16
        let model = directory.path("model-\(run ?? 0).safetensors")
        try ModelBundle(
            architecture: architecture, features: features,
            audio: AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil), normalization: .utterance,
            labels: ["low", "high"], labelScheme: "given", source: ModelSource(runID: run, specHash: specHash),
            toolVersion: "test", model: try architecture.makeResNet(seed: 1)
        ).save(to: URL(fileURLWithPath: model))
        let corpus = directory.path("corpus")
        for (label, f0) in [("low", 150.0), ("high", 900.0)] {
            try FileManager.default.createDirectory(atPath: corpus + "/" + label, withIntermediateDirectories: true)
            for i in 0..<2 {
                let samples = (0..<16_000).map { Float(0.3 * sin(2 * .pi * f0 * Double(i + 1) * Double($0) / 16_000)) }
                try SoundFile.write(samples, sampleRate: 16_000, to: "\(corpus)/\(label)/\(i).wav")
            }
        }
        return (model, corpus)
    }

    func testEvalWithAStoreRecordsTheEvaluationWithTheModelsRunAndWithoutOneWritesNothing() throws {
        let store = try populate()
        let hash = try XCTUnwrap(store.run(1)).specHash
        let (model, corpus) = try modelAndCorpus(run: 1, specHash: hash)

        // Without --store nothing is written (not even a store at the default path).
        let plain = try parse(Eval.self, ["eval", model, corpus, "--threads", "1"]).evaluateAndRecord()
        XCTAssertNil(plain.storedEvaluation)
        XCTAssertEqual(try store.storedEvaluations(of: 1), [])

        let report = try parse(Eval.self, ["eval", model, corpus, "--threads", "1", "--store", path])
            .evaluateAndRecord()
        let stored = try XCTUnwrap(store.storedEvaluations(of: 1).first)
        XCTAssertEqual(report.storedEvaluation, stored.id)
        XCTAssertEqual(stored.modelSha256, try SHA256.hexAndSize(ofFileAt: model).hex)
        XCTAssertEqual(stored.dataPath, URL(fileURLWithPath: corpus).standardizedFileURL.path)
        XCTAssertEqual(stored.layout, "folders")
        XCTAssertEqual(stored.files, 4)
        XCTAssertEqual(stored.accuracy, report.accuracy)
        XCTAssertEqual(stored.balancedAccuracy, report.uar)
        XCTAssertEqual(stored.confusion, report.confusion)
        XCTAssertEqual(stored.perClass.map(\.label), ["low", "high"])
        XCTAssertEqual(stored.perClass.map(\.support), [2, 2])

        let show = try parse(Show.self, ["show", "1", "--store", path]).output()
        XCTAssertTrue(show.contains("Evaluation \(stored.id!) (ser eval"), show)
        XCTAssertTrue(show.contains("4 files of \(stored.dataPath) (folders)"), show)
        let compare = try parse(Compare.self, ["compare", "1", "2", "--store", path]).output()
        XCTAssertTrue(compare.contains("Stored evaluations (ser eval --store):"), compare)
        XCTAssertTrue(compare.contains(stored.dataPath), compare)
    }

    /// `ser eval --store postgres://…` records the evaluation with the model's run in a PostgreSQL store (no
    /// artifact root needed: only a row is written), and `show` reads it back there.
    func testEvalRecordsItsEvaluationInAPostgresStore() throws {
        let url = try TestPostgres.freshURL()
        let source = try populate()
        let postgres = try RunStore.postgres(url: url, artifacts: directory.path("shared"), readOnly: false)
        XCTAssertEqual(try [1, 2].map { try postgres.copyRun($0, from: source).run }, [1, 2])
        let (model, corpus) = try modelAndCorpus(run: 1, specHash: try XCTUnwrap(source.run(1)).specHash)
        unsetenv("SER_ARTIFACTS")
        let report = try parse(Eval.self, ["eval", model, corpus, "--threads", "1", "--store", "\(url)"])
            .evaluateAndRecord()
        let stored = try XCTUnwrap(postgres.storedEvaluations(of: 1).first)
        XCTAssertEqual(report.storedEvaluation, stored.id)
        XCTAssertEqual(stored.confusion, report.confusion)
        XCTAssertEqual(try source.storedEvaluations(of: 1), [], "nothing written to the SQLite store")
        let show = try parse(Show.self, ["show", "1", "--store", "\(url)"]).output()
        XCTAssertTrue(show.contains("Evaluation \(stored.id!) (ser eval"), show)
    }

    func testEvalRefusesAStoreWithoutTheModelsRunBeforeEvaluatingAndCreatesNoStore() throws {
        let store = try populate()
        let (model, corpus) = try modelAndCorpus(run: 1, specHash: "a spec hash of another store")
        XCTAssertThrowsError(
            try parse(Eval.self, ["eval", model, corpus, "--store", path]).evaluateAndRecord()
        ) { error in
            XCTAssertTrue("\(error)".contains("it was trained in another store"), "\(error)")
        }
        let (orphan, _) = try modelAndCorpus(run: nil, specHash: nil)
        XCTAssertThrowsError(try parse(Eval.self, ["eval", orphan, corpus, "--store", path]).evaluateAndRecord()) {
            error in
            XCTAssertTrue("\(error)".contains("does not name the run that trained it"), "\(error)")
        }
        XCTAssertEqual(try store.storedEvaluations(of: 1), [])
        let missing = directory.path("elsewhere/ser.sqlite")
        XCTAssertThrowsError(try parse(Eval.self, ["eval", model, corpus, "--store", missing]).evaluateAndRecord()) {
            error in
            XCTAssertTrue("\(error)".contains("no run store at \(missing)"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("elsewhere")))
    }

    // MARK: ser export --mlflow

    func testExportMLflowWritesTheFileStoreLayout() throws {
        let store = try populate()
        let out = directory.path("mlruns")
        let summary = try parse(Export.self, ["export", "--store", path, "--mlflow", out]).exportMLflow(to: out)
        XCTAssertEqual(summary.runs, [1, 2])
        func read(_ relative: String) throws -> String {
            try String(contentsOfFile: out + "/" + relative, encoding: .utf8)
        }
        XCTAssertTrue(try read("0/meta.yaml").contains("name: \"Default\""))
        let experimentMeta = try read("1/meta.yaml")
        XCTAssertTrue(experimentMeta.contains("experiment_id: '1'"), experimentMeta)
        XCTAssertTrue(experimentMeta.contains("name: \"two\""), experimentMeta)
        XCTAssertTrue(experimentMeta.contains("artifact_location: \"file://\(out)/1\""), experimentMeta)
        let uuid = MLflowExport.runUUID(store: store, runID: 1)
        XCTAssertEqual(uuid.count, 32)
        let meta = try read("1/\(uuid)/meta.yaml")
        XCTAssertTrue(meta.contains("run_id: \(uuid)\n"), meta)
        XCTAssertTrue(meta.contains("status: 3\n"), meta)
        XCTAssertTrue(meta.contains("run_name: \"two [train.lr=0]\""), meta)
        XCTAssertEqual(try read("1/\(uuid)/params/model.depth"), "18")
        XCTAssertEqual(try read("1/\(uuid)/params/train.lr"), "0.001")
        let accuracy = try read("1/\(uuid)/metrics/accuracy").split(separator: "\n").map { $0.split(separator: " ") }
        XCTAssertEqual(accuracy.map { $0[1] }, ["0.25", "0.5", "0.75"])
        XCTAssertEqual(accuracy.map { $0[2] }, ["1", "2", "3"])
        XCTAssertEqual(
            try read("1/\(uuid)/metrics/valid_accuracy").split(separator: " ").dropFirst().joined(separator: " "),
            "0.6 0\n")
        XCTAssertEqual(try read("1/\(uuid)/tags/mlflow.runName"), "two [train.lr=0]")
        XCTAssertEqual(try read("1/\(uuid)/tags/ser.blas_core"), "SkylakeX")
        XCTAssertEqual(try read("1/\(uuid)/artifacts/model.safetensors"), "weights 1")
        XCTAssertEqual(try read("1/\(uuid)/artifacts/spec.yaml"), try XCTUnwrap(store.run(1)).specYaml)
        XCTAssertTrue(try read(".ser-mlflow-export").contains("1/\(uuid)/artifacts/model.safetensors\n"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter {
            $0.hasSuffix(".partial") || $0.hasSuffix(".old")
        }
        XCTAssertEqual(leftovers, [])
    }

    func testExportMLflowNeverWritesIntoAFolderItDidNotWriteAndNeverLeavesAPartialOne() throws {
        let store = try populate()
        let out = directory.path("mlruns")
        // A folder with someone's files is left alone.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        XCTAssertThrowsError(
            try parse(Export.self, ["export", "--store", path, "--mlflow", out, "--force"]).exportMLflow(to: out)
        ) {
            error in
            XCTAssertTrue("\(error)".contains("with files that ser did not export"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["notes.txt"])
        try FileManager.default.removeItem(atPath: out + "/notes.txt")

        // An empty folder is used; an earlier export is replaced only with --force, and not when it holds a
        // file the export did not write.
        _ = try parse(Export.self, ["export", "--store", path, "--mlflow", out]).exportMLflow(to: out)
        XCTAssertThrowsError(
            try parse(Export.self, ["export", "--store", path, "--mlflow", out]).exportMLflow(to: out)
        ) {
            error in
            XCTAssertTrue("\(error)".contains("pass --force to replace it"), "\(error)")
        }
        let one = try parse(Export.self, ["export", "1", "--store", path, "--mlflow", out, "--force"]).exportMLflow(
            to: out)
        XCTAssertEqual(one.runs, [1])
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: out + "/1/" + MLflowExport.runUUID(store: store, runID: 2)),
            "the replaced export no longer has run 2")
        let uuid = MLflowExport.runUUID(store: store, runID: 1)
        try Data("logged by hand".utf8).write(to: URL(fileURLWithPath: out + "/1/\(uuid)/tags/note"))
        XCTAssertThrowsError(
            try parse(Export.self, ["export", "--store", path, "--mlflow", out, "--force"]).exportMLflow(to: out)
        ) {
            error in
            XCTAssertTrue("\(error)".contains("1/\(uuid)/tags/note"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: out + "/1/\(uuid)/tags/note", encoding: .utf8), "logged by hand")

        // A weights file changed since training fails the export: no target, no temporary folder left.
        let fresh = directory.path("fresh")
        let weights = store.resolvedPath(
            of: try XCTUnwrap(store.detail(of: 2).artifacts.first { $0.kind == "weights" }))
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: weights))
        XCTAssertThrowsError(
            try parse(Export.self, ["export", "--store", path, "--mlflow", fresh]).exportMLflow(to: fresh)
        ) {
            error in
            XCTAssertTrue("\(error)".contains("the file changed since training"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix(".") }, [])
        // A hand-edited split name cannot lead the export out of its folder.
        try store.recordEvaluation(
            EvaluationRecord(
                runId: 1, split: "../../escape", accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["a"],
                confusion: [[1]]), classMetrics: [], predictions: [])
        let other = directory.path("other")
        XCTAssertThrowsError(
            try parse(Export.self, ["export", "1", "--store", path, "--mlflow", other]).exportMLflow(to: other)
        ) { error in
            XCTAssertTrue("\(error)".contains("with an empty, '.' or '..' part"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: other))
        XCTAssertThrowsError(try SER.parseAsRoot(["export", "--mlflow", out, "--best"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["export", "1", "2", "-o", "x"]))
    }

    /// MLflow's own client reads every exported run back: params, metric history per epoch, tags, artifacts.
    func testMLflowsClientReadsEveryExportedRunBack() throws {
        let venv =
            ProcessInfo.processInfo.environment["SER_MLFLOW_VENV"]
            ?? SharedData.repositoryRoot.appendingPathComponent(".build/python-venv").path
        let python = venv + "/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                return XCTFail("\(python) is missing; tools/setup (tools/python-venv) creates it in CI")
            }
            print("skipping: no MLflow client at \(python) (run tools/python-venv to create it)")
            throw XCTSkip("no MLflow client at \(python) (tools/python-venv creates it)")
        }
        let store = try populate()
        let out = directory.path("mlruns")
        _ = try parse(Export.self, ["export", "--store", path, "--mlflow", out]).exportMLflow(to: out)
        let script = """
            import json, sys
            from mlflow.tracking import MlflowClient
            client = MlflowClient(tracking_uri=sys.argv[1])
            runs = []
            for experiment in client.search_experiments():
                for run in client.search_runs([experiment.experiment_id]):
                    rid = run.info.run_id
                    runs.append({
                        "experiment": experiment.name, "name": run.info.run_name, "status": run.info.status,
                        "params": run.data.params, "tags": run.data.tags,
                        "metrics": {k: [[m.step, m.value] for m in sorted(client.get_metric_history(rid, k), key=lambda m: m.step)]
                                    for k in run.data.metrics},
                        "artifacts": sorted(a.path for a in client.list_artifacts(rid)),
                    })
            print(json.dumps(runs))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, out]
        var environment = ProcessInfo.processInfo.environment
        environment["MLFLOW_TRACKING_URI"] = nil
        environment["HOME"] = directory.url.path  // no MLflow settings of the user's
        // MLflow 3 keeps reading file stores but asks for this opt-in (docs/store.md says so too).
        environment["MLFLOW_ALLOW_FILE_STORE"] = "true"
        process.environment = environment
        let stdout = Pipe()
        // Standard error goes to a file: a full pipe nobody reads would stall the child.
        let errorPath = directory.path("mlflow-stderr.txt")
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        let errorFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer { try? errorFile.close() }
        process.standardOutput = stdout
        process.standardError = errorFile
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, errors)

        struct ReadRun: Decodable {
            var experiment: String
            var name: String
            var status: String
            var params: [String: String]
            var tags: [String: String]
            var metrics: [String: [[Double]]]
            var artifacts: [String]
        }
        let read = try JSONDecoder().decode([ReadRun].self, from: output)
        XCTAssertEqual(read.count, 2, errors)
        for run in try store.runs() {
            let detail = try store.detail(of: run.id)
            guard let exported = read.first(where: { $0.tags["ser.run_id"] == String(run.id) }) else {
                XCTFail("run \(run.id) not read back: \(read.map(\.tags))")
                continue
            }
            XCTAssertEqual(exported.experiment, "two")
            XCTAssertEqual(exported.name, detail.run.name)
            XCTAssertEqual(exported.status, "FINISHED")
            XCTAssertEqual(exported.tags["mlflow.runName"], detail.run.name)
            let params = try SpecParameters.flatten(yaml: detail.run.specYaml)
            XCTAssertEqual(exported.params, Dictionary(uniqueKeysWithValues: params.map { ($0.key, $0.value) }))
            XCTAssertEqual(exported.metrics["accuracy"], detail.epochs.map { [Double($0.epoch), $0.accuracy!] })
            XCTAssertEqual(exported.metrics["train_loss"], detail.epochs.map { [Double($0.epoch), $0.trainLoss!] })
            XCTAssertEqual(exported.metrics["valid_accuracy"], [[0, 0.6]])
            XCTAssertEqual(exported.artifacts, ["model.safetensors", "spec.yaml"])
        }
    }
}
