import Datasets
import SndFile
import TestSupport
import XCTest

final class DatasetScanTests: XCTestCase {
    func testStatisticsOfGeneratedFiles() throws {
        let dir = TemporaryDirectory()
        // Durations 0.5, 1.0, 0.25, 2.0 s; rates 8000/16000/8000/22050; channels 1/2/1/1.
        try Fixtures.wav(dir, "Actor_01/03-01-01-01-01-01-01.wav", frames: 4000, sampleRate: 8000)
        try Fixtures.wav(dir, "Actor_01/03-01-05-02-01-01-01.wav", frames: 16000, sampleRate: 16000, channels: 2)
        try Fixtures.wav(dir, "Actor_02/03-01-05-01-02-01-02.flac", frames: 2000, sampleRate: 8000, format: .flac16)
        try Fixtures.wav(dir, "Actor_04/03-01-03-02-01-02-04.wav", frames: 44100, sampleRate: 22050)

        let dataset = try Dataset.load(dir.url.path)
        let scan = try DatasetScan.run(dataset)
        XCTAssertEqual(scan.fileCount, 4)
        XCTAssertEqual(scan.readableCount, 4)
        XCTAssertTrue(scan.unreadable.isEmpty)
        XCTAssertEqual(scan.classCounts, [1, 0, 1, 0, 2, 0, 0, 0])
        XCTAssertEqual(scan.speakerCounts, ["01": 2, "02": 1, "04": 1])
        XCTAssertEqual(scan.genderCounts, ["male": 2, "female": 2])
        XCTAssertEqual(scan.intensityCounts, ["normal": 2, "strong": 2])
        XCTAssertEqual(scan.emotionCounts, ["neutral": 1, "angry": 2, "happy": 1])
        XCTAssertEqual(scan.sampleRateCounts, [8000: 2, 16000: 1, 22050: 1])
        XCTAssertEqual(scan.channelCounts, [1: 3, 2: 1])
        let duration = try XCTUnwrap(scan.duration)
        XCTAssertEqual(duration.min, 0.25, accuracy: 1e-9)
        XCTAssertEqual(duration.median, 0.75, accuracy: 1e-9)
        XCTAssertEqual(duration.max, 2.0, accuracy: 1e-9)
        XCTAssertEqual(duration.total, 3.75, accuracy: 1e-9)
        // Headers line up with the items.
        for (item, info) in zip(dataset.items, scan.infos) {
            XCTAssertEqual(info, try SoundFile.info(item.path))
        }
    }

    func testDurationStatsOddCountAndEmpty() {
        let stats = DatasetScan.DurationStats([3, 1, 2])
        XCTAssertEqual(stats, DatasetScan.DurationStats(min: 1, median: 2, max: 3, total: 6))
        XCTAssertNil(DatasetScan.DurationStats([]))
    }

    func testUnreadableFilesAreReportedOrStopTheScan() throws {
        let dir = TemporaryDirectory()
        for i in 0..<20 { try Fixtures.wav(dir, "ok/\(i).wav", frames: 800) }
        try Fixtures.text(dir, "bad/junk.wav", String(repeating: "not a RIFF header ", count: 10))
        try Data().write(to: dir.url.appendingPathComponent("bad/empty.wav"))
        let dataset = try Dataset.load(dir.url.path)
        XCTAssertEqual(dataset.items.count, 22)

        let scan = try DatasetScan.run(dataset)
        XCTAssertEqual(scan.readableCount, 20)
        XCTAssertEqual(scan.unreadable.map(\.path), ["bad/empty.wav", "bad/junk.wav"])
        XCTAssertTrue(scan.unreadable.allSatisfy { !$0.reason.isEmpty })
        XCTAssertEqual(scan.infos.filter { $0 == nil }.count, 2)
        XCTAssertEqual(scan.sampleRateCounts, [8000: 20])
        XCTAssertEqual(scan.classCounts, [2, 20])

        XCTAssertThrowsError(try DatasetScan.run(dataset, stopOnError: true)) { error in
            guard let error = error as? SndFileError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.path.hasSuffix("/bad/empty.wav") || error.path.hasSuffix("/bad/junk.wav"), error.path)
            XCTAssertFalse(error.message.isEmpty)
        }
    }
}
