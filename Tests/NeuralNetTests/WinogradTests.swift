import BLAS
import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

/// Winograd F(2×2, 3×3) against the im2col + sgemm path, and the lane-split products of batch-1 inference.
final class WinogradTests: XCTestCase {
    /// Largest |a − b| over the largest |b|: Winograd's transforms round differently from im2col's
    /// dot products, by a few ulps of the magnitudes involved, so errors are judged against the scale.
    func scaledError(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        var error: Float = 0, scale: Float = 0
        for i in 0..<min(a.count, b.count) {
            error = max(error, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return scale > 0 ? error / scale : error
    }

    /// Forward output, input gradient and weight gradient of `conv` on `shape` with Winograd on or off.
    func run(_ conv: Conv2d, shape: [Int], winograd: Bool, seed: UInt64) -> (y: [Float], dx: [Float], dw: [Float]) {
        // Winograd even for the smallest shapes.
        Engine.with(Engine.settings.with(\.usesWinograd, winograd).with(\.winogradMinimumColumns, 0)) {
            var rng = Xoshiro256(seed: seed)
            let x = Tensor(shape: shape, scalars: randomScalars(shape.reduce(1, *), &rng))
            var layer = conv
            let eval = layer.forward(x, training: false)
            let y = layer.forward(x, training: true)
            XCTAssertEqual(eval.scalars, y.scalars, "eval and training forward differ")
            let dx = layer.backward(Tensor(shape: y.shape, scalars: randomScalars(y.count, &rng)))
            return (y.scalars, dx.scalars, layer.weight.gradient.scalars)
        }
    }

    /// Shapes: (C, O, H, W, N): one channel, many channels, odd and even sizes, 1×1 images, batches.
    let shapes: [(Int, Int, Int, Int, Int)] = [
        (1, 1, 1, 1, 1), (1, 3, 5, 7, 2), (3, 2, 4, 4, 1), (2, 5, 2, 3, 3), (16, 8, 9, 11, 3), (64, 32, 8, 6, 2),
        (2, 5, 32, 33, 1), (8, 4, 1, 9, 2), (32, 64, 4, 21, 5),
    ]

    func checkAgainstIm2col(file: StaticString = #filePath, line: UInt = #line) {
        var rng = Xoshiro256(seed: 5)
        for (i, (c, o, h, w, n)) in shapes.enumerated() {
            let conv = Conv2d(
                inputChannels: c, outputChannels: o, kernelSize: 3, padding: 1, bias: i % 2 == 0, using: &rng)
            let fast = run(conv, shape: [n, c, h, w], winograd: true, seed: UInt64(i))
            let reference = run(conv, shape: [n, c, h, w], winograd: false, seed: UInt64(i))
            let label = "C \(c) O \(o) \(h)×\(w) batch \(n)"
            XCTAssertLessThan(scaledError(fast.y, reference.y), 1e-5, "output, \(label)", file: file, line: line)
            XCTAssertLessThan(
                scaledError(fast.dx, reference.dx), 1e-5, "input gradient, \(label)", file: file, line: line)
            XCTAssertLessThan(
                scaledError(fast.dw, reference.dw), 1e-5, "weight gradient, \(label)", file: file, line: line)
        }
    }

    func testWinogradMatchesIm2col() {
        checkAgainstIm2col()
    }

    func testWinogradMatchesIm2colWithLanes() {
        // Sample lanes (batch > 1) and split products (batch 1) with single-threaded BLAS.
        Engine.with(threads: 2) {
            XCTAssertEqual(Engine.productLanes, 2)
            checkAgainstIm2col()
        }
    }

    func testWinogradGradientsPassFiniteDifferences() {
        Engine.with(Engine.settings.with(\.winogradMinimumColumns, 0)) {
            var rng = Xoshiro256(seed: 21)
            // (C, O, H, W, N), odd and even sizes, with and without bias.
            for (i, (c, o, h, w, n)) in [(2, 3, 5, 6, 2), (1, 2, 3, 3, 3), (3, 2, 4, 7, 2)].enumerated() {
                let conv = Conv2d(
                    inputChannels: c, outputChannels: o, kernelSize: 3, padding: 1, bias: i != 1, using: &rng)
                XCTAssertTrue(conv.usesWinograd(conv.geometry(Tensor(shape: [n, c, h, w])), batch: n, lanes: 1))
                checkLayerGradients(conv, inputShape: [n, c, h, w])
            }
        }
    }

    func testInferenceCacheFollowsWeightChanges() {
        let winograd = Engine.settings.with(\.usesWinograd, true).with(\.winogradMinimumColumns, 0)
        Engine.with(winograd) {
            var rng = Xoshiro256(seed: 4)
            var conv = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, using: &rng)
            let x = Tensor(shape: [1, 2, 6, 5], scalars: randomScalars(60, &rng))
            func im2colOutput(_ conv: Conv2d) -> [Float] {
                Engine.with(winograd.with(\.usesWinograd, false)) {
                    var reference = conv
                    return reference.forward(x, training: false).scalars
                }
            }
            _ = conv.forward(x, training: false)  // fills the cache
            // In place (as an optimizer step does) and by assignment.
            conv.weight.value.withUnsafeMutableBufferPointer { $0[0] += 1 }
            assertAllClose(conv.forward(x, training: false).scalars, im2colOutput(conv), absolute: 1e-5)
            conv.weight.value = Tensor(shape: conv.weight.value.shape, scalars: randomScalars(54, &rng))
            assertAllClose(conv.forward(x, training: false).scalars, im2colOutput(conv), absolute: 1e-5)
        }
    }

    func testWinogradMatchesDirectConvolution() {
        var rng = Xoshiro256(seed: 9)
        var conv = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, bias: true, using: &rng)
        let (n, c, h, w) = (2, 2, 5, 4)
        let x = randomScalars(n * c * h * w, &rng)
        XCTAssertTrue(Engine.usesWinograd, "Winograd is on by default")
        let y = Engine.with(Engine.settings.with(\.winogradMinimumColumns, 0)) {
            conv.forward(Tensor(shape: [n, c, h, w], scalars: x), training: false).scalars
        }
        let wt = conv.weight.value.scalars, b = conv.bias!.value.scalars
        var expected: [Float] = []
        for s in 0..<n {
            for o in 0..<3 {
                for oy in 0..<h {
                    for ox in 0..<w {
                        var sum = Double(b[o])
                        for ic in 0..<c {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let iy = oy - 1 + i, ix = ox - 1 + j
                                    guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                                    sum +=
                                        Double(wt[((o * c + ic) * 3 + i) * 3 + j])
                                        * Double(x[((s * c + ic) * h + iy) * w + ix])
                                }
                            }
                        }
                        expected.append(Float(sum))
                    }
                }
            }
        }
        assertAllClose(y, expected, absolute: 1e-5)
    }

    func testLaneGemmSplitsRowsAndColumnsExactly() {
        var rng = Xoshiro256(seed: 13)
        // (m, n, k): more rows than columns, more columns than rows, fewer than one block.
        for (m, n, k) in [(70, 20, 9), (12, 100, 33), (5, 7, 3)] {
            let a = randomScalars(m * k, &rng), b = randomScalars(k * n, &rng)
            var single = [Float](repeating: .nan, count: m * n), split = single
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    single.withUnsafeMutableBufferPointer { cp in
                        laneGemm(
                            lanes: 1, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                            c: cp.baseAddress!, ldc: n)
                    }
                    split.withUnsafeMutableBufferPointer { cp in
                        laneGemm(
                            lanes: 2, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                            c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            assertAllClose(split, single, absolute: 1e-5, relative: 1e-5, "m \(m) n \(n) k \(k)")
        }
    }
}
