import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

final class LossTests: XCTestCase {
    func testCrossEntropyValueMatchesHandComputation() {
        let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0])
        let loss = CrossEntropyLoss()(logits, labels: [2, 0]).loss
        let lse = log(exp(1.0) + exp(2.0) + exp(3.0))
        XCTAssertEqual(Double(loss), ((lse - 3) + log(3.0)) / 2, accuracy: 1e-6)

        // Smoothing 0.1, weights [1, 2, 3]: PyTorch's weighted mean (divided by Σ w[yᵢ]).
        let w: [Double] = [1, 2, 3]
        let smooth = CrossEntropyLoss(labelSmoothing: 0.1, classWeights: w.map(Float.init))(logits, labels: [2, 0]).loss
        let lp0 = [1 - lse, 2 - lse, 3 - lse], lp1 = [-log(3.0), -log(3.0), -log(3.0)]
        let nll = (w[2] * -lp0[2] + w[0] * -lp1[0])
        let soft = (0..<3).map { -w[$0] * lp0[$0] }.reduce(0, +) + (0..<3).map { -w[$0] * lp1[$0] }.reduce(0, +)
        XCTAssertEqual(Double(smooth), (0.9 * nll + 0.1 / 3 * soft) / (w[2] + w[0]), accuracy: 1e-6)
    }

    func testCrossEntropyGradientMatchesFiniteDifferences() {
        var rng = Xoshiro256(seed: 2)
        let labels = [0, 3, 1, 3, 2]
        let x = randomScalars(5 * 4, &rng, scale: 2)
        for loss in [
            CrossEntropyLoss(), CrossEntropyLoss(labelSmoothing: 0.1),
            CrossEntropyLoss(labelSmoothing: 0.2, classWeights: [0.5, 1, 2, 1.5]),
        ] {
            let g = loss(Tensor(shape: [5, 4], scalars: x), labels: labels).gradient
            GradientChecker.assertGradient("cross-entropy", at: x, analytic: g.scalars, epsilon: 1e-2, tolerance: 2e-3)
            { xs in
                Double(loss(Tensor(shape: [5, 4], scalars: xs), labels: labels).loss)
            }
        }
    }
}
