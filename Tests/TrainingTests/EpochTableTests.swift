import XCTest

@testable import Training

final class EpochTableTests: XCTestCase {
    func testRowsAlignUnderFastaisHeader() {
        let confusion = ConfusionMatrix(classNames: ["a", "b"], targets: [0, 1, 1, 0], predictions: [0, 1, 0, 0])
        let record = EpochRecord(
            epoch: 3, trainLoss: 1.23456789, trainLossMean: 1.3,
            valid: ClassificationMetrics(loss: 0.5, confusion: confusion),
            learningRate: 1e-3, step: 40, seconds: 75.4)
        let table = EpochTable()
        XCTAssertEqual(table.header, "epoch     train_loss  valid_loss  accuracy  uar       time")
        // The record of the fourth epoch (0-based 3) prints as epoch 4, as the store and `ser show` number it.
        XCTAssertEqual(table.row(record), "4         1.234568    0.500000    0.750000  0.750000  01:15")
        XCTAssertEqual(EpochTable.time(59.6), "01:00")
        XCTAssertEqual(EpochTable.time(3725), "1:02:05")
    }

    func testDivergenceMessageNumbersEpochsAndBatchesFromOne() {
        let error = TrainingError.nonFiniteLoss(epoch: 0, batch: 4, learningRate: 0.5)
        XCTAssertTrue(error.description.contains("at epoch 1, batch 5 "), error.description)
    }

    func testLearningRateChoiceParsesNumbersAndSuggestionNames() {
        XCTAssertEqual(LearningRateChoice("valley"), .suggestion(.valley))
        XCTAssertEqual(LearningRateChoice("Minimum"), .suggestion(.minimum))
        XCTAssertEqual(LearningRateChoice("1e-3"), .value(1e-3))
        XCTAssertNil(LearningRateChoice("fast"))
        XCTAssertNil(LearningRateChoice("-1"))
        let finder = LRFinderResult(
            start: 1e-7, end: 10, numIt: 100, points: [],
            suggestions: [LRSuggestion(method: .valley, learningRate: 2e-3, markerLR: 2e-3, markerLoss: 1)],
            diverged: false)
        XCTAssertEqual(LearningRateChoice.suggestion(.valley).resolve(finder), 2e-3)
        XCTAssertNil(LearningRateChoice.suggestion(.steep).resolve(finder))
        XCTAssertEqual(LearningRateChoice.value(0.1).resolve(nil), 0.1)
    }
}
