import Foundation
import NeuralNet
import RunStore
import Stopping
import Training

/// The learner callback that writes a run's progress to the store: every finished epoch (metrics in their
/// own transaction, which also stamps the heartbeat) and every checkpoint (as the run's one `checkpoint`
/// artifact, replaced after each epoch).
/// It also turns a stop request (Ctrl-C) into `Learner.requestStop()` at the next batch (the epoch is
/// finished and checkpointed), and keeps the first error (a store write, a test hook) so the runner can fail
/// the run with it after `fit` returns. Before recording an epoch it checks that this process still holds the
/// run: when another worker took it over, it throws ``RunnerError/takenOver(run:by:)``, which ends the fit
/// before the epoch is recorded or checkpointed.
final class StoreRecorder: LearnerCallback {
    let store: RunStore
    let runID: Int64
    let stop: StopFlag
    /// Called on the training thread after an epoch is recorded (1-based epoch); a thrown error stops
    /// training and fails the run.
    let onEpochRecorded: ((Int64, Int) throws -> Void)?
    /// Called with the number of epochs recorded so far.
    let progress: (Int) -> Void
    private(set) var error: Error?
    private(set) var epochsRecorded = 0

    init(
        store: RunStore, runID: Int64, stop: StopFlag, onEpochRecorded: ((Int64, Int) throws -> Void)?,
        progress: @escaping (Int) -> Void
    ) {
        self.store = store
        self.runID = runID
        self.stop = stop
        self.onEpochRecorded = onEpochRecorded
        self.progress = progress
    }

    func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) throws {
        do {
            switch event {
            case .beforeFit:
                epochsRecorded = learner.state.startEpoch
                progress(epochsRecorded)
            case .afterEpoch:
                if let record = learner.history.last, record.epoch == learner.state.epoch { try recordEpoch(record) }
            case .afterCheckpoint:
                if let directory = learner.state.checkpoint {
                    try store.replaceArtifact(
                        runID: runID, kind: "checkpoint",
                        path: directory.appendingPathComponent(CheckpointState.fileName).path,
                        epoch: learner.state.epoch + 1)
                }
            default: break
            }
        } catch let error as RunnerError where error.isTakeover {
            // Abort the fit at once: not even this epoch's checkpoint is written into the other worker's run.
            throw error
        } catch {
            if self.error == nil { self.error = error }
            learner.requestStop()
        }
        if stop.isRequested && (event == .afterBatch || event == .afterEpoch) { learner.requestStop() }
    }

    private func recordEpoch(_ record: EpochRecord) throws {
        let epoch = record.epoch + 1
        // A worker whose run another worker took over (its heartbeat looked stale) stops writing into it.
        if let holder = try store.takenOver(runID) { throw RunnerError.takenOver(run: runID, by: holder) }
        let metric = EpochMetricRecord(
            runId: runID, epoch: epoch, trainLoss: record.trainLoss, validLoss: record.validLoss,
            accuracy: record.accuracy, balancedAccuracy: record.unweightedAverageRecall,
            f1Macro: record.macroF1, lr: record.learningRate, seconds: record.seconds)
        try metric.checkFinite()
        try store.recordEpoch(metric)
        epochsRecorded = epoch
        progress(epoch)
        try onEpochRecorded?(runID, epoch)
    }
}
