import Features
import Foundation
import TestSupport
import XCTest

final class FeatureCacheTests: XCTestCase {
    /// Counts decodes; a "file" holds a frequency in Hz as text and decodes to 0.3 s of that sine.
    final class CountingDecoder: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var paths: [String] = []
        var count: Int { lock.withLock { paths.count } }
        func decode(_ path: String, _ rate: Int) throws -> [Float] {
            lock.withLock { paths.append(path) }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let hz = Double(text.trimmingCharacters(in: .whitespacesAndNewlines))!
            return (0..<(rate * 3 / 10)).map { Float(sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
        }
    }

    var dir: TemporaryDirectory!
    var files: [String] = []

    override func setUpWithError() throws {
        dir = TemporaryDirectory("feature-cache")
        try FileManager.default.createDirectory(atPath: dir.path("audio"), withIntermediateDirectories: true)
        files = try [220, 440, 880, 1760, 3520].map { hz in
            let path = dir.path("audio/\(hz).txt")
            try "\(hz)".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    func cache(_ decoder: CountingDecoder, _ p: FeatureParameters = FeatureParameters()) throws -> FeatureCache {
        try FeatureCache(directory: dir.url.appendingPathComponent("cache"), parameters: p, decode: decoder.decode)
    }

    func testSecondExperimentDecodesNothing() throws {
        let first = CountingDecoder()
        let c1 = try cache(first)
        let report = c1.prepare(files, threads: 2)
        XCTAssertEqual(report.extracted, 5)
        XCTAssertEqual(report.failures.count, 0)
        XCTAssertEqual(first.count, 5)
        let a = try files.map { try c1.features(for: $0) }
        XCTAssertEqual(first.count, 5)
        XCTAssertEqual(a[0].rows, 128)

        let second = CountingDecoder()
        let c2 = try cache(second)
        let b = try files.map { try c2.features(for: $0) }
        XCTAssertEqual(second.count, 0, "no audio decoded the second time")
        XCTAssertEqual(c2.statistics, .init(hits: 5, extracted: 0, hashed: 0), "nor hashed")
        XCTAssertEqual(a, b)
        // Cached values equal fresh extraction.
        let fresh = try LogMelExtractor(FeatureParameters()).features(of: try first.decode(files[2], 22050))
        XCTAssertEqual(b[2], fresh)
    }

    func testChangingAParameterRecomputesButPostCacheParametersDoNot() throws {
        _ = try cache(CountingDecoder()).prepare(files)
        var p = FeatureParameters()
        p.duration = 0.2
        p.crop = .random
        p.standardise = .perBand
        let same = CountingDecoder()
        _ = try cache(same, p).prepare(files)
        XCTAssertEqual(same.count, 0)
        p.nMels = 64
        let changed = CountingDecoder()
        let c = try cache(changed, p)
        _ = c.prepare(files)
        XCTAssertEqual(changed.count, 5)
        XCTAssertEqual(try c.features(for: files[0]).rows, 64)
    }

    func testTouchingRehashesAndEditingRecomputesOnlyThatFile() throws {
        _ = try cache(CountingDecoder()).prepare(files)
        // Touch: new mtime, same bytes → hashed again, not decoded.
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: files[1])
        let touched = CountingDecoder()
        let c1 = try cache(touched)
        _ = c1.prepare(files)
        XCTAssertEqual(touched.count, 0)
        XCTAssertEqual(c1.statistics.hashed, 1)
        // Edit: new bytes → that file alone is decoded.
        try "330".write(toFile: files[3], atomically: true, encoding: .utf8)
        let edited = CountingDecoder()
        let c2 = try cache(edited)
        _ = c2.prepare(files)
        XCTAssertEqual(edited.paths, [files[3]])
        XCTAssertEqual(c2.statistics, .init(hits: 4, extracted: 1, hashed: 1))
    }

    func testCorruptEntryIsRecomputedAndFailuresAreReported() throws {
        let c = try cache(CountingDecoder())
        _ = c.prepare(files)
        let entries = try FileManager.default.contentsOfDirectory(atPath: c.entriesDirectory.path).filter {
            $0.hasSuffix(".feat")
        }
        XCTAssertEqual(entries.count, 5)
        try Data([1, 2, 3]).write(to: c.entriesDirectory.appendingPathComponent(entries[0]))
        let again = CountingDecoder()
        let c2 = try cache(again)
        let report = c2.prepare(files + [dir.path("audio/missing.txt")])
        XCTAssertEqual(again.count, 1)
        XCTAssertEqual(report.failures.count, 1)
        XCTAssertTrue(report.failures[0].error.contains("missing.txt"), report.failures[0].error)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: c.entriesDirectory.appendingPathComponent("parameters.json").path))
    }

    func testProgressWithoutTerminalPrintsPlainLines() {
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let progress = ProgressReporter(total: 3, label: "features", terminal: false, interval: 0) {
            lines.all.append($0)
        }
        for _ in 0..<3 { progress.advance() }
        progress.finish()
        XCTAssertEqual(lines.all.count, 4)
        XCTAssertTrue(lines.all[0].hasPrefix("features: 1/3"))
        XCTAssertTrue(lines.all[3].hasPrefix("features: done, 3/3"))
    }
}
