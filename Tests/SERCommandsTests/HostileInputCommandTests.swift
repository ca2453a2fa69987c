import ArgumentParser
import Features
import Foundation
import GRDB
import Inference
import NeuralNet
import SndFile
import TestSupport
import XCTest

@testable import RunStore
@testable import SERCommands

/// Issue #18 end to end: audio with NaN, infinite or absurd samples and crafted model files give errors
/// naming the file, never NaN output, a crash or a run left `running`.
final class HostileInputCommandTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-hostile-commands") }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    /// A tiny model file in the test folder (see ``writeTinyModelFile(to:)``).
    func model() throws -> String { try writeTinyModelFile(to: directory.path("model.safetensors")) }

    /// A one-second float WAV of a tone, with `replace` applied to its samples.
    func wav(_ name: String, frequency: Double = 440, replace: (inout [Float]) -> Void = { _ in }) throws -> String {
        var samples = (0..<16000).map { Float(0.3 * sin(2 * Double.pi * frequency * Double($0) / 16000)) }
        replace(&samples)
        let path = directory.path(name)
        try SoundFile.write(samples, sampleRate: 16000, to: path, format: .wavFloat)
        return path
    }

    func testPredictReportsTheGoodFilesAndNamesTheNaNOne() throws {
        let model = try model()
        let good1 = try wav("good1.wav", frequency: 300)
        let bad = try wav("nan.wav") { $0[8000] = .nan }
        let good2 = try wav("good2.wav", frequency: 900)
        let predict = try parse(Predict.self, ["predict", model, good1, bad, good2])
        let results = try predict.predictions()
        XCTAssertEqual(results.map(\.file), [good1, bad, good2])
        XCTAssertNotNil(results[0].label)
        XCTAssertNotNil(results[2].label)
        XCTAssertNil(results[1].label)
        let error = try XCTUnwrap(results[1].error)
        XCTAssertTrue(error.contains("nan.wav: sample 8000 (channel 0, at 0.500000 s) is nan"), error)
        for r in [results[0], results[2]] {
            XCTAssertTrue(try XCTUnwrap(r.top).allSatisfy { $0.probability.isFinite })
        }
        // `--json` keeps the good files' answers next to the bad file's error.
        let json = try StoreFormat.json(results)
        let decoded = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual(decoded.compactMap { $0["label"] as? String }.count, 2, json)
        XCTAssertTrue((decoded[1]["error"] as? String)?.contains("nan.wav") == true, json)
        XCTAssertThrowsError(try predict.run()) { XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1, "\($0)") }
        XCTAssertThrowsError(try parse(Predict.self, ["predict", model, good1, bad, "--json"]).run()) {
            XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1, "\($0)")
        }
    }

    func testEvalRefusesAFolderWithAnInfiniteSample() throws {
        let model = try model()
        for (label, frequency) in [("low", 200.0), ("high", 2000.0)] {
            try FileManager.default.createDirectory(
                atPath: directory.path("data/\(label)"), withIntermediateDirectories: true)
            _ = try wav("data/\(label)/a.wav", frequency: frequency)
        }
        _ = try wav("data/high/inf.wav") { $0[100] = .infinity }
        XCTAssertThrowsError(try parse(Eval.self, ["eval", model, directory.path("data")]).evaluate()) { error in
            XCTAssertTrue("\(error)".contains("inf.wav: sample 100 (channel 0, at 0.006250 s) is inf"), "\(error)")
        }
    }

    func testFeaturesRefusesAbsurdSamplesInsteadOfDrawingThem() throws {
        let bad = try wav("loud.wav") { $0[16] = 1e30 }
        let command = try FeaturesCommand.parse([
            bad, "--png", directory.path("f.png"), "--npy", directory.path("f.npy"),
        ])
        XCTAssertThrowsError(try command.run()) { error in
            XCTAssertTrue("\(error)".contains("loud.wav: sample 16 (channel 0, at 0.001000 s) is 1e+30"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("f.png")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("f.npy")))
    }

    /// `ser runs`, `show` and `report` on a store whose accuracy column holds text: an error naming the
    /// table, row and column (GRDB's subscript stopped the process before).
    func testStoreCommandsNameAValueOfTheWrongType() throws {
        let path = directory.path("runs/ser.sqlite")
        let store = try RunStore(path: path)
        let experiment = try store.findOrCreateExperiment(name: "e").id!
        let id = try store.createRun(
            experimentID: experiment, name: "r", specYAML: "seed: 1\n", specHash: "h", seed: 1, toolVersion: "test")
        try store.recordEpoch(EpochMetricRecord(runId: id, epoch: 1, trainLoss: 1, validLoss: 1, accuracy: 0.5))
        try store.writer.write { try $0.execute(sql: "UPDATE epoch_metric SET accuracy = 'x'") }
        let expected = "table epoch_metric, row run \(id)"
        XCTAssertThrowsError(try parse(Runs.self, ["runs", "--store", path]).output()) {
            XCTAssertTrue("\($0)".contains(expected + ", column best_accuracy holds text 'x'"), "\($0)")
        }
        XCTAssertThrowsError(try parse(Show.self, ["show", String(id), "--store", path]).output()) {
            XCTAssertTrue("\($0)".contains(expected + ", epoch 1, column accuracy holds text 'x'"), "\($0)")
        }
        let out = directory.path("report.html")
        XCTAssertThrowsError(try parse(Report.self, ["report", String(id), "-o", out, "--store", path]).write()) {
            XCTAssertTrue("\($0)".contains(expected), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testRunWithACraftedInitFileFailsWithTheReason() throws {
        // A header length of 2^63 trapped in `Int(UInt64)` and left the run `running`.
        let weights = directory.path("init.safetensors")
        var data = Data()
        withUnsafeBytes(of: (UInt64(1) << 63).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data("{}      ".utf8))
        try data.write(to: URL(fileURLWithPath: weights))
        let spec = directory.path("tiny.yaml")
        try """
        name: tiny-init
        seed: 5
        data:
          synthetic: {actors: 2, seed: 1}
          labels: emotion
          emotions: [neutral, happy]
        audio: {sample_rate: 16000, duration: 1.0}
        features: {n_fft: 256, hop_length: 160, n_mels: 16}
        model: {depth: 10, width: 8, stem: small, init: \(weights)}
        lr_finder: {enabled: false}
        train: {epochs: 1, batch_size: 16, lr: 0.01}
        split: {kind: speakers, valid: [2]}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let store = directory.path("runs/ser.sqlite")
        let outcomes = try parse(RunCommand.self, ["run", spec, "--store", store])
            .perform(output: .silent, log: { _ in }, trap: false)
        XCTAssertEqual(outcomes.map(\.status), [.failed])
        let reason = try XCTUnwrap(outcomes.first?.error)
        XCTAssertTrue(reason.contains("model.init \(weights)") && reason.contains("header length"), reason)
        let run = try XCTUnwrap(try RunStore(path: store).run(outcomes[0].runID))
        XCTAssertEqual(run.status, .failed)
        XCTAssertEqual(run.error, reason)
    }
}
