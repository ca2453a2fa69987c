import Foundation
import NeuralNet
import TestSupport
import XCTest

@testable import Training

/// A callback that logs events, may set the learning rate before every batch, ask for a stop after an
/// epoch, and runs `act` (which may throw `CancelFit`).
final class ProbeCallback: LearnerCallback {
    var events: [LearnerEvent] = []
    var setLearningRate: Float?
    var stopAfterEpoch: Int?
    var act: (LearnerEvent, FitState) throws -> Void

    init(act: @escaping (LearnerEvent, FitState) throws -> Void = { _, _ in }) { self.act = act }

    func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) throws {
        events.append(event)
        if event == .beforeBatch, let setLearningRate { learner.optimizer.learningRate = setLearningRate }
        if event == .afterEpoch, learner.state.epoch == stopAfterEpoch { learner.requestStop() }
        try act(event, learner.state)
    }
}

final class CallbackTests: XCTestCase {
    func data() -> FeatureDataset { SyntheticData.dataset(separation: 0.5, labelNoise: 0.3) }

    func testEventsComeInFastaiOrder() throws {
        let learner = SyntheticData.linearLearner(data: data(), configuration: SyntheticData.configuration())
        let probe = ProbeCallback()
        learner.callbacks.append(probe)
        try learner.fit(epochs: 2, lr: 1e-3)
        let batches = Array(
            repeating: [LearnerEvent.beforeBatch, .afterBatch], count: learner.batchesPerEpoch
        ).flatMap { $0 }
        let epoch: [LearnerEvent] =
            [.beforeEpoch, .beforeTrain] + batches + [.afterTrain, .beforeValidate, .afterValidate, .afterEpoch]
        XCTAssertEqual(probe.events, [.beforeFit] + epoch + epoch + [.afterFit])
    }

    func testACallbackStopsTheFitAfterABatch() throws {
        let directory = TemporaryDirectory("ser-cancel-batch")
        let learner = SyntheticData.linearLearner(
            data: data(), configuration: SyntheticData.configuration(checkpoints: directory.url))
        let probe = ProbeCallback { event, state in
            if event == .afterBatch && state.epoch == 1 && state.batchIndex == 2 { throw CancelFit() }
        }
        var batches = 0
        learner.callbacks += [probe, ClosureCallback(onBatch: { _ in batches += 1 })]
        let summary = try learner.fit(epochs: 3, lr: 1e-3)
        XCTAssertTrue(summary.stoppedEarly)
        XCTAssertEqual(summary.history.map(\.epoch), [0], "the cancelled epoch is neither validated nor recorded")
        XCTAssertEqual(learner.step, learner.batchesPerEpoch + 3)
        XCTAssertEqual(
            batches, learner.batchesPerEpoch + 2, "callbacks after the canceller do not see the cancelled batch")
        XCTAssertEqual(Array(probe.events.suffix(3)), [.afterBatch, .afterCancelFit, .afterFit])
        XCTAssertEqual(probe.events.filter { $0 == .afterValidate }.count, 1)
        XCTAssertEqual(try CheckpointState.read(from: directory.url).epochsCompleted, 1)
    }

    func testACallbackStopsTheFitAfterAnEpochWithItsCheckpoint() throws {
        let directory = TemporaryDirectory("ser-stop-epoch")
        let learner = SyntheticData.linearLearner(
            data: data(), configuration: SyntheticData.configuration(checkpoints: directory.url))
        let probe = ProbeCallback()
        probe.stopAfterEpoch = 1
        learner.callbacks.append(probe)
        let summary = try learner.fit(epochs: 4, lr: 1e-3)
        XCTAssertTrue(summary.stoppedEarly)
        XCTAssertEqual(summary.history.map(\.epoch), [0, 1])
        XCTAssertEqual(Array(probe.events.suffix(3)), [.afterEpoch, .afterCheckpoint, .afterFit])
        let state = try CheckpointState.read(from: directory.url)
        XCTAssertEqual(state.epochsCompleted, 2)
        XCTAssertEqual(state.history, summary.history)

        // Thrown in afterEpoch, CancelFit stops before the checkpointer (which runs last) writes.
        let other = TemporaryDirectory("ser-cancel-epoch")
        let cancelled = SyntheticData.linearLearner(
            data: data(), configuration: SyntheticData.configuration(checkpoints: other.url))
        cancelled.callbacks.append(ProbeCallback { event, state in if event == .afterEpoch { throw CancelFit() } })
        XCTAssertEqual(try cancelled.fit(epochs: 4, lr: 1e-3).history.count, 1)
        XCTAssertThrowsError(try CheckpointState.read(from: other.url))
    }

    func testACallbackThatChangesTheLearningRateOverridesTheSchedule() throws {
        let d = data()
        let scheduled = SyntheticData.linearLearner(data: d, configuration: SyntheticData.configuration())
        try scheduled.fit(epochs: 2, lr: 0.05)

        let changed = SyntheticData.linearLearner(data: d, configuration: SyntheticData.configuration())
        let probe = ProbeCallback()
        probe.setLearningRate = Float(0.05)
        var rates: Set<Double> = []
        changed.callbacks += [probe, ClosureCallback(onBatch: { rates.insert($0.learningRate) })]
        try changed.fit(epochs: 2, lr: 1e-4)
        XCTAssertEqual(rates, [Double(Float(0.05))])
        XCTAssertEqual(
            SyntheticData.weights(changed.model).map(\.1), SyntheticData.weights(scheduled.model).map(\.1))
        XCTAssertEqual(changed.history.map(\.trainLoss), scheduled.history.map(\.trainLoss))
    }

    func testTheLRFinderDoesNotRunTheLearnersCallbacksButReportsToThem() throws {
        let learner = SyntheticData.linearLearner(data: data(), configuration: SyntheticData.configuration())
        let probe = ProbeCallback()
        learner.callbacks.append(probe)
        let result = try learner.lrFind(numIt: 12)
        XCTAssertEqual(result.points.count, 12)
        XCTAssertEqual(probe.events, [.afterLRFind])
        XCTAssertEqual(learner.lrFinderResult, result)
    }
}
