import Features
import SeededRandom
import TestSupport
import XCTest

final class PadCropTests: XCTestCase {
    let m = FeatureMatrix(rows: 2, frames: 6, values: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])

    func testCentreAndLeftCrops() {
        XCTAssertEqual(m.fitted(toFrames: 2, mode: .center).values, [2, 3, 12, 13])
        XCTAssertEqual(m.fitted(toFrames: 3, mode: .center).values, [1, 2, 3, 11, 12, 13])
        XCTAssertEqual(m.fitted(toFrames: 2, mode: .left).values, [0, 1, 10, 11])
        XCTAssertEqual(m.fitted(toFrames: 6, mode: .center), m)
    }

    func testPaddingUsesEachRowsFloor() {
        XCTAssertEqual(
            m.fitted(toFrames: 8, mode: .left).values, [0, 1, 2, 3, 4, 5, 0, 0, 10, 11, 12, 13, 14, 15, 10, 10])
        XCTAssertEqual(
            m.fitted(toFrames: 8, mode: .center).values, [0, 0, 1, 2, 3, 4, 5, 0, 10, 10, 11, 12, 13, 14, 15, 10])
    }

    func testRandomCropIsReproducibleAndCoversEveryOffset() {
        var a = Xoshiro256(seed: 42)
        var b = Xoshiro256(seed: 42)
        var starts = Set<Float>()
        for _ in 0..<200 {
            let x = m.fitted(toFrames: 3, mode: .random, using: &a)
            XCTAssertEqual(x, m.fitted(toFrames: 3, mode: .random, using: &b))
            XCTAssertEqual(x.values[1] - x.values[0], 1)  // contiguous
            starts.insert(x.values[0])
        }
        XCTAssertEqual(starts, [0, 1, 2, 3])
    }

    func testSamplePadCrop() {
        var g = Xoshiro256(seed: 1)
        let x: [Float] = [1, 2, 3, 4, 5]
        XCTAssertEqual(PadCrop.fit(x, to: 3, mode: .center, using: &g), [2, 3, 4])
        XCTAssertEqual(PadCrop.fit(x, to: 3, mode: .left, using: &g), [1, 2, 3])
        XCTAssertEqual(PadCrop.fit(x, to: 8, mode: .left, using: &g), [1, 2, 3, 4, 5, 0, 0, 0])
        XCTAssertEqual(PadCrop.fit(x, to: 7, mode: .center, using: &g), [0, 1, 2, 3, 4, 5, 0])
        let r = PadCrop.fit(x, to: 2, mode: .random, using: &g)
        XCTAssertEqual(r[1] - r[0], 1)
    }

    func testStandardisation() {
        let u = m.standardised(.utterance)
        XCTAssertEqual(u.values.reduce(0, +) / 12, 0, accuracy: 1e-6)
        XCTAssertEqual((u.values.map { $0 * $0 }.reduce(0, +) / 12), 1, accuracy: 1e-5)
        let b = m.standardised(.perBand)
        XCTAssertEqual(b.row(0), b.row(1))
        XCTAssertEqual(b.row(0).reduce(0, +), 0, accuracy: 1e-5)
        XCTAssertEqual(FeatureMatrix(rows: 1, frames: 3, repeating: 5).standardised(.utterance).values, [0, 0, 0])
    }

    func testExtractorFinishCropsToDuration() throws {
        var p = FeatureParameters()
        p.duration = 0.5
        p.crop = .left
        p.standardise = .perBand
        let extractor = try LogMelExtractor(p)
        XCTAssertEqual(p.fixedFrameCount, 111)
        let y = (0..<30000).map { Float(sin(Double($0) * 0.05)) }
        let full = extractor.features(of: y)
        XCTAssertEqual(full.frames, 301)
        let clip = extractor.finish(full)
        XCTAssertEqual(clip.frames, 111)
        XCTAssertEqual(clip.rows, 128)
    }
}

final class ParameterTests: XCTestCase {
    func testDefaultsAreTheNotebooks() {
        let p = FeatureParameters()
        XCTAssertEqual([p.sampleRate, p.nFFT, p.hopLength, p.nMels], [22050, 1024, 100, 128])
        XCTAssertEqual(p.ref, .max)
        XCTAssertEqual(p.topDB, 80)
        XCTAssertEqual(FeatureParameters.librosaDefaults.nFFT, 2048)
    }

    func testPartialJSONKeepsDefaultsAndRoundTrips() throws {
        let json = #"{"nFFT": 2048, "ref": 1.0, "topDB": null, "norm": "none", "crop": "random"}"#
        let p = try JSONDecoder().decode(FeatureParameters.self, from: Data(json.utf8))
        XCTAssertEqual(p.nFFT, 2048)
        XCTAssertEqual(p.hopLength, 100)
        XCTAssertEqual(p.ref, .value(1))
        XCTAssertNil(p.topDB)
        XCTAssertEqual(p.norm, MelNorm.none)
        let again = try JSONDecoder().decode(FeatureParameters.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(again, p)
        XCTAssertThrowsError(try JSONDecoder().decode(FeatureParameters.self, from: Data(#"{"ref": "min"}"#.utf8)))
    }

    func testStableHashChangesWithEveryResultAffectingParameter() {
        let base = FeatureParameters()
        XCTAssertEqual(base.stableHash, FeatureParameters().stableHash)
        XCTAssertEqual(base.stableHash.count, 64)
        var changed = [FeatureParameters]()
        var p = base; p.nFFT = 2048; changed.append(p)
        p = base; p.hopLength = 101; changed.append(p)
        p = base; p.fmax = 8000; changed.append(p)
        p = base; p.htk = true; changed.append(p)
        p = base; p.ref = .value(1); changed.append(p)
        p = base; p.topDB = nil; changed.append(p)
        p = base; p.nMFCC = 20; changed.append(p)
        p = base; p.amin = 1e-5; changed.append(p)
        let keys = Set(changed.map(\.cacheKey))
        XCTAssertEqual(keys.count, changed.count)
        XCTAssertFalse(keys.contains(base.cacheKey))
        // Pad/crop and standardisation are applied after the cache: same cache key, different full hash.
        p = base; p.duration = 3; p.crop = .random; p.standardise = .utterance
        XCTAssertEqual(p.cacheKey, base.cacheKey)
        XCTAssertNotEqual(p.stableHash, base.stableHash)
    }

    func testValidationNamesTheKey() {
        var p = FeatureParameters()
        p.nMels = 1000
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("nMels = 1000")) }
        p = FeatureParameters()
        p.fmax = 20000
        XCTAssertThrowsError(try LogMelExtractor(p)) { XCTAssertTrue("\($0)".contains("fmax")) }
    }
}

final class NumpyFileTests: XCTestCase {
    func testHeaderBytesAndRoundTrip() throws {
        let m = FeatureMatrix(rows: 2, frames: 3, values: [1, 2, 3, 4, 5, -6.5])
        let data = [UInt8](NumpyFile.data(m))
        XCTAssertEqual(Array(data[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        XCTAssertTrue(header.hasSuffix(" \n"))
        XCTAssertEqual(data.count, 10 + headerLength + 24)
        XCTAssertEqual(Array(data[(10 + headerLength)..<(14 + headerLength)]), [0, 0, 0x80, 0x3F])  // 1.0f LE
        let dir = TemporaryDirectory()
        try NumpyFile.write(m, to: dir.path("m.npy"))
        XCTAssertEqual(try NumpyFile.readMatrix(dir.path("m.npy")), m)
    }
}
