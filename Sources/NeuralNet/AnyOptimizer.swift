/// An optimizer whose kind (``SGD``, ``Adam``, AdamW) is chosen at run time, e.g. from a spec, so that code
/// holding a learner is not generic over that choice. Every call is forwarded to ``base``: the same
/// arithmetic, step count and state tensors (same names and shapes), so a checkpoint written through the
/// wrapped type is read through the wrapper and the other way round.
public struct AnyOptimizer: Optimizer {
    /// The optimizer every call is forwarded to (never itself an `AnyOptimizer`).
    public private(set) var base: any Optimizer

    public init(_ base: any Optimizer) {
        if let wrapped = base as? AnyOptimizer {
            self = wrapped
        } else {
            self.base = base
        }
    }

    public var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    public var momentum: Float {
        get { base.momentum }
        set { base.momentum = newValue }
    }

    public var stepCount: Int {
        get { base.stepCount }
        set { base.stepCount = newValue }
    }

    public mutating func step<Model: Layer>(_ model: inout Model) { base.step(&model) }

    public var stateTensors: [(name: String, tensor: Tensor)] { base.stateTensors }

    public mutating func loadStateTensors(_ tensors: [String: Tensor]) { base.loadStateTensors(tensors) }
}
