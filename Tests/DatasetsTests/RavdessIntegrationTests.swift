import Datasets
import TestSupport
import XCTest

/// The real RAVDESS speech files beside the repository (skipped when absent).
final class RavdessIntegrationTests: XCTestCase {
    func testSharedRavdessFolder() throws {
        let root = try XCTUnwrap(SharedData.ravdess).path
        let dataset = try Dataset.load(root)
        XCTAssertEqual(dataset.layout, .ravdess)
        XCTAssertEqual(dataset.items.count, 1200)
        XCTAssertTrue(dataset.problems.isEmpty, "\(dataset.problems.prefix(3))")
        XCTAssertEqual(dataset.speakers, (1...20).map { String(format: "%02d", $0) })
        XCTAssertEqual(dataset.classCounts, [80, 160, 160, 160, 160, 160, 160, 160])

        let scan = try DatasetScan.run(dataset, stopOnError: true)
        XCTAssertEqual(scan.readableCount, 1200)
        XCTAssertEqual(scan.emotionCounts.count, 8)
        XCTAssertEqual(scan.speakerCounts.count, 20)
        XCTAssertEqual(scan.genderCounts, ["female": 600, "male": 600])
        XCTAssertEqual(scan.sampleRateCounts, [48000: 1200])
        XCTAssertEqual(scan.channelCounts, [1: 1195, 2: 5])
        let duration = try XCTUnwrap(scan.duration)
        XCTAssertGreaterThan(duration.min, 2)
        XCTAssertLessThan(duration.max, 6)

        let subset = try Dataset(listing: dataset.listing, labels: .emotions([.neutral, .happy, .sad, .angry]))
        XCTAssertEqual(subset.classCounts, [80, 160, 160, 160])
        XCTAssertEqual(subset.excluded.count, 640)
    }

    override func setUpWithError() throws {
        try XCTSkipIf(SharedData.ravdess == nil, "../shared/data/ravdess is absent")
    }
}
