import Datasets
import Features
import Foundation
import TestSupport
import XCTest

@testable import Training

final class FeatureDatasetTests: XCTestCase {
    struct DecodeFailure: Error, CustomStringConvertible { var description: String { "cannot decode" } }

    /// `count` files in `directory` (their content only feeds the cache key) whose decoder gives a sine whose
    /// length and pitch depend on the file, so the matrices differ; two classes and two speakers alternate.
    static func sineClips(_ count: Int, in directory: TemporaryDirectory) throws -> (
        items: [DatasetItem], parameters: FeatureParameters, decode: AudioDecoder
    ) {
        var items: [DatasetItem] = []
        for i in 0..<count {
            let path = directory.path("clip\(i).wav")
            try Data("clip \(i)".utf8).write(to: URL(fileURLWithPath: path))
            let file = DatasetFile(path: path, relativePath: "clip\(i).wav", speaker: "s\(i % 2)")
            items.append(DatasetItem(file: file, classIndex: i % 2, label: ["a", "b"][i % 2]))
        }
        var parameters = FeatureParameters()
        parameters.sampleRate = 8000
        parameters.nFFT = 256
        parameters.hopLength = 64
        parameters.nMels = 16
        let decode: AudioDecoder = { path, rate in
            let k = Double(path.split(separator: "p").last!.prefix(1))!
            return (0..<(4000 + Int(k) * 500)).map {
                Float(sin(2 * Double.pi * (200 + 100 * k) * Double($0) / Double(rate)))
            }
        }
        return (items, parameters, decode)
    }

    func testLoadsEveryItemThroughTheCacheAndReusesItOnTheNextRun() throws {
        let directory = TemporaryDirectory("ser-featureset")
        let (items, parameters, decode) = try Self.sineClips(6, in: directory)
        let cacheDirectory = directory.url.appendingPathComponent("cache")
        let cache = try FeatureCache(directory: cacheDirectory, parameters: parameters, decode: decode)
        let data = try FeatureDataset.load(items: items, classNames: ["a", "b"], cache: cache, threads: 2)
        XCTAssertEqual(data.count, 6)
        XCTAssertEqual(data.rows, 16)
        XCTAssertEqual(try data.features[0].frames, parameters.frameCount(sampleCount: 4000))
        XCTAssertEqual(try data.features[5].frames, parameters.frameCount(sampleCount: 6500))
        XCTAssertEqual(data.maxFrames, try data.features[5].frames)
        XCTAssertEqual(data.speakers, items.map(\.speaker))
        XCTAssertEqual(cache.statistics.extracted, 6)

        let again = try FeatureCache(
            directory: cacheDirectory, parameters: parameters, decode: { _, _ in throw DecodeFailure() })
        let reloaded = try FeatureDataset.load(items: items, classNames: ["a", "b"], cache: again, threads: 2)
        XCTAssertEqual(again.statistics.hits, 6)
        XCTAssertEqual(try reloaded.features, try data.features)

        var withMissing = items
        withMissing[2].file.path = directory.path("missing.wav")
        withMissing[2].file.relativePath = "missing.wav"
        XCTAssertThrowsError(try FeatureDataset.load(items: withMissing, classNames: ["a", "b"], cache: again)) {
            error in
            XCTAssertTrue("\(error)".contains("missing.wav"), "\(error)")
            XCTAssertTrue("\(error)".contains("1 file"), "\(error)")
        }
    }

    func testAppendingKeepsIndicesForATestSetFromAnotherSource() throws {
        let a = SyntheticData.dataset(count: 6), b = SyntheticData.dataset(count: 3, seed: 9)
        let both = try a.appending(b)
        XCTAssertEqual(both.count, 9)
        XCTAssertEqual(try both.features[6], try b.features[0])
        let split = try makeSplit(
            speakers: both.speakers, kind: .random(validFraction: 0.5, seed: 1), testIndices: Set(6..<9))
        XCTAssertEqual(split.test, [6, 7, 8])
        let other = FeatureDataset(items: [], classNames: ["x"], features: [])
        XCTAssertThrowsError(try a.appending(other)) { XCTAssertTrue("\($0)".contains("classes"), "\($0)") }
    }
}
