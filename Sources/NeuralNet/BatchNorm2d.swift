/// Batch normalisation over the N, H, W axes of NCHW input, per channel (PyTorch semantics:
/// biased batch variance for normalising, unbiased for the running variance,
/// `running = (1 − momentum)·running + momentum·batch`). Names: `weight`, `bias`, `running_mean`,
/// `running_var`, `num_batches_tracked`.
///
/// ResNet blocks use the fused form ``forward(_:training:residual:relu:)``, computing
/// `relu(bn(x) + residual)` in one pass; its backward returns the residual's gradient too.
/// Complexity O(N·C·H·W) per pass, parallel over channels.
public struct BatchNorm2d: Layer {
    public let featureCount: Int
    public var momentum: Float
    public var epsilon: Float
    public var weight: Parameter
    public var bias: Parameter
    public var runningMean: Tensor
    public var runningVariance: Tensor
    /// Training-mode forward passes so far (PyTorch's `num_batches_tracked`, stored as a one-element tensor).
    public var batchesTracked: Tensor

    private var cache: Cache?
    private struct Cache {
        var input: Tensor
        var output: Tensor?  // kept when a ReLU is fused (its mask is output > 0)
        var mean: [Float]
        var invStd: [Float]
        var hasResidual: Bool
    }

    public init(featureCount: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.featureCount = featureCount
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(Tensor(shape: [featureCount], repeating: 1), decays: false)
        bias = Parameter(Tensor(shape: [featureCount], repeating: 0), decays: false)
        runningMean = Tensor(shape: [featureCount], repeating: 0)
        runningVariance = Tensor(shape: [featureCount], repeating: 1)
        batchesTracked = Tensor(shape: [], repeating: 0)
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, residual: nil, relu: false)
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        backwardFused(gradOutput).input
    }

    /// `relu?(bn(input) + residual?)`. `residual` must have the input's shape.
    public mutating func forward(_ input: Tensor, training: Bool, residual: Tensor?, relu: Bool) -> Tensor {
        precondition(
            input.shape.count == 4 && input.c == featureCount, "BatchNorm2d(\(featureCount)) got input \(input.shape)")
        if let residual {
            precondition(residual.shape == input.shape, "residual \(residual.shape) vs input \(input.shape)")
        }
        let batch = input.n, channels = featureCount, plane = input.h * input.w
        let count = batch * plane
        var mean = [Float](repeating: 0, count: channels)
        var invStd = [Float](repeating: 0, count: channels)
        let xp = input.pointer
        if training {
            precondition(count > 1, "BatchNorm2d needs more than one value per channel in training mode")
            var variance = [Float](repeating: 0, count: channels)
            mean.withUnsafeMutableBufferPointer { mp in
                variance.withUnsafeMutableBufferPointer { vp in
                    parallelFor(channels, costPerItem: 2 * count) { c in
                        var sum: Double = 0
                        for n in 0..<batch { sum += Double(simdSum(xp + (n * channels + c) * plane, plane)) }
                        let m = Float(sum / Double(count))
                        var squares: Double = 0
                        for n in 0..<batch {
                            squares += Double(simdSumSquaredDeviations(xp + (n * channels + c) * plane, plane, mean: m))
                        }
                        mp[c] = m
                        vp[c] = Float(squares / Double(count))
                    }
                }
            }
            let rm = runningMean.mutablePointer, rv = runningVariance.mutablePointer
            let unbias = Float(count) / Float(count - 1)
            for c in 0..<channels {
                invStd[c] = 1 / (variance[c] + epsilon).squareRoot()
                rm[c] = (1 - momentum) * rm[c] + momentum * mean[c]
                rv[c] = (1 - momentum) * rv[c] + momentum * variance[c] * unbias
            }
            batchesTracked[0] += 1
        } else {
            for c in 0..<channels {
                mean[c] = runningMean[c]
                invStd[c] = 1 / (runningVariance[c] + epsilon).squareRoot()
            }
        }
        var y = Tensor(uninitializedShape: input.shape)
        let yp = y.mutablePointer
        let gamma = weight.value.pointer, beta = bias.value.pointer
        let rp = residual?.pointer
        mean.withUnsafeBufferPointer { mp in
            invStd.withUnsafeBufferPointer { sp in
                parallelFor(batch * channels, costPerItem: plane) { nc in
                    let c = nc % channels
                    let scale = gamma[c] * sp[c]
                    let shift = beta[c] - mp[c] * scale
                    let src = xp + nc * plane, dst = yp + nc * plane
                    switch (rp, relu) {
                    case (nil, false): for i in 0..<plane { dst[i] = src[i] * scale + shift }
                    case (nil, true): for i in 0..<plane { dst[i] = max(src[i] * scale + shift, 0) }
                    case (let r?, false):
                        let rr = r + nc * plane; for i in 0..<plane { dst[i] = src[i] * scale + shift + rr[i] }
                    case (let r?, true):
                        let rr = r + nc * plane; for i in 0..<plane { dst[i] = max(src[i] * scale + shift + rr[i], 0) }
                    }
                }
            }
        }
        withExtendedLifetime((input, residual, weight, bias)) {}
        if training {
            cache = Cache(
                input: input, output: relu ? y : nil, mean: mean, invStd: invStd, hasResidual: residual != nil)
        }
        return y
    }

    /// Backward of the fused form: d(loss)/d(input) and, when the forward had a residual, d(loss)/d(residual).
    public mutating func backwardFused(_ gradOutput: consuming Tensor) -> (input: Tensor, residual: Tensor?) {
        guard let cache else { preconditionFailure("BatchNorm2d.backward without a training-mode forward") }
        self.cache = nil
        let x = cache.input
        precondition(
            gradOutput.shape == x.shape, "BatchNorm2d.backward: gradient shape \(gradOutput.shape) vs \(x.shape)")
        let batch = x.n, channels = featureCount, plane = x.h * x.w
        let count = batch * plane
        var g = consume gradOutput  // sole owner when the caller passed a temporary: masked in place
        // One pass: mask by the fused ReLU's output (g ← g·[y > 0]) and sum g and g·(x − mean) per channel.
        let gpm = g.mutablePointer, xp = x.pointer
        let mask = cache.output?.pointer
        var sumG = [Float](repeating: 0, count: channels)
        var sumGX = [Float](repeating: 0, count: channels)
        cache.mean.withUnsafeBufferPointer { mp in
            cache.invStd.withUnsafeBufferPointer { sp in
                sumG.withUnsafeMutableBufferPointer { sg in
                    sumGX.withUnsafeMutableBufferPointer { sgx in
                        parallelFor(channels, costPerItem: 3 * count) { c in
                            var a: Double = 0, b: Double = 0
                            for n in 0..<batch {
                                let offset = (n * channels + c) * plane
                                let (pa, pb) = simdMaskedSums(
                                    gpm + offset, mask: mask.map { $0 + offset }, x: xp + offset, plane, mean: mp[c])
                                a += Double(pa)
                                b += Double(pb)
                            }
                            sg[c] = Float(a)
                            sgx[c] = Float(b) * sp[c]  // Σ g·x̂
                        }
                    }
                }
            }
        }
        withExtendedLifetime(cache.output) {}
        let dgamma = weight.gradient.mutablePointer, dbeta = bias.gradient.mutablePointer
        for c in 0..<channels {
            dgamma[c] = sumGX[c]
            dbeta[c] = sumG[c]
        }
        // dx = γ·invStd·(g − mean(g) − x̂·mean(g·x̂)); in place when g is not also the residual gradient.
        var residualGradient: Tensor? = nil
        var dx: Tensor
        if cache.hasResidual {
            residualGradient = g
            dx = Tensor(uninitializedShape: x.shape)
        } else {
            dx = g
            g = Tensor(uninitializedShape: [0])
        }
        let dxp = dx.mutablePointer
        let gamma = weight.value.pointer
        let gp2 = cache.hasResidual ? residualGradient!.pointer : UnsafePointer(dxp)
        let invCount = 1 / Float(count)
        cache.mean.withUnsafeBufferPointer { mp in
            cache.invStd.withUnsafeBufferPointer { sp in
                parallelFor(batch * channels, costPerItem: plane) { nc in
                    let c = nc % channels
                    let m = mp[c], s = sp[c]
                    let k = gamma[c] * s
                    let mg = sumG[c] * invCount, mgx = sumGX[c] * invCount
                    let src = gp2 + nc * plane, xr = xp + nc * plane, dst = dxp + nc * plane
                    for i in 0..<plane { dst[i] = k * (src[i] - mg - (xr[i] - m) * s * mgx) }
                }
            }
        }
        withExtendedLifetime((g, x, weight, residualGradient)) {}
        return (dx, residualGradient)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        body(join(prefix, "weight"), &weight)
        body(join(prefix, "bias"), &bias)
    }

    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {
        body(join(prefix, "running_mean"), &runningMean)
        body(join(prefix, "running_var"), &runningVariance)
        body(join(prefix, "num_batches_tracked"), &batchesTracked)
    }
}
