import Foundation
import NeuralNet
import RunStore
import SeededRandom
import Specs
import TestSupport
import Training
import XCTest

@testable import Runner
@testable import SERCommands

/// `model.init` with a torchvision-style checkpoint and `train.fine_tune` in the one training recipe of `ser run`,
/// `ser resume` and `ser lr-find`.
final class PretrainedSetupTests: XCTestCase {
    func testSetupLoadsAPretrainedBodyAndFreezesItForTheFinderAndTheFirstEpochs() throws {
        let directory = TemporaryDirectory("ser-pretrained-setup")
        // A 3-channel, 1000-class checkpoint of the spec's architecture.
        var rng = Xoshiro256(seed: 77)
        let imageNet = ResNet(
            classCount: 1000, depth: .resNet10, inputChannels: 3, width: 8, stem: .smallInput, using: &rng)
        let checkpoint = directory.url.appendingPathComponent("imagenet.safetensors")
        try imageNet.save(to: checkpoint)
        let spec = """
            name: pretrained
            data:
              synthetic: {actors: 2, seed: 1}
              labels: emotion
              emotions: [neutral, happy, sad]
            audio: {sample_rate: 8000, duration: 1.0}
            features: {n_fft: 256, hop_length: 80, n_mels: 16}
            model: {depth: 10, width: 8, stem: small, init: imagenet.safetensors}
            lr_finder: {num_it: 6, suggest: [valley]}
            train: {epochs: 2, batch_size: 8, lr: [1.0e-4, 1.0e-2], fine_tune: {freeze_epochs: 1}}
            split: {kind: random, valid_pct: 0.25}
            """
        let path = directory.path("pretrained.yaml")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let resolved = try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(path: path).runs[0]
        var lines: [String] = []
        let setup = try TrainingSetup(
            resolved, paths: RunnerPaths(storePath: directory.path("runs/ser.sqlite")), threads: 1,
            log: { lines.append($0) })
        XCTAssertTrue(
            lines.contains { $0.contains("pretrained body loaded, its 1000-class classifier replaced by a new head") },
            "\(lines)")
        let model = setup.learner.model
        let source = Dictionary(uniqueKeysWithValues: imageNet.stateDict.map { ($0.name, $0.tensor.scalars) })
        let loaded = Dictionary(uniqueKeysWithValues: model.stateDict.map { ($0.name, $0.tensor.scalars) })
        XCTAssertEqual(loaded["layer4.0.conv2.weight"], source["layer4.0.conv2.weight"])
        XCTAssertEqual(model.fc.weight.value.shape, [3, 64])
        XCTAssertEqual(model.conv1.weight.value.shape, [8, 1, 3, 3])
        // Frozen from the start, so the LR finder sweeps the frozen model.
        let scales = Dictionary(
            uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.learningRateScale) })
        XCTAssertEqual(scales["layer2.0.conv1.weight"], 0)
        XCTAssertEqual(scales["layer2.0.bn1.weight"], 1)
        XCTAssertEqual(scales["fc.weight"], 1)
        let fineTune = try XCTUnwrap(setup.learner.callbacks.compactMap { $0 as? FineTuneCallback }.first)
        XCTAssertEqual(fineTune.freezeEpochs, 1)
        XCTAssertEqual(fineTune.lowestScale, 1e-2, accuracy: 1e-12)
        _ = try setup.findLearningRate()
        try setup.learner.fit(epochs: 1, lr: 1e-2)
        XCTAssertEqual(
            setup.learner.model.stateDict.first { $0.name == "layer3.0.conv1.weight" }?.tensor.scalars,
            source["layer3.0.conv1.weight"])
    }
}
