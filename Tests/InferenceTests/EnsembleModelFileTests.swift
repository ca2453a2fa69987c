import Features
import Foundation
import Inference
import NeuralNet
import TestSupport
import Training
import XCTest

/// Ensemble model files (format version 2): one file holding several networks whose probabilities are averaged.
final class EnsembleModelFileTests: XCTestCase {
    func members() throws -> [ModelBundle] {
        [
            try randomBundle(depth: 10, stem: .smallInput, seed: 1, normalization: .utterance),
            try randomBundle(depth: 18, stem: .imageNet, seed: 2, normalization: .perBand),
            try randomBundle(
                depth: 10, stem: .smallInput, seed: 3,
                normalization: .dataset(DatasetStatistics(mean: [-20], std: [12]))),
        ]
    }

    func testEnsembleAveragesItsMembersAndSurvivesTheFile() throws {
        var singles = try members()
        let matrices = sampleMatrices()
        let each = try singles.indices.map { try singles[$0].classify(matrices: matrices) }
        let ensemble = try ModelBundle(ensembleOf: singles, names: ["a", "b", "c"])
        let folder = TemporaryDirectory()
        let url = folder.url.appendingPathComponent("ensemble.safetensors")
        try ensemble.save(to: url)
        var loaded = try ModelBundle.load(from: url)
        XCTAssertEqual(loaded.members.count, 3)
        XCTAssertEqual(loaded.members.map(\.source.runID), [1, 2, 3])
        XCTAssertEqual(loaded.members.map(\.normalization), singles.map(\.normalization))
        XCTAssertEqual(try SafeTensors.read(from: url).metadata["format_version"], "2")
        let averaged = try loaded.classify(matrices: matrices)
        for (i, p) in averaged.enumerated() {
            for c in p.indices {
                let mean = (each[0][i][c] + each[1][i][c] + each[2][i][c]) / 3
                XCTAssertEqual(p[c], mean, accuracy: 1e-9, "matrix \(i) class \(c)")
            }
            // Not just one member's answer.
            XCTAssertNotEqual(p, each[0][i])
        }
    }

    func testSingleModelsStayVersionOne() throws {
        let folder = TemporaryDirectory()
        let url = folder.url.appendingPathComponent("one.safetensors")
        try randomBundle(depth: 10, stem: .smallInput, seed: 1).save(to: url)
        let file = try SafeTensors.read(from: url)
        XCTAssertEqual(file.metadata["format_version"], "1")
        XCTAssertNil(file.metadata["members"])
        XCTAssertTrue(file.tensors.contains { $0.name == "fc.weight" })
        XCTAssertEqual(try ModelBundle.load(from: url).members.count, 1)
    }

    func testMembersMustShareClassesAndFeatures() throws {
        let a = try randomBundle(depth: 10, stem: .smallInput, seed: 1)
        var b = try randomBundle(depth: 10, stem: .smallInput, seed: 2)
        b.features.nMels = 20
        XCTAssertThrowsError(try ModelBundle(ensembleOf: [a, b], names: ["run 1", "run 2"])) { error in
            XCTAssertTrue(
                "\(error)".hasPrefix("run 2 cannot join an ensemble with run 1: its feature parameters differ"),
                "\(error)")
        }
        var c = try randomBundle(depth: 10, stem: .smallInput, seed: 3)
        c.labels = ["low", "high", "mid"]
        XCTAssertThrowsError(try ModelBundle(ensembleOf: [a, c], names: ["run 1", "run 3"])) { error in
            XCTAssertTrue("\(error)".contains("its classes differ"), "\(error)")
        }
        var d = try randomBundle(depth: 10, stem: .smallInput, seed: 4)
        d.audio.frames = 41
        XCTAssertThrowsError(try ModelBundle(ensembleOf: [a, d], names: ["run 1", "run 4"])) { error in
            XCTAssertTrue("\(error)".contains("its audio settings differ"), "\(error)")
        }
    }

    /// An ensemble file whose `members` metadata or tensors are wrong is refused, naming the member.
    func testHostileEnsembleFilesAreRefused() throws {
        let folder = TemporaryDirectory()
        let ensemble = try ModelBundle(ensembleOf: try members(), names: ["a", "b", "c"])
        let good = ensemble.tensors()
        var metadata = try ensemble.metadata()
        func refused(_ tensors: [(name: String, tensor: Tensor)], _ meta: [String: String], _ expected: String) throws {
            let url = folder.url.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
            try SafeTensors.write(tensors, metadata: meta, to: url)
            XCTAssertThrowsError(try ModelBundle.load(from: url)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
        try refused(good.filter { $0.name != "members.1.fc.bias" }, metadata, "members.1.fc.bias")
        try refused(
            good.map { ($0.name.replacingOccurrences(of: "members.2.", with: "members.3."), $0.tensor) }, metadata,
            "members.3.")
        metadata["members"] = metadata["members"]!.replacingOccurrences(of: "\"width\":2", with: "\"width\":0")
        try refused(good, metadata, "members[0].architecture.width")
        metadata["members"] = "[]"
        try refused(good, metadata, "expected 1…64 networks")
        metadata["format_version"] = "3"
        try refused(good, metadata, "model format version 3")
    }
}
