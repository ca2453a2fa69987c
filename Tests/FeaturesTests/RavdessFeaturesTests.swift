import Features
import Foundation
import TestSupport
import XCTest

/// Features of real RAVDESS files through the default decoder and the cache (skipped without the data).
final class RavdessFeaturesTests: XCTestCase {
    func testNotebookFeaturesOfRealFilesAreCachedAndWellFormed() throws {
        try XCTSkipIf(SharedData.ravdess == nil, "../shared/data/ravdess is absent")
        let root = SharedData.ravdess!
        let actor = root.appendingPathComponent("Actor_01")
        let files = try FileManager.default.contentsOfDirectory(atPath: actor.path).filter { $0.hasSuffix(".flac") }
            .sorted()
            .prefix(4).map { actor.appendingPathComponent($0).path }
        XCTAssertEqual(files.count, 4)
        let dir = TemporaryDirectory()
        let cache = try FeatureCache(directory: dir.url, parameters: .notebook)
        let report = cache.prepare(files, threads: 2)
        XCTAssertEqual(report.extracted, 4)
        XCTAssertTrue(report.failures.isEmpty, "\(report.failures)")
        for path in files {
            let m = try cache.features(for: path)
            XCTAssertEqual(m.rows, 128)
            XCTAssertGreaterThan(m.frames, 200)  // RAVDESS utterances last about 3-5 s: 660-1100 frames at hop 100
            XCTAssertEqual(m.range.upperBound, 0)
            XCTAssertEqual(m.range.lowerBound, -80)
        }
        XCTAssertEqual(cache.statistics.hits, 4)
    }
}
