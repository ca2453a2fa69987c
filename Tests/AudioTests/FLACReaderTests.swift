import Audio
import FLAC
import Foundation
import SeededRandom
import SndFile
import TestSupport
import XCTest

/// `FLACReader` (libFLAC directly) against libsndfile, which `AudioLoader` used for FLAC before.
final class FLACReaderTests: XCTestCase {
    /// A test signal with every bit of the sample busy: two tones plus seeded noise, `frames × channels`.
    func signal(frames: Int, channels: Int) -> [Float] {
        var generator = Xoshiro256(seed: 7)
        return (0..<frames * channels).map { i in
            let t = Double(i / channels)
            let tone = 0.4 * sin(t * 0.013 * Double(1 + i % channels)) + 0.2 * sin(t * t * 3e-7)
            return Float(tone + 0.05 * (Double.random(in: 0..<1, using: &generator) - 0.5))
        }
    }

    func writeFLAC(
        _ name: String, in dir: TemporaryDirectory, frames: Int = 40_000, channels: Int, format: SoundFileFormat
    )
        throws -> String
    {
        let path = dir.path(name)
        try SoundFile.write(
            signal(frames: frames, channels: channels), channels: channels, sampleRate: 48000, to: path, format: format)
        return path
    }

    func testSamplesAreIdenticalToLibsndfiles() throws {
        let dir = TemporaryDirectory()
        for format in [SoundFileFormat.flac16, .flac24] {
            for channels in [1, 2, 3] {
                let path = try writeFLAC("\(format)-\(channels).flac", in: dir, channels: channels, format: format)
                let expected = try SoundFile.read(path)
                let reader = try FLACReader(path: path)
                XCTAssertEqual(reader.info.frames, expected.info.frames)
                XCTAssertEqual(reader.info.channels, channels)
                XCTAssertEqual(reader.info.sampleRate, 48000)
                XCTAssertEqual(reader.info.bitsPerSample, format == .flac16 ? 16 : 24)
                let samples = try reader.read(frameCount: reader.info.frames)
                XCTAssertEqual(samples, expected.samples, "\(format), \(channels) channels")
            }
        }
    }

    /// Ranges that start and end inside blocks (libsndfile writes 4096-frame blocks).
    func testRangesAcrossBlockBoundaries() throws {
        let dir = TemporaryDirectory()
        let path = try writeFLAC("s.flac", in: dir, channels: 2, format: .flac16)
        let all = try SoundFile.read(path).samples
        for (offset, count) in [(0, 1), (4095, 2), (5000, 7000), (12_288, 4096), (39_999, 1), (1234, 38_766)] {
            let part = try FLACReader(path: path).read(offset: offset, frameCount: count)
            XCTAssertEqual(part, Array(all[(2 * offset)..<(2 * (offset + count))]), "offset \(offset), count \(count)")
        }
    }

    /// `AudioLoader`'s offset, duration and downmix on the libFLAC path give libsndfile's frames.
    func testLoaderOffsetAndDurationOnAStereoFLAC() throws {
        let dir = TemporaryDirectory()
        let path = try writeFLAC("s.flac", in: dir, channels: 2, format: .flac24)
        let all = try SoundFile.read(path).samples
        // Int(0.25·48000) = 12000, Int(0.1·48000) = 4800 frames; a duration past the end stops there.
        for (offset, duration, range) in [(0.25, 0.1, 12000..<16800), (0.8, 5.0, 38400..<40000)] {
            let part = try AudioLoader.load(path, sampleRate: nil, offset: offset, duration: duration)
            let expected = range.map { (all[2 * $0] + all[2 * $0 + 1]) / 2 }
            XCTAssertEqual(part.samples, expected, "offset \(offset), duration \(duration)")
        }
    }

    func testSignature() throws {
        let dir = TemporaryDirectory()
        let flac = try writeFLAC("a.flac", in: dir, frames: 5000, channels: 1, format: .flac16)
        try SoundFile.write([0.1, 0.2], sampleRate: 8000, to: dir.path("a.wav"))
        XCTAssertTrue(FLACReader.hasSignature(flac))
        XCTAssertFalse(FLACReader.hasSignature(dir.path("a.wav")))
        XCTAssertFalse(FLACReader.hasSignature(dir.path("missing.flac")))
        FileManager.default.createFile(atPath: dir.path("tiny.flac"), contents: Data("fL".utf8))
        XCTAssertFalse(FLACReader.hasSignature(dir.path("tiny.flac")))
    }

