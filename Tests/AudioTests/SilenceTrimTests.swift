import Audio
import Foundation
import XCTest

final class SilenceTrimTests: XCTestCase {
    struct Tone: Decodable {
        var start: Int, end: Int, amplitude: Double, frequency: Double, fade: Int
    }
    struct Case: Decodable {
        var name: String
        var sampleRate: Int, length: Int
        var tones: [Tone]
        var topDB: Float, frameLength: Int, hopLength: Int
        var expectedStart: Int, expectedEnd: Int
    }
    struct File: Decodable { var librosa: String; var cases: [Case] }

    /// The same synthesis as `make_fixtures.py` (Double, then Float).
    func synthesize(_ c: Case) -> [Float] {
        var x = [Double](repeating: 0, count: c.length)
        for tone in c.tones {
            var envelope = [Double](repeating: 0, count: c.length)
            for i in tone.start..<tone.end { envelope[i] = 1 }
            if tone.fade > 0 {
                for k in 0..<tone.fade {
                    let ramp = Double(k + 1) / Double(tone.fade)
                    envelope[tone.start + k] = ramp
                    envelope[tone.end - 1 - k] = ramp
                }
            }
            for i in 0..<c.length {
                x[i] +=
                    tone.amplitude * envelope[i]
                    * sin(2 * Double.pi * tone.frequency * Double(i) / Double(c.sampleRate))
            }
        }
        return x.map { Float($0) }
    }

    /// Kept ranges equal those of `librosa.effects.trim` (0.11) for the same generated signals.
    func testMatchesLibrosaOnGeneratedSignals() throws {
        let file = try JSONDecoder().decode(File.self, from: Fixtures.json("trim.json"))
        XCTAssertEqual(file.librosa, "0.11.0")
        XCTAssertGreaterThanOrEqual(file.cases.count, 8)
        for c in file.cases {
            let x = synthesize(c)
            let (kept, range) = trimSilence(x, topDB: c.topDB, frameLength: c.frameLength, hopLength: c.hopLength)
            XCTAssertEqual(range, c.expectedStart..<c.expectedEnd, c.name)
            XCTAssertEqual(kept, Array(x[range]), c.name)
        }
    }

    /// Hand derivation: 22050 zeros, 22050 samples of a 0.5-amplitude 441 Hz sine, 22050 zeros; frames of
    /// 2048 every 512, centred, so frame t covers samples [512t − 1024, 512t + 1024).
    /// Frames inside the tone have power ≈ 0.125 (the maximum); a frame overlapping the tone by L samples
    /// has power ≈ 0.125·L/2048, i.e. 10·log10(L/2048) dB relative to the maximum.
    /// - top_db 60: kept when L/2048 > 1e-6, i.e. any overlap of a few samples. First overlapping frame:
    ///   512t + 1024 > 22050 → t = 42 (L = 478); last: 512t − 1024 < 44100 → t = 88 (L = 68).
    ///   Range [42·512, min(66150, 89·512)) = [21504, 45568).
    /// - top_db 1: kept when L > 2048·10^(−0.1) ≈ 1626.8. First: t = 45 (L = 2014; t = 44 has L = 1502);
    ///   last: t = 84 (L = 2116; t = 85 has L = 1604). Range [45·512, 85·512) = [23040, 43520).
    func testHandDerivedSilenceToneSilence() {
        var x = [Float](repeating: 0, count: 66150)
        let tone = sine(frequency: 441, rate: 22050, count: 22050, phase: 0.3)
        x.replaceSubrange(22050..<44100, with: tone)
        let (kept, range) = trimSilence(x)
        XCTAssertEqual(range, 21504..<45568)
        XCTAssertEqual(kept, Array(x[21504..<45568]))
        XCTAssertEqual(trimSilence(x, topDB: 1).range, 23040..<43520)
        let buffer = AudioBuffer(samples: x, sampleRate: 22050).trimmingSilence()
        XCTAssertEqual(buffer.range, 21504..<45568)
        XCTAssertEqual(buffer.buffer, AudioBuffer(samples: kept, sampleRate: 22050))
    }

    func testAllZeroSignalIsKeptWholeLikeLibrosaAndEmptyStaysEmpty() {
        XCTAssertEqual(trimSilence([Float](repeating: 0, count: 3000)).range, 0..<3000)
        XCTAssertEqual(trimSilence([]).range, 0..<0)
        XCTAssertEqual(trimSilence([0.5]).range, 0..<1)
    }

    func testLoudEverywhereKeepsEverything() {
        let x = sine(frequency: 300, rate: 16000, count: 10007)
        XCTAssertEqual(trimSilence(x).range, 0..<10007)
    }
}
