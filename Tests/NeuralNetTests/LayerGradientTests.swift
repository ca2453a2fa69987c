import BLAS
import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

/// Random normal values for tests.
func randomScalars(_ count: Int, _ rng: inout Xoshiro256, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in Float(rng.nextNormal()) * scale }
}

/// Checks a layer's input and parameter gradients against central differences of
/// L = Σ forward(x)·r for a random r.
func checkLayerGradients<L: Layer>(
    _ layer: L, inputShape: [Int], seed: UInt64 = 1, input: [Float]? = nil, epsilon: Float = 1e-2,
    tolerance: Double = 1e-2, checkInput: Bool = true, file: StaticString = #filePath, line: UInt = #line
) {
    var rng = Xoshiro256(seed: seed)
    let x = input ?? randomScalars(inputShape.reduce(1, *), &rng)
    var probe = layer
    let y0 = probe.forward(Tensor(shape: inputShape, scalars: x), training: true)
    let r = randomScalars(y0.count, &rng)
    var trained = layer
    let y = trained.forward(Tensor(shape: inputShape, scalars: x), training: true)
    let gx = trained.backward(Tensor(shape: y.shape, scalars: r))
    if checkInput {
        GradientChecker.assertGradient(
            "\(L.self) input", at: x, analytic: gx.scalars, epsilon: epsilon, tolerance: tolerance, file: file,
            line: line
        ) { xs in
            var l = layer
            return GradientChecker.dot(l.forward(Tensor(shape: inputShape, scalars: xs), training: true).scalars, r)
        }
    }
    for (name, p) in trained.namedParameters {
        var original = layer
        var value: Tensor?
        original.visitParameters { n, q in if n == name { value = q.value } }
        GradientChecker.assertGradient(
            "\(L.self) \(name)", at: value!.scalars, analytic: p.gradient.scalars, epsilon: epsilon,
            tolerance: tolerance, file: file, line: line
        ) { ps in
            var l = layer
            l.visitParameters { n, q in if n == name { q.value = Tensor(shape: q.value.shape, scalars: ps) } }
            return GradientChecker.dot(l.forward(Tensor(shape: inputShape, scalars: x), training: true).scalars, r)
        }
    }
}

final class LayerGradientTests: XCTestCase {
    func testConv2dGradientsForSeveralGeometries() {
        var rng = Xoshiro256(seed: 7)
        // (C, O, kernel, stride, padding, bias, input H×W, batch)
        let cases: [(Int, Int, (Int, Int), (Int, Int), (Int, Int), Bool, (Int, Int), Int)] = [
            (2, 3, (3, 3), (1, 1), (1, 1), true, (5, 6), 2),
            (3, 2, (3, 3), (2, 2), (1, 1), false, (7, 5), 3),  // several samples per sgemm, ragged last group
            (2, 4, (1, 1), (1, 1), (0, 0), false, (4, 4), 2),
            (4, 3, (1, 1), (2, 2), (0, 0), false, (5, 5), 2),
            (1, 2, (3, 5), (2, 1), (1, 2), true, (6, 7), 2),
            (2, 2, (7, 7), (2, 2), (3, 3), false, (9, 8), 1),
            (1, 2, (3, 3), (1, 1), (1, 1), false, (32, 33), 2),  // one sample per sgemm
            (2, 3, (5, 3), (1, 1), (2, 1), true, (6, 5), 3),  // flipped-kernel input gradient, non-square
            (2, 2, (3, 3), (1, 1), (0, 0), false, (6, 7), 2),  // "valid" stride-1 convolution
        ]
        for (c, o, k, s, p, bias, hw, n) in cases {
            let conv = Conv2d(
                inputChannels: c, outputChannels: o, kernelSize: k, stride: s, padding: p, bias: bias, using: &rng)
            checkLayerGradients(conv, inputShape: [n, c, hw.0, hw.1])
        }
    }

