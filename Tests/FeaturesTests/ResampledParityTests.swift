import Audio
import Features
import TestSupport
import XCTest

/// The notebook's path on a stereo 48 kHz file: AudioLoader (downmix + soxr HQ to 22.05 kHz) then log-mel,
/// against `librosa.load(sr=22050)` + melspectrogram + power_to_db(ref=np.max).
final class ResampledParityTests: XCTestCase {
    func testStereo48kLoadedAt22050MatchesLibrosaWithinATenthOfADB() throws {
        let fixtures = try FeatureFixtures.load()
        let r = try XCTUnwrap(fixtures.resampled.first)
        let p = try XCTUnwrap(fixtures.parameters[r.parameters])
        let audio = try AudioLoader.load(FeatureFixtures.path(r.file), sampleRate: p.sampleRate)
        let reference = try FeatureFixtures.samples(r.samples)
        XCTAssertEqual(audio.samples.count, reference.count)
        let ours = try LogMelExtractor(p).features(of: audio.samples)
        let worst = assertDBClose(
            ours, try FeatureFixtures.matrix(r.melDB), tolerance: 0.1, "stereo 48 kHz → 22.05 kHz dB")
        print("resampled: worst dB difference \(worst)")
    }
}
