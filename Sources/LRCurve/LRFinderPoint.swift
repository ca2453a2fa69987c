/// One step of the learning-rate finder: the rate tried, the batch's loss and its smoothed value.
///
/// The one representation of a finder point: Training's finder makes it, the run store records it
/// (`LRFinderPointRecord` is its row), the report and `ser lr-find` draw it.
public struct LRFinderPoint: Codable, Equatable, Sendable {
    public var iteration: Int
    public var learningRate: Double
    /// The batch's loss.
    public var loss: Double
    /// The exponential moving average of the loss (β 0.98, bias-corrected): what fastai plots and what the
    /// suggestions use. A store row written without it reads back with the raw loss here.
    public var smoothedLoss: Double

    public init(iteration: Int, learningRate: Double, loss: Double, smoothedLoss: Double) {
        self.iteration = iteration
        self.learningRate = learningRate
        self.loss = loss
        self.smoothedLoss = smoothedLoss
    }
}
