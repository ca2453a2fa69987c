import NeuralNet

/// The running mean of a model's weights over the epochs it is given (stochastic weight averaging over
/// the last epochs of a fit, "checkpoint averaging").
///
/// Parameters and BatchNorm running statistics are averaged alike, as timm's model EMA does, rather than
/// recomputed with an extra pass over the training data. That approximation assumes the averaged models
/// are close, as they are near the end of an annealed schedule. Counters (`num_batches_tracked`) take the
/// latest model's value.
///
/// `add` costs O(P) for P weights and statistics; the average holds one copy of the model.
public struct WeightAverage<Model: Layer> {
    /// The mean of the models added so far.
    public private(set) var model: Model
    /// How many models the mean is over.
    public private(set) var count: Int

    /// The average of the single model `first`.
    public init(_ first: Model) {
        model = first
        count = 1
    }

    /// Restores an average of `count` models whose mean is `model` (from a checkpoint).
    public init(model: Model, count: Int) {
        precondition(count >= 1, "an average is over at least one model")
        self.model = model
        self.count = count
    }

    /// Adds `next` (same architecture) to the mean: `mean += (next − mean) / count`.
    public mutating func add(_ next: Model) {
        count += 1
        let weight = 1 / Float(count)
        let latest = Dictionary(next.stateDict.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        func blend(_ name: String, _ mean: inout Tensor) {
            guard let value = latest[name] else { preconditionFailure("the models differ: no '\(name)'") }
            precondition(value.count == mean.count, "the models differ in '\(name)'")
            if name.hasSuffix("num_batches_tracked") {
                mean = value
                return
            }
            value.withUnsafeBufferPointer { v in
                mean.withUnsafeMutableBufferPointer { m in
                    for i in m.indices { m[i] += (v[i] - m[i]) * weight }
                }
            }
        }
        model.visitParameters(prefix: "") { name, p in blend(name, &p.value) }
        model.visitBuffers(prefix: "") { name, t in blend(name, &t) }
    }
}
