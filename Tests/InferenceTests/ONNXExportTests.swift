import Features
import Foundation
import Inference
import NeuralNet
import TestSupport
import Training
import XCTest

/// The ONNX export run in ONNX Runtime (PyPI, in the virtual environment `tools/python-venv` makes) gives ser's
/// probabilities: every depth and stem, each normalisation, and an ensemble.
final class ONNXExportTests: XCTestCase {
    /// The venv's Python (`SER_ONNX_PYTHON`, else `.build/python-venv/bin/python3` of the repository). When it is
    /// absent: in CI (`CI=true`) the test fails (nil); elsewhere it is skipped with the reason (`XCTSkip`).
    func onnxPython() throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        let python =
            environment["SER_ONNX_PYTHON"]
            ?? SharedData.repositoryRoot.appendingPathComponent(".build/python-venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: python) { return python }
        let reason =
            "\(python) is missing; run tools/python-venv (tools/setup runs it) to make the venv with onnxruntime and numpy"
        if environment["CI"] == "true" {
            XCTFail("CI needs ONNX Runtime: \(reason)")
        } else {
            throw XCTSkip("Skipping the ONNX Runtime comparison: \(reason)")
        }
        return nil
    }

    /// Runs each model on its input in ONNX Runtime; returns the probabilities and each model's metadata.
    func runInOnnxRuntime(
        _ python: String, _ cases: [(model: String, input: String)]
    ) throws -> [(probabilities: [[Double]], metadata: [String: String])] {
        let folder = TemporaryDirectory()
        let script = folder.path("run.py")
        try """
        import json, sys
        import numpy as np
        import onnxruntime as ort
        out = []
        for model, data in zip(sys.argv[1::2], sys.argv[2::2]):
            session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
            p = session.run(["probabilities"], {"logmel": np.load(data)})[0]
            out.append({"p": p.astype(float).tolist(), "meta": session.get_modelmeta().custom_metadata_map})
        print(json.dumps(out))
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + cases.flatMap { [$0.model, $0.input] }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(
                domain: "onnxruntime", code: Int(process.terminationStatus),
                userInfo: [NSLocalizedDescriptionKey: errors])
        }
        struct Answer: Decodable {
            var p: [[Double]]
            var meta: [String: String]
        }
        return try JSONDecoder().decode([Answer].self, from: output).map { ($0.p, $0.meta) }
    }

    func testOnnxRuntimeGivesSersProbabilities() throws {
        guard let python = try onnxPython() else { return }
        var bundles: [(name: String, bundle: ModelBundle)] = []
        let normalizations: [Normalization] = [
            .utterance, .perBand, .dataset(DatasetStatistics(mean: [-28], std: [15])),
            .dataset(
                DatasetStatistics(
                    mean: pseudoRandom(16, seed: 9, scale: 5).map { $0 - 25 },
                    std: pseudoRandom(16, seed: 10).map { 10 + $0 })),
        ]
        var k = 0
        for depth in [10, 18, 34, 50] {
            for stem in ResNet.Stem.allCases {
                bundles.append(
                    (
                        "resnet\(depth)-\(stem.rawValue)",
                        try randomBundle(depth: depth, stem: stem, seed: 10 + k, normalization: normalizations[k % 4])
                    ))
                k += 1
            }
        }
        let ensemble = try ModelBundle(
            ensembleOf: [
                try randomBundle(depth: 10, stem: .smallInput, seed: 40, normalization: .utterance),
                try randomBundle(depth: 18, stem: .imageNet, seed: 41, normalization: normalizations[3]),
                try randomBundle(depth: 50, stem: .smallInput, seed: 42, normalization: .perBand),
            ], names: ["a", "b", "c"])
        bundles.append(("ensemble", ensemble))

        let folder = TemporaryDirectory()
        let matrices = sampleMatrices()
        var cases: [(model: String, input: String)] = []
        var expected: [[[Double]]] = []
        for (name, bundle) in bundles {
            var bundle = bundle
            let model = folder.path("\(name).onnx"), input = folder.path("\(name).npy")
            try ONNXExport.data(of: bundle).write(to: URL(fileURLWithPath: model))
            let raw = bundle.modelInput(matrices, normalization: Normalization.none)
            try NumpyFile.data(raw.scalars, shape: raw.shape).write(to: URL(fileURLWithPath: input))
            expected.append(try bundle.classify(matrices: matrices))
            cases.append((model, input))
        }
        let answers = try runInOnnxRuntime(python, cases)
        XCTAssertEqual(answers.count, bundles.count)
        for ((name, bundle), (answer, want)) in zip(bundles, zip(answers, expected)) {
            XCTAssertEqual(answer.probabilities.count, matrices.count, name)
            var worst = 0.0
            for (p, q) in zip(answer.probabilities, want) {
                XCTAssertEqual(p.count, q.count, name)
                for (a, b) in zip(p, q) { worst = max(worst, abs(a - b)) }
            }
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(name): largest difference \(worst)")
            XCTAssertEqual(answer.metadata["labels"], #"["low","mid","high"]"#, name)
            XCTAssertEqual(answer.metadata["features"], bundle.features.canonicalJSON, name)
            XCTAssertNotNil(answer.metadata["audio"], name)
        }
    }
}
