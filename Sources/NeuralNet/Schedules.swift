import Foundation

/// Learning rate (and optionally momentum) as a function of training progress in [0, 1]
/// (fastai's convention: progress = steps done / total steps, evaluated before each step).
public protocol Schedule: Sendable {
    func lr(at progress: Double) -> Float
    /// nil when the schedule leaves the optimizer's momentum alone.
    func momentum(at progress: Double) -> Float?
}

extension Schedule {
    public func momentum(at progress: Double) -> Float? { nil }

    /// Sets the optimizer's learning rate (and momentum, when scheduled) for `progress`.
    public func apply<O: Optimizer>(to optimizer: inout O, progress: Double) {
        optimizer.learningRate = lr(at: progress)
        if let m = momentum(at: progress) { optimizer.momentum = m }
    }
}

/// fastai's SchedCos: cosine from `start` at pos 0 to `end` at pos 1.
@inline(__always) func cosineAnneal(_ start: Double, _ end: Double, _ pos: Double) -> Double {
    start + (1 + cos(Double.pi * (1 - pos))) * (end - start) / 2
}

/// fastai's combined_cos: cosine start→middle over [0, pct], then middle→end over [pct, 1].
func combinedCosine(_ pct: Double, _ start: Double, _ middle: Double, _ end: Double, _ progress: Double) -> Double {
    let p = min(max(progress, 0), 1)
    if pct > 0 && p < pct { return cosineAnneal(start, middle, p / pct) }
    return pct >= 1 ? middle : cosineAnneal(middle, end, (p - pct) / (1 - pct))
}

/// A constant learning rate (fastai `fit`).
public struct ConstantSchedule: Schedule {
    public var learningRate: Float
    public init(learningRate: Float) { self.learningRate = learningRate }
    public func lr(at progress: Double) -> Float { learningRate }
}

/// fastai `fit_one_cycle`: learning rate cosine-warms from lr/div to lr over `pctStart`, then
/// cosine-anneals to lr/divFinal; momentum goes 0.95 → 0.85 → 0.95 along the same phases.
public struct OneCycleSchedule: Schedule {
    public var maxLearningRate: Float
    public var pctStart: Double
    public var div: Double
    public var divFinal: Double
    public var momenta: (Float, Float, Float)?

    public init(
        maxLearningRate: Float, pctStart: Double = 0.25, div: Double = 25, divFinal: Double = 1e5,
        momenta: (Float, Float, Float)? = (0.95, 0.85, 0.95)
    ) {
        self.maxLearningRate = maxLearningRate
        self.pctStart = pctStart
        self.div = div
        self.divFinal = divFinal
        self.momenta = momenta
    }

    public func lr(at progress: Double) -> Float {
        let lr = Double(maxLearningRate)
        return Float(combinedCosine(pctStart, lr / div, lr, lr / divFinal, progress))
    }

    public func momentum(at progress: Double) -> Float? {
        guard let (a, b, c) = momenta else { return nil }
        return Float(combinedCosine(pctStart, Double(a), Double(b), Double(c), progress))
    }
}

/// fastai `fit_flat_cos`: constant lr until `pctStart`, then cosine-annealed to lr/divFinal.
public struct FlatCosineSchedule: Schedule {
    public var learningRate: Float
    public var pctStart: Double
    public var divFinal: Double

    public init(learningRate: Float, pctStart: Double = 0.75, divFinal: Double = 1e5) {
        self.learningRate = learningRate
        self.pctStart = pctStart
        self.divFinal = divFinal
    }

    public func lr(at progress: Double) -> Float {
        let lr = Double(learningRate)
        return Float(combinedCosine(pctStart, lr, lr, lr / divFinal, progress))
    }
}
