import Foundation
import Plots
import TestSupport
import XCTest

final class ChartTicksTests: XCTestCase {
    func testNiceStepIsOneTwoOrFiveTimesAPowerOfTen() {
        XCTAssertEqual(ChartTicks.niceStep(span: 1, targetCount: 5), 0.2, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 10, targetCount: 5), 2, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 100, targetCount: 5), 20, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 7, targetCount: 5), 1, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 8, targetCount: 5), 2, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 3, targetCount: 5), 0.5, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 4, targetCount: 5), 1, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 0.0042, targetCount: 4), 0.001, accuracy: 1e-15)
        XCTAssertEqual(ChartTicks.niceStep(span: 2.5, targetCount: 5), 0.5, accuracy: 1e-12)
        XCTAssertEqual(ChartTicks.niceStep(span: 32000, targetCount: 5), 5000, accuracy: 1e-9)
        XCTAssertEqual(ChartTicks.niceStep(span: 40000, targetCount: 5), 10000, accuracy: 1e-9)
    }

    func testLinearTicksAreExactMultiplesInsideTheRange() {
        XCTAssertEqual(ChartTicks.linear(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(ChartTicks.linear(0.1, 0.35), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35])
        XCTAssertEqual(ChartTicks.linear(-3, 7), [-2, 0, 2, 4, 6])
        XCTAssertEqual(ChartTicks.linear(1, 30, targetCount: 5), [5, 10, 15, 20, 25, 30])
        XCTAssertEqual(ChartTicks.linear(2, 2), [2])
        XCTAssertEqual(ChartTicks.linear(0, 8000, targetCount: 4), [0, 2000, 4000, 6000, 8000])
    }

    func testNiceDomainEndsOnTicks() {
        XCTAssertEqual(ChartTicks.niceDomain(0.13, 2.71), 0...3)
        XCTAssertEqual(ChartTicks.niceDomain(0.43, 2.08), 0...2.5)
        XCTAssertEqual(ChartTicks.niceDomain(5, 5), 4.4...5.6)
        XCTAssertEqual(ChartTicks.niceDomain(0, 0), -1...1)
        XCTAssertEqual(ChartTicks.niceDomain(-0.7, 0.2), -0.8...0.2)
    }

    func testLinearLabelsUseTheDecimalsTheStepNeeds() {
        XCTAssertEqual(ChartTicks.linearLabel(0.15, step: 0.05), "0.15")
        XCTAssertEqual(ChartTicks.linearLabel(0.4, step: 0.2), "0.4")
        XCTAssertEqual(ChartTicks.linearLabel(1, step: 0.2), "1.0")
        XCTAssertEqual(ChartTicks.linearLabel(20, step: 5), "20")
        XCTAssertEqual(ChartTicks.linearLabel(-0.0000001, step: 0.5), "0.0")
        XCTAssertEqual(ChartTicks.linearLabel(20000, step: 5000), "20k")
        XCTAssertEqual(ChartTicks.linearLabel(4000, step: 2000), "4000")
    }

    func testDecadesAndLogLabels() {
        XCTAssertEqual(ChartTicks.decades(1e-7, 10), Array(-7...1))
        XCTAssertEqual(ChartTicks.decades(3e-5, 2e-2), [-4, -3, -2])
        XCTAssertEqual(
            ChartTicks.logTicks(1e-7, 10).map(ChartTicks.logLabel),
            ["1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "0.01", "0.1", "1", "10"])
        // Fewer than three decades: 2× and 5× join in.
        XCTAssertEqual(ChartTicks.logTicks(1e-3, 1e-2).map(ChartTicks.logLabel), ["1e-3", "2e-3", "5e-3", "0.01"])
        XCTAssertEqual(ChartTicks.logTicks(2.5e-3, 8e-3).map(ChartTicks.logLabel), ["4e-3", "6e-3", "8e-3"])
        XCTAssertEqual(ChartTicks.logTicks(0, 10), [])
        XCTAssertEqual(ChartTicks.linear(0, 4e-20, targetCount: 4), [0, 1e-20, 2e-20, 3e-20, 4e-20])
        XCTAssertEqual(ChartTicks.logLabel(1000), "1000")
        XCTAssertEqual(ChartTicks.logLabel(1e4), "1e4")
        XCTAssertEqual(ChartTicks.pow10(-3), 0.001)
    }

    func testScientificLabelsForLearningRates() {
        XCTAssertEqual(ChartTicks.scientific(0.0013), "1.3e-3")
        XCTAssertEqual(ChartTicks.scientific(0.01), "1e-2")
        XCTAssertEqual(ChartTicks.scientific(9.96e-4), "1e-3")
        XCTAssertEqual(ChartTicks.scientific(2.51e-2), "2.5e-2")
        XCTAssertEqual(ChartTicks.scientific(3), "3e0")
    }

    func testScalesMapLinearLogAndMel() {
        let lin = ChartScale(kind: .linear, domain: 0...10, start: 100, end: 0)
        XCTAssertEqual(lin.map(0), 100)
        XCTAssertEqual(lin.map(2.5), 75)
        let log = ChartScale(kind: .log10, domain: 1e-6...1, start: 0, end: 600)
        XCTAssertEqual(log.map(1e-3), 300, accuracy: 1e-9)
        XCTAssertEqual(log.ticks(), (0...6).map { ChartTicks.pow10(-6 + $0) })
        // Slaney mel is linear below 1 kHz: 500 Hz sits at 15/… of the 1 kHz position.
        XCTAssertEqual(ChartScale.hzToMel(1000, htk: false), 15, accuracy: 1e-9)
        XCTAssertEqual(ChartScale.hzToMel(500, htk: false), 7.5, accuracy: 1e-9)
        XCTAssertEqual(ChartScale.hzToMel(1000, htk: true), 1000, accuracy: 0.1)
        let mel = ChartScale(kind: .mel(htk: false), domain: 0...8000, start: 200, end: 0)
        // 15 of 45.25 mels: a third of the way up, far above the linear position (1/8).
        let melsTo8k: Double = 15 + Foundation.log(8.0) / (Foundation.log(6.4) / 27)
        XCTAssertEqual(mel.map(1000), 200 - 200 * 15 / melsTo8k, accuracy: 1e-9)
        XCTAssertTrue(mel.ticks().contains(1000))
        XCTAssertTrue(mel.ticks().contains(8000))
    }
}
