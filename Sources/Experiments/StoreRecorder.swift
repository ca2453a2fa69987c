import Foundation
import RunStore
import Stopping
import Training

/// The learner observer that writes a run's progress to the store: every finished epoch (metrics in their
/// own transaction, which also stamps the heartbeat) and every checkpoint (as the run's one `checkpoint`
/// artifact, replaced after each epoch).
/// It also turns a stop request (Ctrl-C) into `Learner.requestStop()` at the next batch, and keeps the
/// first error (a store write, a test hook) so the runner can fail the run with it after `fit` returns.
final class StoreRecorder: LearnerObserver {
    let store: RunStore
    let runID: Int64
    let stop: StopFlag
    /// Called on the training thread after an epoch is recorded (1-based epoch); a thrown error stops
    /// training and fails the run.
    let onEpochRecorded: ((Int64, Int) throws -> Void)?
    /// Calls the learner's `requestStop()`.
    var requestStop: () -> Void = {}
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

    private func fail(_ error: Error) {
        if self.error == nil { self.error = error }
        requestStop()
    }

    func learnerDidStartFit(_ start: FitStart) {
        epochsRecorded = start.startEpoch
        progress(epochsRecorded)
    }

    func learnerDidFinishBatch(_ record: BatchRecord) {
        if stop.isRequested { requestStop() }
    }

    func learnerDidFinishEpoch(_ record: EpochRecord) {
        let epoch = record.epoch + 1
        do {
            let metric = EpochMetricRecord(
                runId: runID, epoch: epoch, trainLoss: record.trainLoss, validLoss: record.validLoss,
                accuracy: record.accuracy, balancedAccuracy: record.unweightedAverageRecall,
                f1Macro: record.macroF1, lr: record.learningRate, seconds: record.seconds)
            try metric.checkFinite()
            try store.recordEpoch(metric)
            epochsRecorded = epoch
            progress(epoch)
            try onEpochRecorded?(runID, epoch)
        } catch {
            fail(error)
        }
        if stop.isRequested { requestStop() }
    }

    func learnerDidSaveCheckpoint(_ directory: URL, epoch: Int) {
        do {
            try store.replaceArtifact(
                runID: runID, kind: "checkpoint",
                path: directory.appendingPathComponent(CheckpointState.fileName).path, epoch: epoch + 1)
        } catch {
            fail(error)
        }
    }
}
