import Foundation
import NeuralNet
import TestSupport
import XCTest

@testable import Training

final class WeightAverageTests: XCTestCase {
    func testAveragedModelIsTheMeanOfTheLastEpochsWeightsAndLeavesTrainingAlone() throws {
        var configuration = SyntheticData.configuration()
        configuration.averageEpochs = 3
        let learner = SyntheticData.learner(configuration: configuration)
        var snapshots: [[(String, [Float])]] = []
        learner.callbacks.append(
            ClosureCallback(onEpoch: { [unowned learner] _ in snapshots.append(SyntheticData.weights(learner.model)) }))
        try learner.fitOneCycle(epochs: 5, lrMax: 1e-2)
        XCTAssertEqual(learner.averagedEpochCount, 3)

        let averaged = SyntheticData.weights(learner.averagedModel!)
        let tail = snapshots.suffix(3)
        XCTAssertEqual(averaged.map(\.0), snapshots[0].map(\.0))
        for (i, (name, values)) in averaged.enumerated() {
            if name.hasSuffix("num_batches_tracked") {
                XCTAssertEqual(values, snapshots[4][i].1, "\(name) is the latest count")
                continue
            }
            for j in values.indices {
                let mean = tail.map { Double($0[i].1[j]) }.reduce(0, +) / 3
                XCTAssertEqual(Double(values[j]), mean, accuracy: 1e-5 * max(1, abs(mean)), "\(name)[\(j)]")
            }
        }
        // The average differs from the last epoch's weights (the network still moved)…
        XCTAssertNotEqual(averaged.map(\.1), snapshots[4].map(\.1))

        // …while the training itself is the same as without averaging.
        let plain = SyntheticData.learner()
        try plain.fitOneCycle(epochs: 5, lrMax: 1e-2)
        XCTAssertNil(plain.averagedModel)
        XCTAssertEqual(SyntheticData.weights(plain.model).map(\.1), SyntheticData.weights(learner.model).map(\.1))

        learner.loadAveragedModel()
        XCTAssertEqual(SyntheticData.weights(learner.model).map(\.1), averaged.map(\.1))
    }

    func testResumeInsideTheAveragedEpochsGivesTheSameAverage() throws {
        try withSingleBLASThread(resumeInsideTheAveragedEpochs)
    }

    func resumeInsideTheAveragedEpochs() throws {
        func configuration(_ directory: URL?) -> LearnerConfiguration {
            var c = SyntheticData.configuration(checkpoints: directory)
            c.averageEpochs = 2
            return c
        }
        let straightDir = TemporaryDirectory("ser-avg-straight"), interruptedDir = TemporaryDirectory("ser-avg-stop")
        let straight = SyntheticData.learner(configuration: configuration(straightDir.url))
        try straight.fitOneCycle(epochs: 4, lrMax: 1e-2)

        // Stop after the third epoch, the first of the two averaged ones.
        let first = SyntheticData.learner(configuration: configuration(interruptedDir.url))
        first.callbacks.append(
            ClosureCallback(onEpoch: { [unowned first] record in if record.epoch == 2 { first.requestStop() } }))
        XCTAssertTrue(try first.fitOneCycle(epochs: 4, lrMax: 1e-2).stoppedEarly)
        let state = try CheckpointState.read(from: interruptedDir.url)
        XCTAssertEqual(state.averageCount, 1)
        XCTAssertEqual(state.averageFile, "average-e0002.safetensors")
        let files = try FileManager.default.contentsOfDirectory(atPath: interruptedDir.url.path)
        XCTAssertTrue(files.contains("average-e0002.safetensors"), "\(files)")

        let resumed = SyntheticData.learner(modelSeed: 99, configuration: configuration(nil))
        try resumed.resume(from: interruptedDir.url)
        XCTAssertEqual(resumed.averagedEpochCount, 2)
        XCTAssertEqual(
            SyntheticData.weights(resumed.averagedModel!).map(\.1),
            SyntheticData.weights(straight.averagedModel!).map(\.1))
        // Only the latest average file is kept.
        let after = try FileManager.default.contentsOfDirectory(atPath: interruptedDir.url.path)
        XCTAssertEqual(after.filter { $0.hasPrefix("average-") }, ["average-e0003.safetensors"])
    }
}
