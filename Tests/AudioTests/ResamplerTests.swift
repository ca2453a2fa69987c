import Soxr
import XCTest

final class ResamplerTests: XCTestCase {
    /// A 0.5-amplitude sine keeps its frequency and amplitude, and the length is round(n·out/in).
    func checkSine(frequency: Double, from inRate: Int, to outRate: Int, seconds: Double = 1.0) throws {
        let n = Int(seconds * Double(inRate)) + 3  // + 3: avoid an exact .5 length
        let x = sine(frequency: frequency, rate: inRate, count: n)
        let y = try Soxr.resample(x, from: inRate, to: outRate)
        let expectedLength = Int((Double(n) * Double(outRate) / Double(inRate)).rounded())
        XCTAssertEqual(y.count, expectedLength, "\(inRate) → \(outRate)")

        let middle = y[(y.count / 10)..<(y.count - y.count / 10)]
        let zcr = zeroCrossingRate(middle, rate: outRate)
        XCTAssertEqual(zcr / 2, frequency, accuracy: frequency * 0.005, "zero crossings, \(inRate) → \(outRate)")
        let peak = peakFrequency(of: middle, rate: outRate, in: (frequency - 5)...(frequency + 5), step: 0.25)
        XCTAssertEqual(peak, frequency, accuracy: 1.0, "DFT peak, \(inRate) → \(outRate)")
        let a = amplitude(of: middle, frequency: frequency, rate: outRate)
        XCTAssertEqual(a, 0.5, accuracy: 0.005, "amplitude, \(inRate) → \(outRate)")
    }

    func testDownsample48kTo22050KeepsFrequencyAmplitudeAndLength() throws {
        try checkSine(frequency: 1000, from: 48000, to: 22050)
    }

    func testDownsample44100To16kKeepsFrequencyAmplitudeAndLength() throws {
        try checkSine(frequency: 3000, from: 44100, to: 16000)
    }

    func testUpsample8kTo22050KeepsFrequencyAmplitudeAndLength() throws {
        try checkSine(frequency: 1500, from: 8000, to: 22050)
    }

    func testRemovesContentAboveTheNewNyquist() throws {
        // 15 kHz at 48 kHz has no place below 11.025 kHz: a band-limited resampler must remove it,
        // not fold it to 22050 − 15000 = 7050 Hz.
        let x = sine(frequency: 15000, rate: 48000, count: 48000)
        let y = try Soxr.resample(x, from: 48000, to: 22050)
        let middle = y[2000..<(y.count - 2000)]
        XCTAssertLessThan(amplitude(of: middle, frequency: 7050, rate: 22050), 1e-3)
        XCTAssertLessThan(middle.map { abs($0) }.max()!, 1e-3)
    }

    func testLengthsForManyInputSizes() throws {
        for n in [1, 2, 3, 10, 99, 1001, 4410] {
            for (a, b) in [(48000, 22050), (44100, 16000), (8000, 22050), (16000, 48000)] {
                let exact = Double(n) * Double(b) / Double(a)
                if exact - exact.rounded(.down) == 0.5 { continue }  // libsoxr may round halves either way
                let y = try Soxr.resample([Float](repeating: 0.1, count: n), from: a, to: b)
                XCTAssertEqual(y.count, Int(exact.rounded()), "n=\(n) \(a) → \(b)")
            }
        }
    }

    func testEqualRatesReturnTheInput() throws {
        let x: [Float] = [0.1, -0.2, 0.3]
        XCTAssertEqual(try Soxr.resample(x, from: 16000, to: 16000), x)
        XCTAssertEqual(try Soxr.resample([], from: 16000, to: 8000), [])
    }

    func testRejectsNonPositiveRates() {
        XCTAssertThrowsError(try Soxr.resample([0, 1], from: 0, to: 16000)) { error in
            XCTAssertTrue("\(error)".contains("positive"), "\(error)")
        }
        XCTAssertThrowsError(try Soxr.resample([0, 1], from: 16000, to: -5))
    }

    /// Same samples as python-soxr 1.1 (`soxr.resample(x, a, b, 'soxr_hq')`, what librosa 0.11 calls).
    func testMatchesPythonSoxrReference() throws {
        let x = try Fixtures.floats("resample-input.f32")
        XCTAssertEqual(x.count, 4000)
        for (a, b) in [(48000, 22050), (44100, 16000), (8000, 22050)] {
            let expected = try Fixtures.floats("resample-\(a)-\(b).f32")
            let y = try Soxr.resample(x, from: a, to: b)
            XCTAssertEqual(y.count, expected.count, "\(a) → \(b)")
            XCTAssertLessThan(maxAbsDifference(y, expected), 1e-4, "\(a) → \(b)")
        }
    }
}
