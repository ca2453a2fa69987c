import Audio
import Foundation
import SndFile
import Soxr
import TestSupport
import XCTest

final class AudioLoaderTests: XCTestCase {
    // MARK: Formats

    /// Every format libsndfile writes comes back at its native rate within its quantisation step.
    func testRoundTripsEveryWritableFormat() throws {
        let dir = TemporaryDirectory()
        let x = sine(frequency: 440, rate: 16000, count: 8000, amplitude: 0.6)
        let tolerance: [SoundFileFormat: Float] = [
            .wavPCM16: 2.0 / 32768, .wavPCM24: 2.0 / 8_388_608, .wavPCM32: 1e-7, .wavFloat: 0,
            .flac16: 2.0 / 32768, .flac24: 2.0 / 8_388_608,
        ]
        for format in SoundFileFormat.allCases {
            let path = dir.path(
                "tone-\(format).\(format == .oggVorbis ? "ogg" : format == .flac16 || format == .flac24 ? "flac" : "wav")"
            )
            try SoundFile.write(x, sampleRate: 16000, to: path, format: format)
            let loaded = try AudioLoader.load(path, sampleRate: nil)
            XCTAssertEqual(loaded.sampleRate, 16000, "\(format)")
            XCTAssertEqual(loaded.samples.count, x.count, "\(format)")
            if let tolerance = tolerance[format] {
                XCTAssertLessThanOrEqual(maxAbsDifference(loaded.samples, x), tolerance, "\(format)")
            } else {
                // PCM: libsndfile writes x·32767 (rounded) and reads n/32768, so the error stays below two steps.
                // Vorbis is lossy: the tone keeps its frequency and (within 3%) its amplitude.
                let middle = loaded.samples[1000..<7000]
                XCTAssertEqual(amplitude(of: middle, frequency: 440, rate: 16000), 0.6, accuracy: 0.018, "\(format)")
                XCTAssertEqual(peakFrequency(of: middle, rate: 16000, in: 430...450, step: 0.5), 440, accuracy: 1.5)
            }
        }
    }

    func testStereoIsAveragedToMono() throws {
        let dir = TemporaryDirectory()
        let left = sine(frequency: 300, rate: 8000, count: 800, amplitude: 0.5)
        let right = sine(frequency: 700, rate: 8000, count: 800, amplitude: 0.25)
        var interleaved = [Float]()
        for i in 0..<800 { interleaved += [left[i], right[i]] }
        try SoundFile.write(interleaved, channels: 2, sampleRate: 8000, to: dir.path("s.wav"), format: .wavFloat)
        let loaded = try AudioLoader.load(dir.path("s.wav"), sampleRate: nil)
        XCTAssertEqual(loaded.samples, (0..<800).map { (left[$0] + right[$0]) / 2 })
    }

    func testDownmixAveragesAnyChannelCount() {
        XCTAssertEqual(downmix(interleaved: [1, 2, 3, 4, 5, 6], channels: 3), [2, 5])
        XCTAssertEqual(downmix(interleaved: [1, 3, -1, 1], channels: 2), [2, 0])
        XCTAssertEqual(downmix(interleaved: [0.25, -0.5], channels: 1), [0.25, -0.5])
        XCTAssertEqual(downmix(interleaved: [], channels: 4), [])
    }

    func testSixChannelFileIsAveraged() throws {
        let dir = TemporaryDirectory()
        let frames = 100
        let interleaved: [Float] = (0..<(frames * 6)).map { (i: Int) -> Float in
            let channel = Float(i % 6 - 2) * 0.1
            return channel + Float(i / 6) * 0.001
        }
        try SoundFile.write(interleaved, channels: 6, sampleRate: 16000, to: dir.path("6.wav"), format: .wavFloat)
        let loaded = try AudioLoader.load(dir.path("6.wav"), sampleRate: nil)
        XCTAssertEqual(loaded.samples.count, frames)
        for f in 0..<frames {
            XCTAssertEqual(loaded.samples[f], 0.05 + Float(f) * 0.001, accuracy: 1e-6)
        }
    }

