import BLAS
import Foundation
import SeededRandom

/// How a layer's weights start.
public enum WeightInitialization: Sendable {
    /// PyTorch's default for Conv2d/Linear: U(−1/√fanIn, 1/√fanIn) (kaiming_uniform with a = √5).
    case pytorchDefault
    /// Kaiming normal, fan-out mode, ReLU gain: N(0, 2/fanOut) (torchvision's ResNet convolutions).
    case kaimingNormalFanOut
    /// Kaiming normal, fan-in mode, ReLU gain: N(0, 2/fanIn).
    case kaimingNormalFanIn
}

func initialWeights(
    shape: [Int], fanIn: Int, fanOut: Int, _ scheme: WeightInitialization, using rng: inout some RandomNumberGenerator
) -> Tensor {
    var t = Tensor(uninitializedShape: shape)
    let p = t.mutablePointer
    // One draw from the caller's generator seeds a concrete generator for the bulk (fast, and still
    // fully determined by the caller's generator state).
    var rng = Xoshiro256(seed: rng.next())
    switch scheme {
    case .pytorchDefault:
        let bound = 1 / Double(fanIn).squareRoot()
        for i in 0..<t.count { p[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
    case .kaimingNormalFanOut, .kaimingNormalFanIn:
        let fan = scheme == .kaimingNormalFanOut ? fanOut : fanIn
        let std = (2 / Double(fan)).squareRoot()
        for i in 0..<t.count { p[i] = Float(rng.nextNormal() * std) }
    }
    return t
}

func uniformBias(count: Int, fanIn: Int, using rng: inout some RandomNumberGenerator) -> Tensor {
    var t = Tensor(uninitializedShape: [count])
    let bound = 1 / Double(fanIn).squareRoot()
    let p = t.mutablePointer
    for i in 0..<count { p[i] = Float((rng.nextUnitDouble() * 2 - 1) * bound) }
    return t
}

/// sgemm through the BLAS module, counting FLOPs for ``Engine/countingFLOPs(_:)``.
@inline(__always)
func gemm(
    _ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    sgemm(ta, tb, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}
