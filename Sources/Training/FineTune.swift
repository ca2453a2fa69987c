import NeuralNet

/// fastai's fine-tune recipe as a callback: before each of the fit's first `freezeEpochs` epochs the model is
/// frozen (only the head and BatchNorm train: ``FineTuneScales/frozen``), before each later epoch it is
/// unfrozen, with discriminative rates when `lowestScale` < 1 (``FineTuneScales/unfrozen(lowest:)``).
///
/// The scales depend on the epoch alone, so a fit resumed from a checkpoint on either side of the freeze
/// boundary trains exactly as the uninterrupted one. An LR-finder sweep does not run user callbacks: freeze
/// the model before it (``scales(epoch:)`` of epoch 0) to sweep the frozen model, as fastai does.
public final class FineTuneCallback: LearnerCallback {
    /// Before the ``ParamScheduler``, so the first batch of an epoch already trains the right parameters.
    public let order = -95
    public let freezeEpochs: Int
    /// The stem's rate as a fraction of the head's once unfrozen (`low/high` of a `train.lr` range; 1: one rate).
    public let lowestScale: Double

    public init(freezeEpochs: Int, lowestScale: Double = 1) {
        self.freezeEpochs = freezeEpochs
        self.lowestScale = lowestScale
    }

    /// The scales for epoch `epoch` (0-based).
    public func scales(epoch: Int) -> FineTuneScales {
        epoch < freezeEpochs ? .frozen : .unfrozen(lowest: lowestScale)
    }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) {
        guard event == .beforeEpoch else { return }
        learner.model.setLearningRateScales(scales(epoch: learner.state.epoch))
    }
}
