import Foundation
import TestSupport
import XCTest

@testable import Features

/// Issue #18: no NaN or infinity reaches a feature matrix through the cache, even when a decoder lets
/// absurd samples through, and a cached entry holding NaN is never served.
final class NonFiniteFeatureTests: XCTestCase {
    func parameters() -> FeatureParameters {
        var p = FeatureParameters()
        p.sampleRate = 16000
        p.nFFT = 256
        p.hopLength = 160
        p.nMels = 16
        return p
    }

    func testTheCacheRefusesFeaturesHoldingNaN() throws {
        let dir = TemporaryDirectory()
        let file = dir.path("clip.bin")
        try Data("audio".utf8).write(to: URL(fileURLWithPath: file))
        // 1e30 squared overflows to infinity in the power spectrum: −inf/NaN dB values before the check.
        let cache = try FeatureCache(
            directory: dir.url.appendingPathComponent("cache"), parameters: parameters(),
            decode: { _, _ in (0..<1600).map { $0 == 800 ? 1e30 : 0.1 * sin(Float($0)) } })
        XCTAssertThrowsError(try cache.features(for: file)) { error in
            XCTAssertEqual((error as? NonFiniteFeatureError)?.path, file, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(file + ": its features hold NaN or infinity"), "\(error)")
        }
        XCTAssertEqual(cache.statistics.extracted, 0, "nothing was cached")
    }

    func testACachedEntryHoldingNaNIsRecomputed() throws {
        let dir = TemporaryDirectory()
        let file = dir.path("clip.bin")
        try Data("audio".utf8).write(to: URL(fileURLWithPath: file))
        let cache = try FeatureCache(
            directory: dir.url.appendingPathComponent("cache"), parameters: parameters(),
            decode: { _, _ in (0..<1600).map { 0.1 * sin(Float($0)) } })
        let good = try cache.features(for: file)
        // Damage the entry: one value becomes NaN.
        let entries = try FileManager.default.contentsOfDirectory(
            at: cache.entriesDirectory, includingPropertiesForKeys: nil)
        let entry = try XCTUnwrap(entries.first { $0.pathExtension == "feat" })
        var bytes = try Data(contentsOf: entry)
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { bytes.replaceSubrange(20..<24, with: $0) }
        try bytes.write(to: entry)
        XCTAssertEqual(try cache.features(for: file), good)
        XCTAssertEqual(cache.statistics.extracted, 2, "the damaged entry was recomputed, not served")
    }

    func testAnEntryWhoseSizeOverflowsIsIgnored() throws {
        let dir = TemporaryDirectory()
        let url = dir.url.appendingPathComponent("x.feat")
        var bytes = Data(FeatureCache.magic)
        for value in [FeatureCache.formatVersion, UInt32.max, UInt32.max] {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try bytes.write(to: url)
        XCTAssertNil(FeatureCache.readEntry(url))
    }
}
