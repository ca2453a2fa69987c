/// max(x, 0), element-wise. Backward masks the gradient with output > 0 (in place when possible).
public struct ReLU: Layer {
    private var cachedOutput: Tensor?

    public init() {}

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        var y = Tensor(uninitializedShape: input.shape)
        let yp = y.mutablePointer, xp = input.pointer
        let total = input.count
        let chunk = 1 << 16
        parallelFor((total + chunk - 1) / chunk, costPerItem: chunk) { b in
            for i in (b * chunk)..<min(total, (b + 1) * chunk) { yp[i] = max(xp[i], 0) }
        }
        withExtendedLifetime(input) {}
        if training { cachedOutput = y }
        return y
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard let y = cachedOutput else { preconditionFailure("ReLU.backward without a training-mode forward") }
        cachedOutput = nil
        var g = consume gradOutput
        precondition(g.shape == y.shape, "ReLU.backward: gradient shape \(g.shape) vs \(y.shape)")
        let gp = g.mutablePointer, yp = y.pointer
        let total = g.count
        let chunk = 1 << 16
        parallelFor((total + chunk - 1) / chunk, costPerItem: chunk) { b in
            for i in (b * chunk)..<min(total, (b + 1) * chunk) { gp[i] = yp[i] > 0 ? gp[i] : 0 }
        }
        withExtendedLifetime(y) {}
        return g
    }
}

/// Element-wise sum of two tensors of equal shape (a residual connection's join).
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
    var y = Tensor(uninitializedShape: a.shape)
    let yp = y.mutablePointer, ap = a.pointer, bp = b.pointer
    for i in 0..<a.count { yp[i] = ap[i] + bp[i] }
    withExtendedLifetime((a, b)) {}
    return y
}

extension Tensor {
    /// Adds `other` element-wise in place.
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "add: shapes \(shape) and \(other.shape) differ")
        let p = mutablePointer, q = other.pointer
        let total = count
        let chunk = 1 << 16
        parallelFor((total + chunk - 1) / chunk, costPerItem: chunk) { b in
            for i in (b * chunk)..<min(total, (b + 1) * chunk) { p[i] += q[i] }
        }
        withExtendedLifetime(other) {}
    }
}
