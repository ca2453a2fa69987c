import Foundation
import NeuralNet
import TestSupport
import XCTest

@testable import Training

/// `train.fine_tune` and discriminative rates as a learner callback (``FineTuneCallback``).
final class FineTuneTests: XCTestCase {
    func fineTuned(_ configuration: LearnerConfiguration, modelSeed: UInt64 = 1) -> Learner<ResNet, Adam> {
        let learner = SyntheticData.learner(modelSeed: modelSeed, configuration: configuration)
        learner.callbacks.append(FineTuneCallback(freezeEpochs: 1, lowestScale: 0.01))
        return learner
    }

    func testFrozenEpochsTrainOnlyTheHeadAndBatchNormThenEverything() throws {
        let learner = fineTuned(SyntheticData.configuration())
        let before = Dictionary(uniqueKeysWithValues: SyntheticData.weights(learner.model))
        var afterFirst: [String: [Float]] = [:]
        learner.callbacks.append(
            ClosureCallback(onEpoch: { [unowned learner] record in
                if record.epoch == 0 {
                    afterFirst = Dictionary(uniqueKeysWithValues: SyntheticData.weights(learner.model))
                }
            }))
        try learner.fit(epochs: 2, lr: 1e-2)
        let after = Dictionary(uniqueKeysWithValues: SyntheticData.weights(learner.model))
        for (name, _) in learner.model.namedParameters {
            let trainsFrozen = name.hasPrefix("fc.") || ResNetParameterGroup.isBatchNorm(name)
            if trainsFrozen {
                XCTAssertNotEqual(afterFirst[name], before[name], "\(name) trains while frozen")
            } else {
                XCTAssertEqual(afterFirst[name], before[name], "\(name) changed while frozen")
            }
            XCTAssertNotEqual(after[name], afterFirst[name], "\(name) trains once unfrozen")
        }
    }

    func testResumeAcrossTheFreezeBoundaryIsBitIdentical() throws {
        try withSingleBLASThread {
            for stopAfter in [0, 1] {  // checkpoints before and after the boundary (epoch 1 is the first unfrozen)
                let straightDir = TemporaryDirectory("ser-ft-straight")
                let interruptedDir = TemporaryDirectory("ser-ft-interrupted")
                let straight = fineTuned(SyntheticData.configuration(checkpoints: straightDir.url))
                let full = try straight.fitOneCycle(epochs: 3, lrMax: 1e-2)

                let first = fineTuned(SyntheticData.configuration(checkpoints: interruptedDir.url))
                let stopper = ClosureCallback()
                stopper.onEpoch = { [unowned first] record in if record.epoch == stopAfter { first.requestStop() } }
                first.callbacks.append(stopper)
                XCTAssertTrue(try first.fitOneCycle(epochs: 3, lrMax: 1e-2).stoppedEarly)

                let resumed = fineTuned(SyntheticData.configuration(), modelSeed: 99)
                let rest = try resumed.resume(from: interruptedDir.url)
                let a = SyntheticData.weights(straight.model), b = SyntheticData.weights(resumed.model)
                for (x, y) in zip(a, b) { XCTAssertEqual(x.1, y.1, "\(x.0) differs after resume at \(stopAfter)") }
                XCTAssertEqual(
                    straight.optimizer.stateTensors.map(\.name), resumed.optimizer.stateTensors.map(\.name))
                XCTAssertEqual(
                    straight.optimizer.stateTensors.map(\.tensor.scalars),
                    resumed.optimizer.stateTensors.map(\.tensor.scalars))
                XCTAssertEqual(full.history.map(\.trainLoss), rest.history.map(\.trainLoss))
            }
        }
    }

    func testTheCallbackSetsTheScalesOfEachEpoch() {
        let callback = FineTuneCallback(freezeEpochs: 2, lowestScale: 1e-2)
        XCTAssertEqual(callback.scales(epoch: 0), .frozen)
        XCTAssertEqual(callback.scales(epoch: 1), .frozen)
        XCTAssertEqual(callback.scales(epoch: 2), .unfrozen(lowest: 1e-2))
    }
}