    func testConv2dGradientsWithSampleLanes() {
        // Engine.with(threads: 2): single-threaded sgemm, samples split over two lanes.
        Engine.with(threads: 2) {
            XCTAssertEqual(Engine.sampleLanes(batch: 5), 2)
            var rng = Xoshiro256(seed: 17)
            checkLayerGradients(
                Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, using: &rng),
                inputShape: [5, 2, 6, 5])
            checkLayerGradients(
                Conv2d(
                    inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, bias: false, using: &rng),
                inputShape: [3, 3, 7, 6])
            checkLayerGradients(
                Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: 3, padding: 1, bias: false, using: &rng),
                inputShape: [3, 2, 32, 33])
            checkLayerGradients(
                Conv2d(inputChannels: 4, outputChannels: 3, kernelSize: 1, bias: false, using: &rng),
                inputShape: [2, 4, 32, 40])
        }
    }

    func testConv2dForwardMatchesDirectConvolution() {
        var rng = Xoshiro256(seed: 3)
        var conv = Conv2d(
            inputChannels: 2, outputChannels: 3, kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), bias: true,
            using: &rng)
        let shape = [3, 2, 5, 4]
        let x = randomScalars(shape.reduce(1, *), &rng)
        let y = conv.forward(Tensor(shape: shape, scalars: x), training: false)
        XCTAssertEqual(y.shape, [3, 3, 3, 5])
        let w = conv.weight.value.scalars, b = conv.bias!.value.scalars
        var expected: [Float] = []
        for n in 0..<3 {
            for oc in 0..<3 {
                for oy in 0..<3 {
                    for ox in 0..<5 {
                        var s = Double(b[oc])
                        for ic in 0..<2 {
                            for i in 0..<3 {
                                for j in 0..<2 {
                                    let iy = oy * 2 - 1 + i, ix = ox - 1 + j
                                    if iy >= 0 && iy < 5 && ix >= 0 && ix < 4 {
                                        s +=
                                            Double(w[((oc * 2 + ic) * 3 + i) * 2 + j])
                                            * Double(x[((n * 2 + ic) * 5 + iy) * 4 + ix])
                                    }
                                }
                            }
                        }
                        expected.append(Float(s))
                    }
                }
            }
        }
        assertAllClose(y.scalars, expected, absolute: 1e-5)
    }

    func testBatchNormGradientsPlainFusedAndResidual() {
        var rng = Xoshiro256(seed: 11)
        var bn = BatchNorm2d(featureCount: 3)
        bn.weight.value = Tensor(shape: [3], scalars: randomScalars(3, &rng))
        bn.bias.value = Tensor(shape: [3], scalars: randomScalars(3, &rng))
        checkLayerGradients(bn, inputShape: [2, 3, 3, 4])
        checkLayerGradients(FusedBN(bn: bn, relu: true, residual: nil), inputShape: [2, 3, 3, 4])
        let residual = randomScalars(2 * 3 * 3 * 4, &rng)
        checkLayerGradients(FusedBN(bn: bn, relu: true, residual: residual), inputShape: [2, 3, 3, 4])
        checkLayerGradients(FusedBN(bn: bn, relu: false, residual: residual), inputShape: [2, 3, 3, 4])
    }

    func testBatchNormRunningStatisticsAndEvaluationMode() {
        var bn = BatchNorm2d(featureCount: 1)
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]  // mean 4.5, biased var 5.25, unbiased 6
        _ = bn.forward(Tensor(shape: [2, 1, 2, 2], scalars: x), training: true)
        XCTAssertEqual(bn.runningMean[0], 0.45, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance[0], 0.9 + 0.1 * 6, accuracy: 1e-6)
        XCTAssertEqual(bn.batchesTracked[0], 1)
        let y = bn.forward(Tensor(shape: [1, 1, 1, 2], scalars: [0.45, 2]), training: false)
        XCTAssertEqual(y[0], 0, accuracy: 1e-6)
        XCTAssertEqual(y[1], (2 - 0.45) / (1.5 + 1e-5).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(bn.batchesTracked[0], 1, "evaluation must not update statistics")
    }

    func testReLUMaxPoolGlobalPoolFlattenLinearDropoutGradients() {
        var rng = Xoshiro256(seed: 5)
        // Inputs kept away from ReLU's kink and max-pool ties.
        let spaced: [Float] = (0..<180).map { (i: Int) -> Float in
            let k: Int = (i * 37) % 180
            return Float(k) * 0.05 - 4.475
        }
        checkLayerGradients(ReLU(), inputShape: [2, 3, 5, 6], input: spaced, epsilon: 5e-3)
        checkLayerGradients(
            MaxPool2d(kernelSize: 3, stride: 2, padding: 1), inputShape: [2, 3, 5, 6], input: spaced, epsilon: 5e-3)
        checkLayerGradients(MaxPool2d(kernelSize: 2), inputShape: [2, 3, 5, 6], input: spaced, epsilon: 5e-3)
        checkLayerGradients(GlobalAvgPool2d(), inputShape: [2, 3, 5, 6])
        checkLayerGradients(Flatten(), inputShape: [2, 3, 2, 2])
        checkLayerGradients(Linear(inputSize: 6, outputSize: 4, using: &rng), inputShape: [3, 6])
        checkLayerGradients(Linear(inputSize: 5, outputSize: 2, bias: false, using: &rng), inputShape: [4, 5])
        checkLayerGradients(Dropout(probability: 0.4, using: &rng), inputShape: [4, 10])
    }

    func testMaxPoolForwardPicksWindowMaxima() {
        var pool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        let x = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
        XCTAssertEqual(pool.forward(x, training: false).scalars, [5, 7, 13, 15])
        // The 3×3/2 fast path matches a direct reference, values and gradient routing, including ties
        // (ReLU outputs have many equal zeros): the first maximum in row-major order wins.
        var rng = Xoshiro256(seed: 12)
        for (h, w) in [(7, 9), (8, 6), (5, 5), (2, 3), (6, 21), (3, 16)] {  // ≥ 8 wide: SIMD paths
            let values = randomScalars(6 * h * w, &rng).map { max(0, ($0 * 2).rounded() / 2) }
            let t = Tensor(shape: [2, 3, h, w], scalars: values)
            let g = randomScalars(6 * ((h + 1) / 2) * ((w + 1) / 2), &rng)
            var expectedY: [Float] = [], expectedDX = [Float](repeating: 0, count: values.count)
            var k = 0
            for nc in 0..<6 {
                for oy in 0..<((h + 1) / 2) {
                    for ox in 0..<((w + 1) / 2) {
                        var best = -Float.infinity, at = 0
                        for iy in max(0, 2 * oy - 1)..<min(h, 2 * oy + 2) {
                            for ix in max(0, 2 * ox - 1)..<min(w, 2 * ox + 2) {
                                let i = nc * h * w + iy * w + ix
                                if values[i] > best { best = values[i]; at = i }
                            }
                        }
                        expectedY.append(best)
                        expectedDX[at] += g[k]
                        k += 1
                    }
                }
            }
            var a = pool, b = pool
            XCTAssertEqual(a.forward(t, training: false).scalars, expectedY, "\(h)×\(w) inference")
            let y = b.forward(t, training: true)
            XCTAssertEqual(y.scalars, expectedY, "\(h)×\(w) training")
            XCTAssertEqual(
                b.backward(Tensor(shape: y.shape, scalars: g)).scalars, expectedDX, "\(h)×\(w) gradient routing")
        }
    }

    func testDropoutScalesKeptValuesAndIsIdentityInEvaluation() {
        var rng = Xoshiro256(seed: 9)
        var d = Dropout(probability: 0.5, using: &rng)
        let x = Tensor(shape: [1000], repeating: 1)
        let y = d.forward(x, training: true).scalars
        XCTAssertTrue(y.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertEqual(Double(y.filter { $0 == 0 }.count), 500, accuracy: 60)
        XCTAssertEqual(d.forward(x, training: false).scalars, x.scalars)
    }
}

/// The fused BatchNorm forms as a layer, for gradient checks (the residual is a fixed extra input;
/// its gradient is checked separately by `testBatchNormResidualGradientIsMaskedOutputGradient`).
struct FusedBN: Layer {
    var bn: BatchNorm2d
    var relu: Bool
    var residual: [Float]?

    mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        bn.forward(
            input, training: training, residual: residual.map { Tensor(shape: input.shape, scalars: $0) }, relu: relu)
    }

    mutating func backward(_ gradOutput: consuming Tensor) -> Tensor { bn.backwardFused(gradOutput).input }

    mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        bn.visitParameters(prefix: prefix, body)
    }
}