    /// An ID3v2 tag before the stream (as some taggers write): found by the signature check, skipped by libFLAC.
    func testID3v2TaggedFileLoadsLikeTheBareStream() throws {
        let dir = TemporaryDirectory()
        let bare = try writeFLAC("bare.flac", in: dir, frames: 5000, channels: 1, format: .flac16)
        let tagBody = Data(count: 300)
        // "ID3", version 3.0, no flags, the body size as four 7-bit bytes (300 = 2·128 + 44).
        let tag = Data("ID3".utf8) + Data([3, 0, 0, 0, 0, 2, 44]) + tagBody
        let tagged = dir.path("tagged.flac")
        FileManager.default.createFile(
            atPath: tagged, contents: tag + (try Data(contentsOf: URL(fileURLWithPath: bare))))
        XCTAssertTrue(FLACReader.hasSignature(tagged))
        XCTAssertEqual(
            try AudioLoader.load(tagged, sampleRate: nil).samples, try AudioLoader.load(bare, sampleRate: nil).samples)
    }

    func testDamagedFrameIsAnError() throws {
        let dir = TemporaryDirectory()
        let path = try writeFLAC("ok.flac", in: dir, channels: 1, format: .flac16)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Flip bits in the middle of the audio frames: the frame's CRC no longer matches (or sync is lost).
        let middle = bytes.count / 2
        for i in middle..<(middle + 8) { bytes[i] ^= 0x5A }
        let damaged = dir.path("damaged.flac")
        FileManager.default.createFile(atPath: damaged, contents: bytes)
        XCTAssertThrowsError(try AudioLoader.load(damaged)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("libFLAC") && text.contains("FLAC__STREAM_DECODER_ERROR_STATUS"), text)
            XCTAssertTrue(text.contains("damaged"), text)
        }
        XCTAssertThrowsError(try FLACReader(path: damaged).read(frameCount: 40_000)) { error in
            guard case .damaged(_, let status) = error as? FLACError else { return XCTFail("\(error)") }
            // libFLAC 1.4 reports the lost sync but still delivers as many frames as the header states, so
            // this is damage, not truncation.
            XCTAssertTrue(
                status.hasPrefix("FLAC__STREAM_DECODER_ERROR_STATUS_") && status.contains(" after frame "), status)
        }
        // Only the first frames, before the damage: still readable.
        XCTAssertEqual(
            try FLACReader(path: damaged).read(frameCount: 100), Array(try SoundFile.read(path).samples.prefix(100)))
    }

    func testCutInsideTheMetadataNamesLibFLAC() throws {
        let dir = TemporaryDirectory()
        let path = try writeFLAC("ok.flac", in: dir, frames: 5000, channels: 1, format: .flac16)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        FileManager.default.createFile(atPath: dir.path("head.flac"), contents: bytes.prefix(20))
        XCTAssertThrowsError(try AudioLoader.load(dir.path("head.flac"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("libFLAC") && text.contains("metadata"), text)
        }
        XCTAssertThrowsError(try FLACReader(path: dir.path("head.flac"))) { error in
            guard case .unreadableMetadata = error as? FLACError else { return XCTFail("\(error)") }
        }
    }

    func testCutInsideTheFramesIsTruncated() throws {
        let dir = TemporaryDirectory()
        let path = try writeFLAC("ok.flac", in: dir, channels: 2, format: .flac16)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir.path("cut.flac")
        FileManager.default.createFile(atPath: cut, contents: bytes.prefix(bytes.count * 6 / 10))
        let reader = try FLACReader(path: cut)
        XCTAssertEqual(reader.info.frames, 40_000, "the header still states the whole length")
        XCTAssertThrowsError(try reader.read(frameCount: 40_000)) { error in
            guard case .truncated(_, let read, let wanted, _) = error as? FLACError else { return XCTFail("\(error)") }
            XCTAssertEqual(wanted, 40_000)
            XCTAssertTrue((1..<40_000).contains(read), "\(read)")
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    /// Found while writing the audio fuzz target (its regression seed
    /// `regression-flac-streaminfo-claims-2e36-frames`): a 192-byte file whose STREAMINFO declares
    /// 2^36 − 1 frames made the reader allocate 256 GiB up front and crash.
    func testAHeaderClaimingFarMoreFramesThanTheFileHoldsIsTruncatedNotACrash() throws {
        let dir = TemporaryDirectory()
        let path = try writeFLAC("ok.flac", in: dir, frames: 48, channels: 1, format: .flac16)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // STREAMINFO follows "fLaC" and its 4-byte block header; total samples are the low 36 bits of bytes 13…17.
        XCTAssertEqual(Array(bytes[0..<4]), Array("fLaC".utf8))
        bytes[8 + 13] |= 0x0F
        for i in (8 + 14)..<(8 + 18) { bytes[i] = 0xFF }
        let claimed = dir.path("claims.flac")
        FileManager.default.createFile(atPath: claimed, contents: Data(bytes))
        XCTAssertEqual(try FLACReader(path: claimed).info.frames, (1 << 36) - 1)
        XCTAssertThrowsError(try AudioLoader.load(claimed, sampleRate: nil)) { error in
            XCTAssertTrue("\(error)".contains("read 48 of 68719476735 frames"), "\(error)")
        }
    }
}
