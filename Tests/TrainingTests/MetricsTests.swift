import XCTest

@testable import Training

final class MetricsTests: XCTestCase {
    // Classes a, b, c. True:      a a a a b b c c c c
    //                  Predicted: a a b c b a c c c b
    let names = ["a", "b", "c"]
    let targets = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
    let predictions = [0, 0, 1, 2, 1, 0, 2, 2, 2, 1]

    func testConfusionCountsRowsTrueColumnsPredicted() {
        let m = ConfusionMatrix(classNames: names, targets: targets, predictions: predictions)
        XCTAssertEqual(m.counts, [[2, 1, 1], [1, 1, 0], [0, 1, 3]])
        XCTAssertEqual(m.total, 10)
        XCTAssertEqual(m.accuracy, 0.6, accuracy: 1e-12)
    }

    func testRecallPrecisionF1AndAverages() {
        let m = ConfusionMatrix(classNames: names, targets: targets, predictions: predictions)
        // recalls 2/4, 1/2, 3/4; precisions 2/3, 1/3, 3/4
        XCTAssertEqual(m.unweightedAverageRecall, (0.5 + 0.5 + 0.75) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.precision(1), 1.0 / 3, accuracy: 1e-12)
        let f1a = 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5)
        let f1b = 2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5)
        let f1c = 0.75
        XCTAssertEqual(m.macroF1, (f1a + f1b + f1c) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.perClass.map(\.support), [4, 2, 4])
        XCTAssertEqual(m.rowNormalized[1], [0.5, 0.5, 0])
    }

    func testUARIgnoresClassImbalanceUnlikeAccuracy() {
        // 9 of class a all right, 1 of class b wrong: accuracy 0.9 but UAR 0.5.
        let m = ConfusionMatrix(
            classNames: ["a", "b"], targets: Array(repeating: 0, count: 9) + [1],
            predictions: Array(repeating: 0, count: 10))
        XCTAssertEqual(m.accuracy, 0.9, accuracy: 1e-12)
        XCTAssertEqual(m.unweightedAverageRecall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.precision(1), 0)
    }

    func testMostConfusedIsSortedByCountThenName() {
        let m = ConfusionMatrix(classNames: names, targets: targets + [0], predictions: predictions + [2])
        let pairs = m.mostConfused()
        XCTAssertEqual(pairs.first, ConfusedPair(actual: "a", predicted: "c", count: 2))
        XCTAssertEqual(pairs.map(\.count), [2, 1, 1, 1])
        XCTAssertEqual(pairs[1], ConfusedPair(actual: "a", predicted: "b", count: 1))
        XCTAssertEqual(m.mostConfused(minimum: 2).count, 1)
    }

    func testTopLossesAreTheLeastLikelyTrueClasses() {
        let probabilities: [[Double]] = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]
        let top = topLosses(probabilities: probabilities, targets: [0, 0, 1, 1], k: 2)
        XCTAssertEqual(top.map(\.index), [1, 2])
        XCTAssertEqual(top[0].loss, -log(0.2), accuracy: 1e-12)
        XCTAssertEqual(top[0].predicted, 1)
        XCTAssertEqual(top[0].probability, 0.8, accuracy: 1e-12)
        XCTAssertEqual(top[1].predicted, 0)
    }
}