    // MARK: Offset, duration, resampling

    func testOffsetAndDurationSelectFramesAtTheNativeRate() throws {
        let dir = TemporaryDirectory()
        let x = (0..<16000).map { Float($0) / 16000 }
        try SoundFile.write(x, sampleRate: 16000, to: dir.path("ramp.wav"), format: .wavFloat)
        // Int(0.25·16000) = 4000, Int(0.1·16000) = 1600 frames.
        let part = try AudioLoader.load(dir.path("ramp.wav"), sampleRate: nil, offset: 0.25, duration: 0.1)
        XCTAssertEqual(part.samples, Array(x[4000..<5600]))
        // Truncation, as librosa's int(): 0.00009 s · 16000 = 1.44 → 1.
        let tiny = try AudioLoader.load(dir.path("ramp.wav"), sampleRate: nil, offset: 0.00009, duration: 0.00019)
        XCTAssertEqual(tiny.samples, Array(x[1..<4]))
        // A duration past the end is clipped.
        let tail = try AudioLoader.load(dir.path("ramp.wav"), sampleRate: nil, offset: 0.9, duration: 5)
        XCTAssertEqual(tail.samples, Array(x[14400...]))
        // Offset then resampling: the slice is resampled (then padded to ceil(n·out/in)).
        let resampled = try AudioLoader.load(dir.path("ramp.wav"), sampleRate: 22050, offset: 0.25, duration: 0.1)
        var expected = try Soxr.resample(Array(x[4000..<5600]), from: 16000, to: 22050)
        XCTAssertEqual(AudioLoader.librosaResampledLength(1600, from: 16000, to: 22050), 2205)
        expected += [Float](repeating: 0, count: 2205 - expected.count)
        XCTAssertEqual(resampled.samples, expected)
        XCTAssertEqual(resampled.sampleRate, 22050)
    }

    func testDefaultRateIs22050AndLengthIsLibrosas() throws {
        let dir = TemporaryDirectory()
        try SoundFile.write(
            sine(frequency: 200, rate: 48000, count: 48003), sampleRate: 48000, to: dir.path("a.flac"), format: .flac24)
        let loaded = try AudioLoader.load(dir.path("a.flac"))
        XCTAssertEqual(loaded.sampleRate, 22050)
        XCTAssertEqual(loaded.samples.count, Int((48003.0 * 22050 / 48000).rounded(.up)))
        XCTAssertEqual(loaded.duration, Double(loaded.samples.count) / 22050)
    }

    /// librosa.load(path, sr=22050[, offset, duration]) of the same stereo float WAV.
    func testMatchesLibrosaLoad() throws {
        let dir = TemporaryDirectory()
        let stereo = try Fixtures.floats("load-stereo-input.f32")
        let path = dir.path("stereo.wav")
        try SoundFile.write(stereo, channels: 2, sampleRate: 48000, to: path, format: .wavFloat)

        let full = try AudioLoader.load(path)
        let expectedFull = try Fixtures.floats("load-48000-22050.f32")
        XCTAssertEqual(full.samples.count, expectedFull.count)  // 1838 = ceil(1837.5): librosa pads one zero
        XCTAssertLessThan(maxAbsDifference(full.samples, expectedFull), 1e-4)

        let part = try AudioLoader.load(path, offset: 0.0123, duration: 0.0457)
        let expectedPart = try Fixtures.floats("load-48000-22050-offset.f32")
        XCTAssertEqual(part.samples.count, expectedPart.count)
        XCTAssertLessThan(maxAbsDifference(part.samples, expectedPart), 1e-4)

        let native = try AudioLoader.load(path, sampleRate: nil, offset: 0.0123, duration: 0.0457)
        XCTAssertEqual(native.samples, try Fixtures.floats("load-48000-native-offset.f32"))
        XCTAssertEqual(native.sampleRate, 48000)
    }

    // MARK: Bad files

