import XCTest

@testable import Training

final class KFoldTests: XCTestCase {
    func testFoldsValidateEverySpeakerOnceAndKeepTheTestSetOut() throws {
        let speakers: [String?] = (0..<60).map { "a\($0 % 10)" }
        let folds = try kFoldSplits(speakers: speakers, k: 4, testSpeakers: ["a9"])
        XCTAssertEqual(folds.count, 4)
        var validated: [Int] = []
        for f in folds {
            XCTAssertTrue(Set(f.train).isDisjoint(with: f.valid))
            XCTAssertTrue(Set(f.train + f.valid).isDisjoint(with: f.test))
            XCTAssertEqual(f.test.count, 6)
            XCTAssertTrue(Set(f.train.map { speakers[$0]! }).isDisjoint(with: f.valid.map { speakers[$0]! }))
            validated += f.valid
        }
        XCTAssertEqual(validated.sorted(), (0..<60).filter { speakers[$0] != "a9" })
        XCTAssertThrowsError(try kFoldSplits(speakers: speakers, k: 1))
    }

    func testFoldSummaryReportsMeanAndSampleStd() {
        func metrics(_ correct: Int) -> ClassificationMetrics {
            let targets = Array(repeating: 0, count: 4) + Array(repeating: 1, count: 4)
            let predictions = targets.enumerated().map { $0.offset < correct ? $0.element : 1 - $0.element }
            return ClassificationMetrics(
                loss: Double(correct),
                confusion: ConfusionMatrix(classNames: ["x", "y"], targets: targets, predictions: predictions))
        }
        let summary = FoldSummary(folds: [metrics(8), metrics(6), metrics(4)])
        XCTAssertEqual(summary.accuracy.mean, 0.75, accuracy: 1e-12)
        XCTAssertEqual(summary.accuracy.std, 0.25, accuracy: 1e-12)  // values 1, .75, .5
        XCTAssertEqual(summary.loss.mean, 6)
        XCTAssertEqual(summary.pooledConfusion?.total, 24)
        XCTAssertEqual(summary.accuracy.description, "0.7500 ± 0.2500")
        XCTAssertEqual(MeanStd([3]).std, 0)
    }
}
