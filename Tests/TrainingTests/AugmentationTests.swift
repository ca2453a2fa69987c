import Features
import Foundation
import SeededRandom
import XCTest

@testable import Training

final class AugmentationTests: XCTestCase {
    func testSameSeedSameAugmentation() {
        let aug = Augmentation(specAugment: .init(), timeShift: 0.1, noiseSNR: 10...20, noiseProbability: 1)
        let x = (0..<(16 * 40)).map { Float($0 % 40) - 60 }
        var a = x, b = x
        var r1 = Xoshiro256(seed: 5), r2 = Xoshiro256(seed: 5)
        aug.apply(toDecibels: &a, mels: 16, frames: 40, using: &r1)
        aug.apply(toDecibels: &b, mels: 16, frames: 40, using: &r2)
        aug.mask(&a, mels: 16, frames: 40, using: &r1)
        aug.mask(&b, mels: 16, frames: 40, using: &r2)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, x)
    }

    func testRollShiftsEveryRowCircularly() {
        var x: [Float] = [0, 1, 2, 3, 10, 11, 12, 13]
        Augmentation.roll(&x, mels: 2, frames: 4, by: 1)
        XCTAssertEqual(x, [3, 0, 1, 2, 13, 10, 11, 12])
        Augmentation.roll(&x, mels: 2, frames: 4, by: -1)
        XCTAssertEqual(x, [0, 1, 2, 3, 10, 11, 12, 13])
    }

    func testMasksCoverWholeBandsAndNothingElse() {
        let aug = Augmentation(specAugment: .init(freqMasks: 1, freqWidth: 4, timeMasks: 0, timeWidth: 0))
        var rng = Xoshiro256(seed: 1)
        for _ in 0..<20 {
            var x = [Float](repeating: 1, count: 8 * 10)
            aug.mask(&x, mels: 8, frames: 10, using: &rng)
            for m in 0..<8 {
                let row = x[(m * 10)..<((m + 1) * 10)]
                XCTAssertTrue(row.allSatisfy { $0 == 0 } || row.allSatisfy { $0 == 1 }, "mask must span whole rows")
            }
            XCTAssertLessThanOrEqual(x.filter { $0 == 0 }.count, 40)
        }
    }

    func testNoiseAtTheRequestedSNRRaisesQuietBinsByTheExpectedAmount() {
        // Half the bins at 0 dB (power 1), half silent at −100 dB. Mean power 0.5; at 10 dB SNR the
        // expected noise power is 0.05, so silent bins rise to about 10·log10(0.05) ≈ −13 dB on average.
        var x = [Float](repeating: 0, count: 2000) + [Float](repeating: -100, count: 2000)
        var rng = Xoshiro256(seed: 2)
        Augmentation.addNoise(toDecibels: &x, snrDB: 10, using: &rng)
        let quiet = x[2000...].map { pow(10, Double($0) / 10) }
        XCTAssertEqual(quiet.reduce(0, +) / 2000, 0.05, accuracy: 0.005)
        XCTAssertEqual(Double(x[..<2000].reduce(0, +)) / 2000, 10 * log10(1.05), accuracy: 0.05)
    }

    /// A tone at f, warped by α, peaks in the band where a tone at α·f peaks.
    func testFrequencyWarpMovesATonesBandAsAToneAtTheScaledFrequencyWould() throws {
        var p = FeatureParameters()
        p.sampleRate = 16000
        p.nFFT = 1024
        p.hopLength = 160
        p.nMels = 64
        let extractor = try LogMelExtractor(p)
        func peakRow(_ x: [Float], frames: Int) -> Int {
            (0..<p.nMels).max { x[$0 * frames + frames / 2] < x[$1 * frames + frames / 2] }!
        }
        func tone(_ hz: Double) -> FeatureMatrix {
            extractor.features(of: (0..<8000).map { Float(sin(2 * Double.pi * hz * Double($0) / 16000)) })
        }
        let warp = Augmentation.FrequencyWarp(maxWarp: 0.2, fmin: 0, fmax: 8000)
        for (hz, alpha) in [(500.0, 1.15), (1500, 0.85), (3000, 1.1), (800, 0.9)] {
            let original = tone(hz)
            var warped = original.values
            Augmentation.resampleRows(
                &warped, frames: original.frames, at: warp.sourceRows(mels: p.nMels, alpha: alpha))
            let expected = peakRow(tone(hz * alpha).values, frames: original.frames)
            XCTAssertEqual(peakRow(warped, frames: original.frames), expected, "\(hz) Hz × \(alpha)")
            XCTAssertNotEqual(
                expected, peakRow(original.values, frames: original.frames), "the test must move the peak")
        }
    }

    func testFrequencyWarpOfOneIsTheIdentityAndEdgesRepeat() {
        let warp = Augmentation.FrequencyWarp(maxWarp: 0.1, fmin: 20, fmax: 8000)
        let identity = warp.sourceRows(mels: 40, alpha: 1)
        for (m, source) in identity.enumerated() { XCTAssertEqual(source, Double(m), accuracy: 1e-9) }
        // Lower frequencies read from above the top band: the top rows repeat it.
        let down = warp.sourceRows(mels: 40, alpha: 0.9)
        XCTAssertEqual(down.last, 39)
        XCTAssertTrue(zip(down, down.dropFirst()).allSatisfy { $0 <= $1 }, "sources must not cross")
        var x = (0..<40).flatMap { m in [Float](repeating: Float(m), count: 3) }
        Augmentation.resampleRows(&x, frames: 3, at: down)
        XCTAssertEqual(Array(x.suffix(3)), [39, 39, 39])
        XCTAssertGreaterThan(x[0], 0)
    }

    func testFrequencyWarpIsDrawnPerExampleFromTheSeed() {
        let aug = Augmentation(frequencyWarp: .init(maxWarp: 0.1, fmin: 0, fmax: 8000))
        XCTAssertTrue(aug.isEnabled && aug.changesDecibels)
        let x = (0..<(32 * 5)).map { Float($0 / 5) }
        var a = x, b = x, c = x
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        aug.apply(toDecibels: &a, mels: 32, frames: 5, using: &r1)
        aug.apply(toDecibels: &b, mels: 32, frames: 5, using: &r2)
        aug.apply(toDecibels: &c, mels: 32, frames: 5, using: &r2)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, x)
        XCTAssertNotEqual(b, c, "the next example draws another factor")
    }

    func testMixupLambdaFollowsBetaAndIsFolded() {
        var rng = Xoshiro256(seed: 3)
        let lambdas = (0..<20000).map { _ in Augmentation.mixupLambda(alpha: 0.4, using: &rng) }
        XCTAssertTrue(lambdas.allSatisfy { $0 >= 0.5 && $0 <= 1 })
        // Beta(0.4, 0.4) folded to [0.5, 1] has mean 0.840 (numpy: mean of max(b, 1 − b) over 2·10⁶ draws).
        let mean = lambdas.reduce(0, +) / Double(lambdas.count)
        XCTAssertEqual(mean, 0.840, accuracy: 0.01)
        let g = (0..<20000).map { _ in Augmentation.gamma(shape: 2.5, using: &rng) }
        XCTAssertEqual(g.reduce(0, +) / 20000, 2.5, accuracy: 0.05)
    }
}
