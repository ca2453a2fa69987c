import SeededRandom

/// Inverted dropout: in training, zeroes each element with probability `probability` and scales the
/// rest by 1/(1 − p); identity in evaluation. The mask comes from the layer's own generator, seeded
/// from the generator passed at construction; ``generator`` is public so a checkpoint can save it.
public struct Dropout: Layer {
    public var probability: Float
    public var generator: Xoshiro256
    private var mask: Tensor?

    public init(probability: Float, using rng: inout some RandomNumberGenerator) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        generator = Xoshiro256(seed: rng.next())
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training, probability > 0 else { return input }
        var m = Tensor(uninitializedShape: input.shape)
        var y = Tensor(uninitializedShape: input.shape)
        let mp = m.mutablePointer, yp = y.mutablePointer, xp = input.pointer
        let scale = 1 / (1 - probability)
        for i in 0..<input.count {
            let keep = generator.nextUnitFloat() >= probability
            mp[i] = keep ? scale : 0
            yp[i] = xp[i] * mp[i]
        }
        withExtendedLifetime(input) {}
        mask = m
        return y
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard probability > 0 else { return gradOutput }
        guard let m = mask else { preconditionFailure("Dropout.backward without a training-mode forward") }
        mask = nil
        var g = consume gradOutput
        let gp = g.mutablePointer, mp = m.pointer
        for i in 0..<g.count { gp[i] *= mp[i] }
        withExtendedLifetime(m) {}
        return g
    }
}
