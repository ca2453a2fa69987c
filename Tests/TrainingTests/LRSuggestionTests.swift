import Foundation
import XCTest

@testable import Training

final class LRSuggestionTests: XCTestCase {
    /// A textbook finder curve over 100 points from 1e-7 to 10: flat at 2.3 up to 1e-4, falling
    /// linearly in log LR to 0.3 at 1e-1, then exploding. Good LRs lie between 1e-4 and 1e-1.
    func curve() -> (lrs: [Double], losses: [Double]) {
        let lrs = (0..<100).map { lrFinderSchedule(start: 1e-7, end: 10, iteration: $0, numIt: 100) }
        let losses = lrs.map { lr -> Double in
            let x = log10(lr)
            if x < -4 { return 2.3 - 0.001 * (x + 7) }
            if x < -1 { return 2.3 - 2.0 * (x + 4) / 3 }
            return 0.3 + 5 * (x + 1) * (x + 1)
        }
        return (lrs, losses)
    }

    func testScheduleIsExponentialFromStartToEnd() {
        XCTAssertEqual(lrFinderSchedule(start: 1e-7, end: 10, iteration: 0, numIt: 100), 1e-7, accuracy: 1e-20)
        XCTAssertEqual(lrFinderSchedule(start: 1e-7, end: 10, iteration: 100, numIt: 100), 10, accuracy: 1e-9)
        XCTAssertEqual(lrFinderSchedule(start: 1e-7, end: 10, iteration: 50, numIt: 100), sqrt(1e-6), accuracy: 1e-12)
    }

    func testEverySuggestionFallsInTheGoodRange() {
        let (lrs, losses) = curve()
        let suggestions = suggestLearningRates(
            learningRates: lrs, losses: losses, numIt: 100, methods: LRSuggestionMethod.allCases)
        XCTAssertEqual(suggestions.map(\.method), LRSuggestionMethod.allCases)
        for s in suggestions {
            XCTAssertGreaterThanOrEqual(s.learningRate, 1e-4, "\(s.method)")
            XCTAssertLessThanOrEqual(s.learningRate, 1e-1, "\(s.method)")
        }
        let minimum = suggestions.first { $0.method == .minimum }!
        XCTAssertEqual(log10(minimum.markerLR), -1, accuracy: 0.1)  // the minimum of the curve
        XCTAssertEqual(minimum.learningRate, minimum.markerLR / 10, accuracy: 1e-15)
    }

    func testPointsAfterTheFirstNaNAreIgnoredAndEndsAreTrimmed() {
        var (lrs, losses) = curve()
        losses[60] = .nan
        losses[61] = -100  // after the NaN: must not become the minimum
        let s = suggestLearningRates(learningRates: lrs, losses: losses, numIt: 100, methods: [.minimum])
        XCTAssertLessThan(s[0].markerLR, lrs[60])
        // With the first 10 and last 5 points dropped, 5 points leave nothing to suggest from.
        XCTAssertTrue(
            suggestLearningRates(
                learningRates: Array(lrs[..<15]), losses: Array(losses[..<15]), numIt: 100, methods: [.valley]
            ).isEmpty)
    }

    func testValleyMatchesFastaisIndexArithmetic() {
        // Strictly decreasing over 10 points: longest valley spans 0...9 (lds = 10 at index 9,
        // start = 9 - 10 = -1); sections = 10/3; idx = -1 + 3 + 1 = 3.
        let lrs = (0..<10).map { Double($0 + 1) }
        let losses = (0..<10).map { 10 - Double($0) }
        XCTAssertEqual(LRSuggestionRules.valley(lrs, losses).learningRate, 4)
    }

    func testSteepIsTheSteepestDescentPerLogLR() {
        let lrs = [1e-4, 1e-3, 1e-2, 1e-1]
        let losses = [2.0, 1.9, 1.0, 0.9]
        XCTAssertEqual(LRSuggestionRules.steep(lrs, losses).learningRate, 1e-3)
    }

    /// A dip after the minimum (the loss falling back from a spike while diverging) is not a descent:
    /// fastai's rule would pick it (the drop from 10.5 to 6 is the steepest), `ser`'s stops at the minimum.
    func testSteepIgnoresDipsInTheDivergentTail() {
        let lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10]
        let losses = [2.0, 1.8, 1.2, 1.1, 10.5, 6.0]
        let s = LRSuggestionRules.steep(lrs, losses)
        XCTAssertEqual(s.learningRate, 1e-3)
        XCTAssertEqual(s.markerLoss, 1.8)
        // A curve that only rises has its minimum first: the whole curve is searched, as fastai does.
        XCTAssertEqual(LRSuggestionRules.steep([1, 2, 3], [1.0, 3.0, 3.5]).learningRate, 2)
    }

    func testNumpyGradientAndInterpolation() {
        XCTAssertEqual(LRSuggestionRules.numpyGradient([1, 2, 4, 7]), [1, 1.5, 2.5, 3])
        XCTAssertEqual(LRSuggestionRules.interpolate(1.5, xs: [1, 2], ys: [10, 20]), 15)
        XCTAssertEqual(LRSuggestionRules.interpolate(5, xs: [1, 2], ys: [10, 20]), 20)
    }

    func testSmoothedLossIsBiasCorrected() {
        var s = SmoothedLoss(beta: 0.98)
        XCTAssertEqual(s.add(3), 3, accuracy: 1e-12)  // a constant stays constant
        XCTAssertEqual(s.add(3), 3, accuracy: 1e-12)
        var t = SmoothedLoss(beta: 0.5)
        _ = t.add(1)
        // avg = 0.5·(0.5·1) + 0.5·3 = 1.75; correction 1 − 0.25 = 0.75.
        XCTAssertEqual(t.add(3), 1.75 / 0.75, accuracy: 1e-12)
    }
}
