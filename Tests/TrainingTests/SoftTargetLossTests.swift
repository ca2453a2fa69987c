import NeuralNet
import SeededRandom
import TestSupport
import XCTest

@testable import Training

final class SoftTargetLossTests: XCTestCase {
    let logits = Tensor(shape: [3, 4], scalars: [1, 2, 3, 0.5, 0, 0, 0, 0, -1, 2, 0.3, 1])
    let labels = [2, 0, 1]

    func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        var t = Tensor(shape: [labels.count, classes])
        for (i, y) in labels.enumerated() { t[i * classes + y] = 1 }
        return t
    }

    func testOneHotTargetsEqualCrossEntropyLossWithSmoothingAndWeights() {
        for (eps, w) in [(Float(0), nil as [Float]?), (0.1, nil), (0.1, [1, 2, 3, 0.5])] {
            let hard = CrossEntropyLoss(labelSmoothing: eps, classWeights: w)(logits, labels: labels)
            let soft = SoftTargetCrossEntropy(labelSmoothing: eps, classWeights: w)(
                logits, targets: oneHot(labels, classes: 4))
            XCTAssertEqual(soft.loss, hard.loss, accuracy: 1e-6)
            assertAllClose(soft.gradient.scalars, hard.gradient.scalars, absolute: 1e-6)
        }
    }

    func testMixedTargetsGiveTheLambdaWeightedSumOfTwoLosses() {
        // Per item: λ·CE(item, a) + (1−λ)·CE(item, b), averaged.
        let a = [2, 0, 1], b = [0, 0, 3], lambdas: [Float] = [0.7, 0.9, 0.5]
        var targets = Tensor(shape: [3, 4])
        for i in 0..<3 {
            targets[i * 4 + a[i]] += lambdas[i]
            targets[i * 4 + b[i]] += 1 - lambdas[i]
        }
        let loss = SoftTargetCrossEntropy()(logits, targets: targets).loss
        var expected: Float = 0
        for i in 0..<3 {
            let row = Tensor(shape: [1, 4], scalars: Array(logits.scalars[(i * 4)..<(i * 4 + 4)]))
            expected +=
                lambdas[i] * CrossEntropyLoss()(row, labels: [a[i]]).loss + (1 - lambdas[i])
                * CrossEntropyLoss()(row, labels: [b[i]]).loss
        }
        XCTAssertEqual(loss, expected / 3, accuracy: 1e-5)
    }

    func testGradientMatchesFiniteDifferences() {
        var targets = Tensor(shape: [3, 4])
        for (i, v) in [0.2, 0.8, 0, 0, 0, 0.5, 0.5, 0, 0.1, 0.1, 0.1, 0.7].enumerated() { targets[i] = Float(v) }
        let f = SoftTargetCrossEntropy(labelSmoothing: 0.1, classWeights: [1, 2, 1, 0.5])
        let analytic = f(logits, targets: targets).gradient.scalars
        GradientChecker.assertGradient(
            "soft CE", at: logits.scalars, analytic: analytic, epsilon: 1e-2, tolerance: 1e-3
        ) { x in
            Double(f(Tensor(shape: [3, 4], scalars: x), targets: targets).loss)
        }
    }
}
