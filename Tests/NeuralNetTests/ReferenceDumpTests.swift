import Foundation
import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

/// Writes one training step's inputs and results for tools/bench/compare_gradients.py (PyTorch
/// cross-check). Runs only when SER_NN_REFERENCE_DIR is set; Python is never needed for the suite.
final class ReferenceDumpTests: XCTestCase {
    func testDumpReferenceStep() throws {
        guard let dir = ProcessInfo.processInfo.environment["SER_NN_REFERENCE_DIR"] else {
            throw XCTSkip("set SER_NN_REFERENCE_DIR to write the PyTorch cross-check fixture")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func url(_ name: String) -> URL { URL(fileURLWithPath: dir).appendingPathComponent(name) }
        let depth = ResNet.Depth(rawValue: Int(ProcessInfo.processInfo.environment["SER_NN_DEPTH"] ?? "18")!)!
        let stem: ResNet.Stem =
            ProcessInfo.processInfo.environment["SER_NN_STEM"] == ResNet.Stem.smallInput.rawValue
            ? .smallInput : .imageNet
        let shape = [8, 1, 64, 96], classes = 5, width = 16
        var rng = Xoshiro256(seed: 42)
        var model = ResNet(classCount: classes, depth: depth, width: width, stem: stem, using: &rng)
        try "classes=\(classes) depth=\(depth.rawValue) in_channels=1 width=\(width) stem=\(stem.rawValue)".write(
            to: url("config.txt"), atomically: true, encoding: .utf8)
        try model.save(to: url("model.safetensors"))
        let x = Tensor(shape: shape, scalars: randomScalars(shape.reduce(1, *), &rng))
        let labels = (0..<shape[0]).map { $0 % classes }
        try SafeTensors.write(
            [("input", x), ("labels", Tensor(shape: [labels.count], scalars: labels.map(Float.init)))],
            to: url("batch.safetensors"))
        let (loss, g) = CrossEntropyLoss(labelSmoothing: 0.1)(model.forward(x, training: true), labels: labels)
        _ = model.backward(g)
        try SafeTensors.write(
            model.namedParameters.map { ("grad." + $0.name, $0.parameter.gradient) } + [
                ("loss", Tensor(shape: [], scalars: [loss]))
            ], to: url("grads.safetensors"))
        var adam = Adam(learningRate: 1e-3)
        adam.step(&model)
        try model.save(to: url("after.safetensors"))
    }
}
