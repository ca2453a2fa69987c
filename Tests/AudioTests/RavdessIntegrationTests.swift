import Audio
import FLAC
import Foundation
import SndFile
import TestSupport
import XCTest

/// Loads real RAVDESS recordings (48 kHz FLAC) when the shared data set is present; skips otherwise.
final class RavdessIntegrationTests: XCTestCase {
    func testLoadsTheFirstStereoRavdessFlacAt22050() throws {
        try XCTSkipIf(SharedData.ravdess == nil, "RAVDESS data absent")
        let root = SharedData.ravdess!
        let actors = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("Actor_") }
            .sorted()
        var stereo: (path: String, info: SoundFileInfo)? = nil
        search: for actor in actors {
            let folder = root.appendingPathComponent(actor)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            where name.hasSuffix(".flac") {
                let path = folder.appendingPathComponent(name).path
                let info = try SoundFile.info(path)
                if info.channels == 2 {
                    stereo = (path, info)
                    break search
                }
            }
        }
        let (path, info) = try XCTUnwrap(stereo, "no stereo FLAC in \(root.path)")
        XCTAssertEqual(info.sampleRate, 48000)
        let loaded = try AudioLoader.load(path)
        XCTAssertEqual(loaded.sampleRate, 22050)
        // librosa.load length: ceil(frames · 22050/48000) (soxr gives the rounded count, librosa pads).
        XCTAssertEqual(loaded.samples.count, Int((Double(info.frames) * 22050 / 48000).rounded(.up)))
        XCTAssertGreaterThan(loaded.samples.map(abs).max()!, 0.01, "the recording should not be silent")
    }

    /// The same recording librosa 0.11 loaded (`Fixtures/ravdess.json`): identical length, samples within 1e-4.
    func testMatchesLibrosaOnARavdessRecording() throws {
        try XCTSkipIf(SharedData.ravdess == nil, "RAVDESS data absent")
        let root = SharedData.ravdess!
        struct Reference: Decodable {
            var file: String; var frames: Int; var length: Int; var sliceStart: Int; var sliceEnd: Int
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Fixtures.json("ravdess.json"))
        let path = root.appendingPathComponent(reference.file).path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) absent")
        let loaded = try AudioLoader.load(path)
        XCTAssertEqual(try SoundFile.info(path).frames, reference.frames)
        XCTAssertEqual(loaded.samples.count, reference.length)
        let expected = try Fixtures.floats("ravdess-03-01-02-01-01-02-01-22050-slice.f32")
        let actual = Array(loaded.samples[reference.sliceStart..<reference.sliceEnd])
        XCTAssertLessThan(maxAbsDifference(actual, expected), 1e-4)
    }
}

extension RavdessIntegrationTests {
    /// Every RAVDESS file decodes to the same samples through libFLAC as through libsndfile.
    func testEveryRavdessFileDecodesLikeLibsndfile() throws {
        try XCTSkipIf(SharedData.ravdess == nil, "RAVDESS data absent")
        let root = SharedData.ravdess!.path
        let paths = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".flac") }.sorted().map { root + "/" + $0 }
        XCTAssertGreaterThan(paths.count, 0)
        for path in paths {
            let expected = try SoundFile.read(path).samples
            let reader = try FLACReader(path: path)
            let samples = try reader.read(frameCount: reader.info.frames)
            let same =
                samples.count == expected.count
                && samples.withUnsafeBytes { a in
                    expected.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
                }
            XCTAssertTrue(same, path)
            if !same { break }
        }
    }
}
