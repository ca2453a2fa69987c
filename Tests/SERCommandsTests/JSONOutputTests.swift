import ArgumentParser
import Foundation
import RunStore
import TestSupport
import XCTest

@testable import SERCommands

/// Issue #24: every command whose output is data has `--json`, and every key of every command's JSON, at any
/// depth, is snake_case. Each subcommand with a `--json` flag (found by walking `SER`'s subcommands, nested
/// ones included) runs as the built `ser` executable on small inputs; its output is parsed as JSON (or JSON
/// lines, for `listen`).
final class JSONOutputTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-json-output") }

    static let spec = tinyRunSpec(epochs: 1)

    /// Every subcommand path (`["bench", "listen"]`) whose help lists `--json`.
    static func commandsWithJSON() -> [[String]] {
        func walk(_ type: ParsableCommand.Type, _ path: [String]) -> [[String]] {
            let subcommands = type.configuration.subcommands
            if subcommands.isEmpty {
                return SER.helpMessage(for: type, columns: 200).contains("--json") ? [path] : []
            }
            return subcommands.flatMap { walk($0, path + [$0._commandName]) }
        }
        return walk(SER.self, [])
    }

    /// The snake_case check: lower-case letters, digits and underscores, starting with a letter.
    static func isSnakeCase(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// Keys of every object in `value` that are not snake_case, with where they are. Keys of objects that hold
    /// data keyed by name (`probabilities` by class, `parameters` by spec key…) are data, not checked.
    static func badKeys(_ value: Any, at path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, inner -> [String] in
                let here = path + "." + key
                let own = isSnakeCase(key) ? [] : [here]
                return own + (dataKeyed.contains(key) ? [] : badKeys(inner, at: here))
            }
        }
        if let array = value as? [Any] {
            return array.enumerated().flatMap { badKeys($1, at: path + "[\($0)]") }
        }
        return []
    }

    /// Objects whose keys are names from the data (class names, spec keys, sample rates…).
    static let dataKeyed: Set<String> = [
        "probabilities", "parameters", "class_counts", "speaker_counts", "emotion_counts", "gender_counts",
        "intensity_counts", "sample_rates", "channels", "sweep_values", "overrides",
    ]

    /// The paths (`.runs[0].run_id`) of every `key` in `value`, at any depth, data-keyed objects included.
    static func paths(of key: String, in value: Any, at path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { name, inner in
                (name == key ? [path + "." + name] : []) + paths(of: key, in: inner, at: path + "." + name)
            }
        }
        if let array = value as? [Any] {
            return array.enumerated().flatMap { paths(of: key, in: $1, at: path + "[\($0)]") }
        }
        return []
    }

    /// Issue #22, one JSON name per fact: the commands whose JSON names a run, which must call its id `run_id`.
    static let commandsPrintingRunIDs: Set<[String]> = [
        ["run"], ["resume"], ["runs"], ["show"], ["compare"], ["export"], ["rm"], ["report"], ["worker"],
    ]

    /// Objects with an `id` of their own that is not a run's (`show`'s artifacts and stored evaluations).
    static let otherIDs: Set<String> = ["artifacts", "stored_evaluations"]

    /// The `id` keys of `value` that are not those of ``otherIDs``' objects: a run's id written as `id`.
    static func runIDsNamedID(_ value: Any) -> [String] {
        paths(of: "id", in: value).filter { path in
            !otherIDs.contains { path.contains("." + $0 + "[") }
        }
    }

    /// Runs `ser arguments` and returns its standard output; fails the test on a non-zero status.
    func ser(_ arguments: [String]) throws -> String {
        let output = Pipe()
        // Standard error goes to a file: a full pipe nobody reads would stall the child.
        let errorPath = directory.path("stderr-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer { try? errors.close() }
        let child = Process()
        child.executableURL = ClosedPipeTests.executable
        child.arguments = arguments
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = output
        child.standardError = errors
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        XCTAssertEqual(child.terminationStatus, 0, "ser \(arguments.joined(separator: " ")): \(errorText)")
        return String(decoding: data, as: UTF8.self)
    }

    func testSnakeCaseConversion() {
        XCTAssertEqual(StoreFormat.snakeCase("balancedAccuracy"), "balanced_accuracy")
        XCTAssertEqual(StoreFormat.snakeCase("f1Macro"), "f1_macro")
        XCTAssertEqual(StoreFormat.snakeCase("hostAPI"), "host_api")
        XCTAssertEqual(StoreFormat.snakeCase("peakRSSMegabytes"), "peak_rss_megabytes")
        XCTAssertEqual(StoreFormat.snakeCase("blasCoreGFLOPSPerThread"), "blas_core_gflops_per_thread")
        XCTAssertEqual(StoreFormat.snakeCase("epochs"), "epochs")
    }

    /// Issue #22: one name per fact. UAR is `uar` (not the column name `balanced_accuracy`), and the id of a run
    /// object is `run_id`, as in every other command.
    func testOneJSONNamePerFact() throws {
        struct Run: Encodable { var id: Int64 }
        struct Metrics: Encodable { var balancedAccuracy: Double }
        struct Detail: Encodable {
            var run: Run
            var metrics: Metrics
            var artifacts: [Run]
        }
        let json = try StoreFormat.json(
            Detail(run: Run(id: 3), metrics: Metrics(balancedAccuracy: 0.5), artifacts: [Run(id: 7)]))
        XCTAssertTrue(json.contains(#""run_id" : 3"#) && json.contains(#""uar" : 0.5"#), json)
        XCTAssertTrue(json.contains(#""id" : 7"#), "other ids keep their name: \(json)")
        XCTAssertFalse(json.contains("balanced_accuracy"), json)
    }

    /// Dictionary keys are data: `StoreFormat.json` converts property names only.
    func testDictionaryKeysAreLeftAsTheyAre() throws {
        struct Counts: Encodable {
            var classCounts: [String: Int]
        }
        let json = try StoreFormat.json(Counts(classCounts: ["Happy": 1, "train.lr": 2]))
        XCTAssertTrue(json.contains("\"class_counts\""), json)
        XCTAssertTrue(json.contains("\"Happy\"") && json.contains("\"train.lr\""), json)
    }

    func testEveryCommandWithJSONPrintsSnakeCaseKeys() throws {
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: ClosedPipeTests.executable.path),
            "no ser executable at \(ClosedPipeTests.executable.path): build with `swift build --build-tests`")
        let store = directory.path("runs/ser.sqlite")
        let spec = directory.path("tiny.yaml")
        try Data(Self.spec.utf8).write(to: URL(fileURLWithPath: spec))
        let corpus = directory.path("corpus")
        let model = directory.path("model.safetensors")

        // In order: a corpus and runs first, then what reads them; rm last.
        let runs: [(command: [String], arguments: [String])] = [
            (["synth"], ["--out", corpus, "--actors", "1", "--sample-rate", "8000"]),
            (["validate"], [spec]),
            (["run"], [spec, "--store", store]),
            (["run"], [spec, "--store", store, "--set", "seed=6"]),
            (["runs"], ["--store", store]),
            (["show"], ["1", "--store", store]),
            (["compare"], ["--store", store]),
            (["query"], ["SELECT run_id, epoch, train_loss FROM epoch_metric", "--store", store]),
            (["export"], ["1", "--store", store, "-o", model]),
            (["predict"], [model, corpus + "/Actor_01/03-01-01-01-01-01-01.wav"]),
            (["eval"], [model, corpus]),
            (["data"], [corpus]),
            (["features"], [corpus + "/Actor_01/03-01-01-01-01-01-01.wav", "--npy", directory.path("f.npy")]),
            (["report"], ["1", "--store", store, "-o", directory.path("report.html"), "--no-spectrograms"]),
            (["lr-find"], ["--run", "1", "--store", store]),
            (["resume"], ["2", "--store", store]),
            (["run"], [spec, "--store", store, "--set", "seed=7", "--queue"]),
            (["worker"], ["--store", store, "--idle-exit", "0", "--threads", "1"]),
            (["listen"], [model, "--file", corpus + "/Actor_01/03-01-01-01-01-01-01.wav", "--speed", "0"]),
            (["devices"], []),
            (["doctor"], ["--seconds", "0"]),
            (["bench", "features"], [corpus, "--limit", "2", "--threads", "1"]),
            (
                ["bench", "train"],
                ["--depth", "10", "--mels", "16", "--frames", "32", "--batch", "2", "--width", "4", "--steps", "1"]
            ),
            (["bench", "listen"], ["--seconds", "3.5", "--depth", "10", "--window", "3s", "--hop", "0.5s"]),
            (["bench", "stream"], ["--items", "8", "--mels", "8", "--frames", "8", "--batch", "2", "--threads", "1"]),
            (["store", "copy"], [store, directory.path("copy/ser.sqlite")]),
            (["rm"], ["1", "--store", store]),
        ]
        let driven = Set(runs.map(\.command))
        for command in Self.commandsWithJSON() {
            XCTAssertTrue(
                driven.contains(command), "ser \(command.joined(separator: " ")) has --json but no test input")
        }
        XCTAssertGreaterThanOrEqual(driven.count, 22)
        for (command, arguments) in runs {
            if command == ["resume"] {
                try RunStore(path: store).interrupt(2, reason: "interrupted by a test")
            }
            let name = "ser " + command.joined(separator: " ")
            let output = try ser(command + arguments + ["--json"])
            // `listen` and `worker` print JSON lines; every other command one document.
            let documents =
                command == ["listen"] || command == ["worker"]
                ? output.split(separator: "\n").map(String.init) : [output]
            XCTAssertFalse(documents.isEmpty, name)
            for document in documents {
                guard
                    let value = try? JSONSerialization.jsonObject(
                        with: Data(document.utf8), options: [.fragmentsAllowed])
                else {
                    XCTFail("\(name) printed no JSON: \(document.prefix(500))")
                    continue
                }
                XCTAssertEqual(Self.badKeys(value), [], "\(name): keys not in snake_case")
                XCTAssertEqual(Self.runIDsNamedID(value), [], "\(name): a run's id is `run_id`")
                if Self.commandsPrintingRunIDs.contains(command) {
                    XCTAssertFalse(
                        Self.paths(of: "run_id", in: value).isEmpty, "\(name) names a run without `run_id`: \(document)"
                    )
                }
            }
        }
    }
}
