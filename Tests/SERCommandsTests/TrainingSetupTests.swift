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

/// `ser run` (and `ser resume`, through the same runner) and `ser lr-find` train the same learner from one
/// spec: one recipe, `TrainingSetup`.
final class TrainingSetupTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-training-setup") }

    let spec = """
        name: same
        seed: 9
        data:
          synthetic: {actors: 2, seed: 1}
          labels: emotion
          emotions: [neutral, happy, sad, angry]
        audio: {sample_rate: 8000, duration: 1.0}
        features: {n_fft: 256, hop_length: 80, n_mels: 16, normalize: dataset}
        model: {depth: 10, width: 8, stem: small, dropout: 0.1}
        lr_finder: {num_it: 8, suggest: [minimum, valley]}
        train:
          batch_size: 8
          lr: valley
          label_smoothing: 0.1
          augment: {spec_augment: {freq_masks: 1, freq_width: 3, time_masks: 1, time_width: 5}, mixup: {alpha: 0.4}}
        split: {kind: random, valid_pct: 0.25}
        """

    func testRunAndLRFindBuildTheSameLearnerFromOneSpec() throws {
        let path = directory.path("same.yaml")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let storePath = directory.path("runs/ser.sqlite")
        let store = try RunStore(path: storePath)
        let runner = ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
        let loader = SpecLoader(environment: [:], workingDirectory: directory.url.path)
        let expected: [String: (kind: String, weightDecay: Float)] = [
            "adamw": ("Adam", 0.01), "adam": ("Adam", 0.01), "sgd": ("SGD", 0.01),
        ]
        for (name, want) in expected {
            let resolved = try loader.load(path: path, overrides: ["train.optimizer.name=\(name)"]).runs[0]
            let run = try runner.setup(runID: 1, resolved: resolved, folder: directory.url.appendingPathComponent(name))
            let find = try LRFindSession.setup(resolved, storePath: storePath, output: .silent, log: { _ in })
            let a = run.learner, b = find.learner

            // The same data, split and normalisation.
            XCTAssertEqual(run.data.items.map(\.path), find.data.items.map(\.path), name)
            XCTAssertEqual(run.split, find.split, name)
            XCTAssertEqual(run.normalization, find.normalization, name)
            guard case .dataset = run.normalization else { return XCTFail("expected dataset statistics") }

            // The same model weights, bit for bit.
            let weights = a.model.stateDict, others = b.model.stateDict
            XCTAssertEqual(weights.map(\.name), others.map(\.name), name)
            XCTAssertEqual(weights.map(\.tensor.scalars), others.map(\.tensor.scalars), name)

            // The same optimizer kind and hyper-parameters.
            XCTAssertEqual("\(type(of: a.optimizer.base))", want.kind, name)
            XCTAssertEqual("\(type(of: b.optimizer.base))", want.kind, name)
            if let x = a.optimizer.base as? Adam, let y = b.optimizer.base as? Adam {
                XCTAssertEqual(
                    [x.learningRate, x.beta1, x.beta2, x.epsilon, x.weightDecay],
                    [y.learningRate, y.beta1, y.beta2, y.epsilon, y.weightDecay], name)
                XCTAssertEqual(x.decoupledWeightDecay, name == "adamw", name)
                XCTAssertEqual(y.decoupledWeightDecay, name == "adamw", name)
                XCTAssertEqual(x.weightDecay, want.weightDecay, name)
            } else if let x = a.optimizer.base as? SGD, let y = b.optimizer.base as? SGD {
                XCTAssertEqual(
                    [x.learningRate, x.momentum, x.weightDecay], [y.learningRate, y.momentum, y.weightDecay], name)
                XCTAssertEqual(x.nesterov, y.nesterov, name)
            } else {
                XCTFail("\(name): \(a.optimizer.base) and \(b.optimizer.base)")
            }

            // The same batches (augmentation and mixup included) and loss, from the same seed.
            XCTAssertEqual(a.configuration.batches, b.configuration.batches, name)
            XCTAssertEqual(a.configuration.loss, b.configuration.loss, name)
            XCTAssertEqual(a.configuration.seed, b.configuration.seed, name)
            var rngA = Xoshiro256(seed: a.configuration.seed, stream: 0)
            var rngB = Xoshiro256(seed: b.configuration.seed, stream: 0)
            let orderA = a.loader.trainingOrder(a.split.train, using: &rngA)
            let orderB = b.loader.trainingOrder(b.split.train, using: &rngB)
            XCTAssertEqual(orderA, orderB, name)
            for (x, y) in zip(orderA, orderB).prefix(2) {
                let batchA = try a.loader.trainingBatch(x, using: &rngA),
                    batchB = try b.loader.trainingBatch(y, using: &rngB)
                XCTAssertEqual(batchA.input.scalars, batchB.input.scalars, name)
                XCTAssertEqual(batchA.labels, batchB.labels, name)
                XCTAssertEqual(batchA.softTargets?.scalars, batchB.softTargets?.scalars, name)
            }

            // Only the run checkpoints, into its own folder.
            XCTAssertEqual(
                run.configuration.checkpointDirectory,
                RunnerPaths.checkpoints(in: directory.url.appendingPathComponent(name)), name)
            XCTAssertNil(find.configuration.checkpointDirectory, name)
        }
    }
}
