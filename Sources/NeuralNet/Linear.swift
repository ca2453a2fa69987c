import BLAS
import SeededRandom

/// Fully connected layer: `y = x·Wᵀ + b` with `x: [N, in]`, `weight: [out, in]`, `bias: [out]`
/// (PyTorch layout and initialisation). Complexity O(N·in·out) via sgemm.
public struct Linear: Layer {
    public let inputSize: Int
    public let outputSize: Int
    public var weight: Parameter
    public var bias: Parameter?
    private var cachedInput: Tensor?

    public init(inputSize: Int, outputSize: Int, bias: Bool = true, using rng: inout some RandomNumberGenerator) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(
            initialWeights(
                shape: [outputSize, inputSize], fanIn: inputSize, fanOut: outputSize, .pytorchDefault, using: &rng),
            decays: true)
        self.bias = bias ? Parameter(uniformBias(count: outputSize, fanIn: inputSize, using: &rng), decays: false) : nil
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(
            input.shape.count == 2 && input.shape[1] == inputSize,
            "Linear(\(inputSize)→\(outputSize)) got \(input.shape)")
        let batch = input.shape[0]
        var y = Tensor(uninitializedShape: [batch, outputSize])
        let yp = y.mutablePointer
        gemm(
            .none, .transposed, m: batch, n: outputSize, k: inputSize, a: input.pointer, lda: inputSize,
            b: weight.value.pointer, ldb: inputSize, c: yp, ldc: outputSize)
        if let bias {
            for n in 0..<batch { for o in 0..<outputSize { yp[n * outputSize + o] += bias.value[o] } }
        }
        withExtendedLifetime((input, weight)) {}
        if training { cachedInput = input }
        return y
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("Linear.backward without a training-mode forward") }
        cachedInput = nil
        let batch = x.shape[0]
        precondition(gradOutput.shape == [batch, outputSize], "Linear.backward: gradient shape \(gradOutput.shape)")
        let gp = gradOutput.pointer
        gemm(
            .transposed, .none, m: outputSize, n: inputSize, k: batch, a: gp, lda: outputSize, b: x.pointer,
            ldb: inputSize, c: weight.gradient.mutablePointer, ldc: inputSize)
        if bias != nil {
            let db = bias!.gradient.mutablePointer
            for o in 0..<outputSize {
                var s: Float = 0
                for n in 0..<batch { s += gp[n * outputSize + o] }
                db[o] = s
            }
        }
        var dx = Tensor(uninitializedShape: x.shape)
        gemm(
            .none, .none, m: batch, n: inputSize, k: outputSize, a: gp, lda: outputSize, b: weight.value.pointer,
            ldb: inputSize, c: dx.mutablePointer, ldc: inputSize)
        withExtendedLifetime((x, gradOutput, weight)) {}
        return dx
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        body(join(prefix, "weight"), &weight)
        if bias != nil { body(join(prefix, "bias"), &bias!) }
    }
}