    func assertLoadFails(
        _ path: String, sampleRate: Int? = 22050, offset: Double = 0, duration: Double? = nil,
        mentions expected: [String], file: StaticString = #filePath, line: UInt = #line,
        _ check: (AudioError.Problem) -> Bool
    ) {
        XCTAssertThrowsError(
            try AudioLoader.load(path, sampleRate: sampleRate, offset: offset, duration: duration), file: file,
            line: line
        ) { error in
            guard let error = error as? AudioError else {
                return XCTFail("not an AudioError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(check(error.problem), "unexpected problem \(error.problem)", file: file, line: line)
            let text = error.description
            XCTAssertTrue(text.hasPrefix(path), text, file: file, line: line)
            for word in expected {
                XCTAssertTrue(text.contains(word), "'\(word)' missing from: \(text)", file: file, line: line)
            }
            XCTAssertEqual(error.errorDescription, text, file: file, line: line)
        }
    }

    func isUndecodable(_ p: AudioError.Problem, containing text: String) -> Bool {
        if case .undecodable(_, let message) = p { return text.isEmpty || message.contains(text) }
        return false
    }

    func testMissingFile() {
        assertLoadFails("/nonexistent/dir/x.wav", mentions: ["No such file", "expected"]) {
            self.isUndecodable($0, containing: "No such file")
        }
    }

    func testEmptyFile() throws {
        let dir = TemporaryDirectory()
        FileManager.default.createFile(atPath: dir.path("empty.wav"), contents: Data())
        assertLoadFails(dir.path("empty.wav"), mentions: ["libsndfile", "WAV"]) {
            self.isUndecodable($0, containing: "")
        }
    }

    func testJunkBytesAndTextFiles() throws {
        let dir = TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let junk = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        FileManager.default.createFile(atPath: dir.path("junk.flac"), contents: junk)
        FileManager.default.createFile(atPath: dir.path("notes.wav"), contents: Data("hello, not audio\n".utf8))
        for name in ["junk.flac", "notes.wav"] {
            assertLoadFails(dir.path(name), mentions: ["Format not recognised", "expected"]) {
                self.isUndecodable($0, containing: "Format not recognised")
            }
        }
    }

    func testTruncatedWavDataIsAnErrorNotAShorterSignal() throws {
        let dir = TemporaryDirectory()
        try SoundFile.write(sine(frequency: 440, rate: 16000, count: 16000), sampleRate: 16000, to: dir.path("ok.wav"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("ok.wav")))
        FileManager.default.createFile(atPath: dir.path("cut.wav"), contents: bytes.prefix(bytes.count / 2))
        assertLoadFails(dir.path("cut.wav"), mentions: ["truncated", "should be"]) {
            self.isUndecodable($0, containing: "truncated")
        }
        // Cut inside the header: libsndfile's own message.
        FileManager.default.createFile(atPath: dir.path("head.wav"), contents: bytes.prefix(30))
        assertLoadFails(dir.path("head.wav"), mentions: ["libsndfile"]) { self.isUndecodable($0, containing: "") }
    }

    func testTruncatedFlacAndOgg() throws {
        let dir = TemporaryDirectory()
        let x: [Float] = (0..<32000).map { (i: Int) -> Float in
            let t = Double(i)
            return Float(0.5 * sin(t * 0.1) + 0.2 * sin(t * t * 1e-5))
        }
        try SoundFile.write(x, sampleRate: 16000, to: dir.path("ok.flac"), format: .flac16)
        try SoundFile.write(x, sampleRate: 16000, to: dir.path("ok.ogg"), format: .oggVorbis)
        // FLAC: libsndfile opens the file (the header states the length) but decoding stops early.
        let flac = try Data(contentsOf: URL(fileURLWithPath: dir.path("ok.flac")))
        FileManager.default.createFile(atPath: dir.path("cut.flac"), contents: flac.prefix(flac.count / 2))
        assertLoadFails(dir.path("cut.flac"), mentions: ["truncated"]) {
            self.isUndecodable($0, containing: "truncated")
        }
        // Ogg: without its last page libsndfile cannot tell the length (or finds the stream malformed).
        let ogg = try Data(contentsOf: URL(fileURLWithPath: dir.path("ok.ogg")))
        for fraction in [0.5, 0.9] {
            let path = dir.path("cut-\(fraction).ogg")
            FileManager.default.createFile(atPath: path, contents: ogg.prefix(Int(Double(ogg.count) * fraction)))
            assertLoadFails(path, mentions: ["libsndfile"]) { self.isUndecodable($0, containing: "") }
        }
    }

    /// A hand-made WAV header (PCM 16-bit) with the given channel count and rate.
    func wavBytes(channels: UInt16, sampleRate: UInt32, dataBytes: Int = 200) -> Data {
        func le<T: FixedWidthInteger>(_ v: T) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
        let blockAlign = UInt16(max(1, Int(channels)) * 2)
        var fmt = Data("fmt ".utf8) + le(UInt32(16)) + le(UInt16(1)) + le(channels) + le(sampleRate)
        fmt += le(sampleRate * UInt32(blockAlign)) + le(blockAlign) + le(UInt16(16))
        let data = Data("data".utf8) + le(UInt32(dataBytes)) + Data(count: dataBytes)
        let body = Data("WAVE".utf8) + fmt + data
        return Data("RIFF".utf8) + le(UInt32(body.count)) + body
    }

    func testZeroChannels() throws {
        let dir = TemporaryDirectory()
        FileManager.default.createFile(atPath: dir.path("zero.wav"), contents: wavBytes(channels: 0, sampleRate: 16000))
        assertLoadFails(dir.path("zero.wav"), mentions: ["Channel count is zero"]) {
            $0 == .noChannels || self.isUndecodable($0, containing: "Channel count is zero")
        }
    }

    func testAbsurdSampleRates() throws {
        let dir = TemporaryDirectory()
        for rate in [500, 999, 1_000_000] {
            let path = dir.path("r\(rate).wav")
            FileManager.default.createFile(atPath: path, contents: wavBytes(channels: 1, sampleRate: UInt32(rate)))
            assertLoadFails(path, mentions: ["\(rate) Hz", "1000…768000"]) { $0 == .unsupportedSampleRate(rate) }
        }
        // The boundaries are accepted.
        for rate in [1000, 768_000] {
            let path = dir.path("ok\(rate).wav")
            FileManager.default.createFile(atPath: path, contents: wavBytes(channels: 1, sampleRate: UInt32(rate)))
            XCTAssertEqual(try AudioLoader.load(path, sampleRate: nil).samples.count, 100)
        }
    }

    func testFileWithoutFrames() throws {
        let dir = TemporaryDirectory()
        FileManager.default.createFile(
            atPath: dir.path("0.wav"), contents: wavBytes(channels: 1, sampleRate: 16000, dataBytes: 0))
        assertLoadFails(dir.path("0.wav"), mentions: ["no audio frames"]) { $0 == .noFrames }
    }

    func testBadOffsetsDurationsAndRates() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("one-second.wav")
        try SoundFile.write([Float](repeating: 0.1, count: 16000), sampleRate: 16000, to: path)
        for offset in [-0.5, 1.0, 3.0, .nan, .infinity] {
            assertLoadFails(path, offset: offset, mentions: ["offset", "expected 0 ≤ offset < 1.0 s"]) {
                if case .invalidOffset = $0 { return true } else { return false }
            }
        }
        for duration in [0, -1, 0.00001, .nan, .infinity] {
            assertLoadFails(path, duration: duration, mentions: ["duration", "at least one sample"]) {
                if case .invalidDuration = $0 { return true } else { return false }
            }
        }
        for rate in [0, 999, 800_000] {
            assertLoadFails(path, sampleRate: rate, mentions: ["\(rate) Hz", "expected"]) {
                $0 == .invalidTargetRate(rate)
            }
        }
        // Just inside the end is fine: one frame.
        XCTAssertEqual(try AudioLoader.load(path, sampleRate: nil, offset: 0.99995).samples.count, 1)
    }
}
