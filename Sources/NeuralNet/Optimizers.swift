import Foundation

/// Updates a model's parameters from their gradients. Per-parameter state is keyed by the
/// parameter's PyTorch-style name, and can be saved (``stateTensors`` + ``stepCount``) and restored
/// for a bit-identical resume.
public protocol Optimizer {
    /// Learning rate of the next step (set by a ``Schedule`` before each step).
    var learningRate: Float { get set }
    /// Momentum of the next step: β1 for Adam, the momentum factor for SGD.
    var momentum: Float { get set }
    /// Steps taken so far.
    var stepCount: Int { get set }
    /// Applies one update to every parameter of `model` using its current gradients.
    mutating func step<Model: Layer>(_ model: inout Model)
    /// Per-parameter state as named tensors (e.g. `exp_avg.layer1.0.conv1.weight`).
    var stateTensors: [(name: String, tensor: Tensor)] { get }
    /// Restores state saved by ``stateTensors``.
    mutating func loadStateTensors(_ tensors: [String: Tensor])
}

extension Optimizer {
    /// Writes the state (tensors + step count + hyper-parameters) as a safetensors file.
    public func save(to url: URL) throws {
        try SafeTensors.write(
            stateTensors,
            metadata: ["step": String(stepCount), "lr": String(learningRate), "momentum": String(momentum)],
            to: url)
    }

    /// Restores state written by ``save(to:)``.
    public mutating func load(from url: URL) throws {
        let file = try SafeTensors.read(from: url)
        guard let step = file.metadata["step"].flatMap(Int.init) else {
            throw SafeTensorsError.invalidHeader(
                path: url.path, reason: "optimizer state has no integer 'step' metadata")
        }
        stepCount = step
        if let lr = file.metadata["lr"].flatMap(Float.init) { learningRate = lr }
        if let m = file.metadata["momentum"].flatMap(Float.init) { momentum = m }
        loadStateTensors(Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    }
}

/// Adam with fastai's defaults: β1 0.9, β2 0.99, ε 1e-5 (added to √(v̂)), decoupled weight decay
/// 0.01 (AdamW: `p ← p·(1 − lr·wd)` before the Adam step), no decay on parameters whose
/// ``Parameter/decays`` is false (BatchNorm and biases). With `decoupledWeightDecay: false` the decay
/// is L2 (`g ← g + wd·p`), i.e. classic Adam. Update, per element:
/// `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)`.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var decoupledWeightDecay: Bool
    public var stepCount = 0
    var firstMoments: [String: Tensor] = [:]
    var secondMoments: [String: Tensor] = [:]

    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.99, epsilon: Float = 1e-5,
        weightDecay: Float = 0.01, decoupledWeightDecay: Bool = true
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public var momentum: Float {
        get { beta1 }
        set { beta1 = newValue }
    }

    public mutating func step<Model: Layer>(_ model: inout Model) {
        stepCount += 1
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        let bias1 = 1 - pow(Double(b1), Double(stepCount)), bias2 = 1 - pow(Double(b2), Double(stepCount))
        let stepSize = Float(Double(lr) / bias1)
        let invBias2 = Float(1 / bias2)
        let wd = weightDecay, decoupled = decoupledWeightDecay
        model.visitParameters(prefix: "") { name, p in
            guard p.learningRateScale > 0 else { return }  // frozen: untouched, no state
            let scaledLR = lr * p.learningRateScale, scaledStep = stepSize * p.learningRateScale
            var m = firstMoments[name] ?? Tensor(shape: p.value.shape)
            var v = secondMoments[name] ?? Tensor(shape: p.value.shape)
            firstMoments[name] = nil
            secondMoments[name] = nil
            let pp = p.value.mutablePointer, gp = p.gradient.pointer
            let mp = m.mutablePointer, vp = v.mutablePointer
            let decay = p.decays ? wd : 0
            let shrink = decoupled ? 1 - scaledLR * decay : 1
            let l2: Float = decoupled ? 0 : decay
            let total = p.value.count
            let chunk = 1 << 15
            parallelFor((total + chunk - 1) / chunk, costPerItem: chunk * 4) { b in
                for i in (b * chunk)..<min(total, (b + 1) * chunk) {
                    let g = gp[i] + l2 * pp[i]
                    let mi = b1 * mp[i] + (1 - b1) * g
                    let vi = b2 * vp[i] + (1 - b2) * g * g
                    mp[i] = mi
                    vp[i] = vi
                    pp[i] = pp[i] * shrink - scaledStep * mi / ((vi * invBias2).squareRoot() + eps)
                }
            }
            withExtendedLifetime(p.gradient) {}
            firstMoments[name] = m
            secondMoments[name] = v
        }
    }

    public var stateTensors: [(name: String, tensor: Tensor)] {
        firstMoments.keys.sorted().flatMap { name in
            [("exp_avg." + name, firstMoments[name]!), ("exp_avg_sq." + name, secondMoments[name]!)]
        }
    }

    public mutating func loadStateTensors(_ tensors: [String: Tensor]) {
        firstMoments = [:]
        secondMoments = [:]
        for (key, t) in tensors {
            if key.hasPrefix("exp_avg_sq.") {
                secondMoments[String(key.dropFirst("exp_avg_sq.".count))] = t
            } else if key.hasPrefix("exp_avg.") {
                firstMoments[String(key.dropFirst("exp_avg.".count))] = t
            }
        }
    }
}

/// Stochastic gradient descent with momentum (PyTorch semantics, no dampening):
/// `g ← g + wd·p; b ← μ·b + g; p ← p − lr·(nesterov ? g + μ·b : b)`. Weight decay is L2 and skips
/// parameters whose ``Parameter/decays`` is false.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float
    public var stepCount = 0
    var velocities: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0.9, nesterov: Bool = false, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public mutating func step<Model: Layer>(_ model: inout Model) {
        stepCount += 1
        let lr = learningRate, mu = momentum, nesterov = nesterov, wd = weightDecay
        model.visitParameters(prefix: "") { name, p in
            guard p.learningRateScale > 0 else { return }  // frozen: untouched, no state
            let scaledLR = lr * p.learningRateScale
            var b = velocities[name] ?? Tensor(shape: p.value.shape)
            velocities[name] = nil
            let pp = p.value.mutablePointer, gp = p.gradient.pointer, bp = b.mutablePointer
            let decay = p.decays ? wd : 0
            for i in 0..<p.value.count {
                let g = gp[i] + decay * pp[i]
                let v = mu * bp[i] + g
                bp[i] = v
                pp[i] -= scaledLR * (nesterov ? g + mu * v : v)
            }
            withExtendedLifetime(p.gradient) {}
            velocities[name] = b
        }
    }

    public var stateTensors: [(name: String, tensor: Tensor)] {
        velocities.keys.sorted().map { ("momentum_buffer." + $0, velocities[$0]!) }
    }

    public mutating func loadStateTensors(_ tensors: [String: Tensor]) {
        velocities = [:]
        for (key, t) in tensors where key.hasPrefix("momentum_buffer.") {
            velocities[String(key.dropFirst("momentum_buffer.".count))] = t
        }
    }
}
