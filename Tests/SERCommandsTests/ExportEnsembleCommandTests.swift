import ArgumentParser
import Checksum
import Features
import Foundation
import Inference
import NeuralNet
import OutputFiles
import RunStore
import SndFile
import TestSupport
import XCTest

@testable import SERCommands

/// `ser export --ensemble` (one file averaging several runs) and `ser export --format onnx`.
final class ExportEnsembleCommandTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-export-ensemble") }

    /// Model files of the tiny recipe (2 classes, 16 kHz, 16 mel bands), each with its own weights.
    func modelFile(_ path: String, seed: UInt64, nMels: Int = 16) throws {
        let architecture = ModelArchitecture(depth: 10, width: 4, stem: .smallInput, classCount: 2, dropout: 0)
        var features = FeatureParameters()
        features.sampleRate = 16000
        features.nFFT = 256
        features.hopLength = 160
        features.nMels = nMels
        try ModelBundle(
            architecture: architecture, features: features,
            audio: AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil), normalization: .utterance,
            labels: ["low", "high"], labelScheme: "given", source: ModelSource(runID: Int64(seed)),
            toolVersion: "test", model: try architecture.makeResNet(seed: seed)
        ).save(to: URL(fileURLWithPath: path))
    }

    /// Runs 1–3 of experiment `alpha` (finished, with weights), run 4 of `beta` with 20 mel bands, run 5 of
    /// `alpha` failed (no weights).
    func makeStore() throws {
        let store = try RunStore(path: storePath)
        for (index, experiment) in ["alpha", "alpha", "alpha", "beta", "alpha"].enumerated() {
            let id = try store.createRun(
                experimentID: try store.findOrCreateExperiment(name: experiment).id!, name: experiment,
                specYAML: "seed: 1\n", specHash: "h\(index)", seed: 1, toolVersion: "0.1.0")
            try store.markRunning(id)
            if index == 4 {
                try store.fail(id, reason: "test")
                continue
            }
            let weights = directory.path("runs/\(id)/model.safetensors")
            try FileManager.default.createDirectory(
                atPath: directory.path("runs/\(id)"), withIntermediateDirectories: true)
            try modelFile(weights, seed: UInt64(id), nMels: experiment == "beta" ? 20 : 16)
            try store.addArtifact(runID: id, kind: "weights", path: weights)
            try store.finish(id)
        }
    }

    func export(_ arguments: [String]) throws -> Export.Result {
        let command = try SER.parseAsRoot(["export", "--store", storePath] + arguments)
        return try XCTUnwrap(command as? Export).export()
    }

    func wav(_ name: String, frequency: Double) throws -> String {
        let path = directory.path(name)
        let samples = (0..<16000).map { Float(0.3 * sin(2 * Double.pi * frequency * Double($0) / 16000)) }
        try SoundFile.write(samples, sampleRate: 16000, to: path, format: .wavFloat)
        return path
    }

    func testAnExperimentsFinishedRunsBecomeOneFileThatPredictAverages() throws {
        try makeStore()
        let output = directory.path("ensemble.safetensors")
        let result = try export(["--ensemble", "--experiment", "alpha", "-o", output])
        XCTAssertEqual(result.members, [1, 2, 3])
        XCTAssertEqual(result.sha256, try SHA256.hexAndSize(ofFileAt: output).hex)
        let loaded = try ModelBundle.load(from: URL(fileURLWithPath: output))
        XCTAssertEqual(loaded.members.map(\.source.runID), [1, 2, 3])

        let clips = [try wav("a.wav", frequency: 300), try wav("b.wav", frequency: 2000)]
        var singles = try (1...3).map {
            try ModelBundle.load(from: URL(fileURLWithPath: directory.path("runs/\($0)/model.safetensors")))
        }
        let each = try singles.indices.map { try singles[$0].classify(files: clips) }
        let predicted = try XCTUnwrap(SER.parseAsRoot(["predict", output] + clips) as? Predict).predictions()
        for (i, entry) in predicted.enumerated() {
            let p = try XCTUnwrap(entry.probabilities)
            for (c, label) in ["low", "high"].enumerated() {
                let mean = (each[0][i][c] + each[1][i][c] + each[2][i][c]) / 3
                XCTAssertEqual(try XCTUnwrap(p[label]), mean, accuracy: 1e-9, "\(entry.file) \(label)")
            }
        }
    }

    func testMembersThatDifferAreNamed() throws {
        try makeStore()
        let output = directory.path("mixed.safetensors")
        XCTAssertThrowsError(try export(["--ensemble", "1", "4", "-o", output])) { error in
            XCTAssertTrue(
                "\(error)".hasPrefix("run 4 cannot join an ensemble with run 1: its feature parameters differ"),
                "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        XCTAssertThrowsError(try export(["--ensemble", "1", "5", "-o", output])) { error in
            XCTAssertTrue("\(error)".contains("run 5 (failed) has no weights artifact"), "\(error)")
        }
        XCTAssertThrowsError(try export(["--ensemble", "--experiment", "gamma", "-o", output])) { error in
            XCTAssertTrue("\(error)".contains("no finished run"), "\(error)")
        }
    }

    /// Issue #22's groups: `--ensemble --group ID` takes the finished runs of that group; `--ensemble
    /// --experiment` of an experiment with several groups names them and asks for `--group` instead of mixing
    /// the sweep's combinations in one ensemble.
    func testAGroupsFinishedRunsBecomeOneEnsembleAndSeveralGroupsAreNotMixed() throws {
        try makeStore()
        let store = try RunStore(path: storePath)
        let alpha = try XCTUnwrap(store.experiment(named: "alpha")?.id)
        let depth10 = try store.createGroup(experimentID: alpha, kind: .kfold, label: "model.depth=10", runIDs: [1, 2])
        let depth18 = try store.createGroup(
            experimentID: alpha, kind: .kfold, label: "model.depth=18", runIDs: [2, 3, 5])
        let sweep = try store.createGroup(experimentID: alpha, kind: .sweep, label: "", runIDs: [1, 2, 3, 5])

        let output = directory.path("folds.safetensors")
        XCTAssertThrowsError(try export(["--ensemble", "--experiment", "alpha", "-o", output])) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("experiment 'alpha' has 3 groups"), message)
            for listed in [
                "group \(depth10) (kfold model.depth=10: runs 1, 2)",
                "group \(depth18) (kfold model.depth=18: runs 2, 3, 5)",
                "group \(sweep) (sweep: runs 1, 2, 3, 5)", "`ser export --ensemble --group ID`",
            ] {
                XCTAssertTrue(message.contains(listed), "\(listed) missing from: \(message)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))

        // The failed run 5 of the group is left out.
        let result = try export(["--ensemble", "--group", "\(depth18)", "-o", output])
        XCTAssertEqual(result.members, [2, 3])
        XCTAssertEqual(result.groupId, depth18)
        let loaded = try ModelBundle.load(from: URL(fileURLWithPath: output))
        XCTAssertEqual(loaded.members.map(\.source.runID), [2, 3])

        XCTAssertThrowsError(try export(["--ensemble", "--group", "99", "-o", directory.path("none.safetensors")])) {
            error in
            XCTAssertTrue("\(error)".hasPrefix("the store has no group 99; its groups: group \(depth10) "), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("none.safetensors")))
        for arguments in [
            ["--ensemble", "--group", "-o", "x"], ["--ensemble", "--group", "1", "2", "-o", "x"],
            ["--ensemble", "--group", "1", "--experiment", "alpha", "-o", "x"], ["--group", "1", "-o", "x"],
        ] {
            XCTAssertThrowsError(try SER.parseAsRoot(["export"] + arguments), "\(arguments)")
        }
    }

    func testFlagsThatDoNotGoTogetherAreRefused() throws {
        for arguments in [
            ["--ensemble", "--best", "-o", "x"], ["--ensemble", "-o", "x"], ["1", "2", "-o", "x"],
            ["--ensemble", "1", "--experiment", "alpha", "-o", "x"],
        ] {
            XCTAssertThrowsError(try SER.parseAsRoot(["export"] + arguments), "\(arguments)")
        }
    }

    func testOnnxExportChecksTheWeightsAndFollowsTheOutputRules() throws {
        try makeStore()
        let output = directory.path("model.onnx")
        let result = try export(["2", "--format", "onnx", "-o", output])
        XCTAssertEqual(result.format, "onnx")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        XCTAssertEqual(Int64(bytes.count), result.bytes)
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).contains("ser-onnx"))
        XCTAssertThrowsError(try export(["2", "--format", "onnx", "-o", output])) { error in
            XCTAssertEqual(error as? OutputFileError, .exists(path: output), "\(error)")
        }
        XCTAssertThrowsError(try export(["2", "--format", "onnx", "-o", directory.path("runs/ser.sqlite"), "--force"]))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), bytes)
        // Weights changed since training are not exported.
        let weights = directory.path("runs/3/model.safetensors")
        try modelFile(weights, seed: 99)
        let other = directory.path("other.onnx")
        XCTAssertThrowsError(try export(["3", "--format", "onnx", "-o", other])) { error in
            XCTAssertTrue("\(error)".contains("the file changed since training"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: other))
        let ensemble = try export(["--ensemble", "1", "2", "--format", "onnx", "-o", directory.path("two.onnx")])
        XCTAssertEqual(ensemble.members, [1, 2])
    }
}
