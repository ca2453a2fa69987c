import Datasets
import XCTest

@testable import Synth

/// The rendered audio itself: lengths, levels, no clipping or NaNs, and that the prosody follows the labels.
final class SynthSignalTests: XCTestCase {
    /// Every utterance of the full 24-actor corpus (rendered in memory, actor by actor).
    func testFullCorpusHasSaneDurationsAndLevelsWithoutClippingOrNaNs() {
        let corpus = SyntheticCorpus(actors: 24, seed: 1)
        var durations: [Double] = []
        var limited = 0
        for actor in 1...24 {
            for u in corpus.render(SynthUtteranceID.ravdessSpeech(actor: actor)) {
                XCTAssertEqual(u.sampleRate, 16000)
                // The renderer's peak is NaN when any sample is (checked against the samples below).
                XCTAssertLessThanOrEqual(u.peak, SynthRenderer.peakLimit, "\(u.id) clips or has NaNs")
                XCTAssertGreaterThan(u.peak, 0.01, "\(u.id) is nearly silent")
                XCTAssertTrue((1.5...3.0).contains(u.duration), "\(u.id) lasts \(u.duration) s")
                XCTAssertGreaterThan(u.meanF0Hz, 60, "\(u.id)")
                XCTAssertLessThan(u.meanF0Hz, 520, "\(u.id)")
                durations.append(u.duration)
                if u.limiterGain < 1 { limited += 1 }
            }
        }
        XCTAssertEqual(durations.count, 1440)
        print(
            String(
                format: "durations %.2f–%.2f s, %d of 1440 files limited", durations.min()!, durations.max()!, limited))
        XCTAssertLessThan(limited, 1440 / 10, "the limiter should only touch the loudest takes")
    }

    func testThePeakReportedMatchesTheSamples() {
        for u in SyntheticCorpus(actors: 1, seed: 4).render(SynthUtteranceID.ravdessSpeech(actor: 1)).prefix(12) {
            XCTAssertTrue(u.samples.allSatisfy { $0.isFinite }, "\(u.id) has NaN or infinite samples")
            XCTAssertEqual(u.peak, u.samples.map { abs($0) }.max())
        }
    }

    func testOtherSampleRatesScaleTheLengthNotTheContent() {
        let id = SynthUtteranceID(actor: 5, emotion: .angry, intensity: 1, statement: 2, repetition: 1)
        let at16 = SyntheticCorpus.utterance(id, seed: 1, sampleRate: 16000)
        let at8 = SyntheticCorpus.utterance(id, seed: 1, sampleRate: 8000)
        XCTAssertEqual(at8.duration, at16.duration, accuracy: 0.01)
        XCTAssertEqual(at8.meanF0Hz, at16.meanF0Hz, accuracy: at16.meanF0Hz * 0.03)
        XCTAssertTrue(at8.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
    }

    /// Within each actor, loud/high-arousal emotions are louder, higher and faster than low-arousal ones.
    func testArousalRaisesLoudnessPitchAndRate() {
        let corpus = SyntheticCorpus(actors: 4, seed: 1)
        for actor in 1...4 {
            let all = corpus.render(SynthUtteranceID.ravdessSpeech(actor: actor))
            func mean(_ emotion: Emotion, _ value: (SynthesizedUtterance) -> Double) -> Double {
                let some = all.filter { $0.id.emotion == emotion }
                return some.map(value).reduce(0, +) / Double(some.count)
            }
            let loudness = { (u: SynthesizedUtterance) in SynthCues.measure(u.samples, sampleRate: u.sampleRate).rmsDB }
            XCTAssertGreaterThan(mean(.angry, loudness), mean(.sad, loudness) + 6, "actor \(actor)")
            XCTAssertGreaterThan(mean(.angry, \.meanF0Hz), mean(.sad, \.meanF0Hz), "actor \(actor)")
            XCTAssertLessThan(mean(.angry, \.speechSeconds), mean(.sad, \.speechSeconds), "actor \(actor)")
        }
    }
}
