import XCTest

@testable import Live

final class EnergyGateTests: XCTestCase {
    func testLevels() {
        XCTAssertEqual(EnergyGate.levelDBFS([Float](repeating: 1, count: 100)), 0, accuracy: 1e-5)
        XCTAssertEqual(EnergyGate.levelDBFS([Float](repeating: -0.1, count: 100)), -20, accuracy: 1e-4)
        let sine = (0..<16000).map { Float(sin(2 * Double.pi * 440 * Double($0) / 16000)) }
        XCTAssertEqual(EnergyGate.levelDBFS(sine), -3.0103, accuracy: 1e-3)
        XCTAssertEqual(EnergyGate.levelDBFS([Float](repeating: 0, count: 10)), EnergyGate.floorDBFS)
        XCTAssertEqual(EnergyGate.levelDBFS([]), EnergyGate.floorDBFS)
    }

    func testThresholdIsStrict() {
        let gate = EnergyGate(thresholdDBFS: -50)
        XCTAssertTrue(gate.isSilent(levelDBFS: -50.01))
        XCTAssertFalse(gate.isSilent(levelDBFS: -50))
        XCTAssertFalse(gate.isSilent(levelDBFS: -10))
        XCTAssertFalse(EnergyGate(thresholdDBFS: nil).isSilent(levelDBFS: EnergyGate.floorDBFS))
    }

    func testParsing() throws {
        XCTAssertEqual(try EnergyGate(parsing: "-45").thresholdDBFS, -45)
        XCTAssertEqual(try EnergyGate(parsing: "-45dBFS").thresholdDBFS, -45)
        XCTAssertNil(try EnergyGate(parsing: "off").thresholdDBFS)
        XCTAssertThrowsError(try EnergyGate(parsing: "6"))
        XCTAssertThrowsError(try EnergyGate(parsing: "quiet"))
    }
}

final class LabelSmootherTests: XCTestCase {
    func testEMAAveragesProbabilityVectors() {
        var s = LabelSmoother(method: .ema(alpha: 0.5), classCount: 2)
        XCTAssertTrue(s.update([0.9, 0.1]) == (0, 0.9))
        // 0.5·[0.2, 0.8] + 0.5·[0.9, 0.1] = [0.55, 0.45]: still class 0 although the window says 1.
        let second = s.update([0.2, 0.8])
        XCTAssertEqual(second.label, 0)
        XCTAssertEqual(second.probability, 0.55, accuracy: 1e-6)
        // 0.5·[0.2, 0.8] + 0.5·[0.55, 0.45] = [0.375, 0.625]: now class 1.
        let third = s.update([0.2, 0.8])
        XCTAssertEqual(third.label, 1)
        XCTAssertEqual(third.probability, 0.625, accuracy: 1e-6)
        s.reset()
        XCTAssertEqual(s.update([0.3, 0.7]).label, 1)
    }

    func testMajorityOverTheLastK() {
        var s = LabelSmoother(method: .majority(k: 3), classCount: 3)
        XCTAssertEqual(s.update([0.8, 0.1, 0.1]).label, 0)
        XCTAssertEqual(s.update([0.1, 0.7, 0.2]).label, 1, "1–1 tie goes to the most recent")
        let third = s.update([0.6, 0.2, 0.2])
        XCTAssertEqual(third.label, 0)
        XCTAssertEqual(third.probability, 0.7, accuracy: 1e-6, "mean of 0.8 and 0.6")
        // The last three votes are 1, 0, 2: a three-way tie, won by the most recent.
        XCTAssertEqual(s.update([0.1, 0.1, 0.8]).label, 2)
        // Votes 0, 2, 2: class 2 wins outright.
        XCTAssertEqual(s.update([0.1, 0.3, 0.6]).label, 2)
    }

    func testNoSmoothingFollowsEachWindow() {
        var s = LabelSmoother(method: .none, classCount: 2)
        XCTAssertEqual(s.update([0.9, 0.1]).label, 0)
        XCTAssertEqual(s.update([0.4, 0.6]).label, 1)
    }

    func testParsing() throws {
        XCTAssertEqual(try SmoothingMethod(parsing: "ema:0.3"), .ema(alpha: 0.3))
        XCTAssertEqual(try SmoothingMethod(parsing: "majority:5"), .majority(k: 5))
        XCTAssertEqual(try SmoothingMethod(parsing: "none"), SmoothingMethod.none)
        for bad in ["ema", "ema:0", "ema:1.5", "majority:0", "median:3", ""] {
            XCTAssertThrowsError(try SmoothingMethod(parsing: bad), bad)
        }
    }
}
