import Features
import Foundation
import PNG
import SndFile
import TestSupport
import XCTest

@testable import SERCommands

final class FeaturesCommandTests: XCTestCase {
    func testWritesNpyAndPngWithTheNotebooksShape() throws {
        let dir = TemporaryDirectory()
        let wav = dir.path("tone.wav")
        let samples = (0..<22050).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 22050)) }
        try SoundFile.write(samples, sampleRate: 22050, to: wav, format: .wavFloat)
        let command = try FeaturesCommand.parse([wav, "--png", dir.path("f.png"), "--npy", dir.path("f.npy")])
        try command.run()
        let m = try NumpyFile.readMatrix(dir.path("f.npy"))
        XCTAssertEqual(m.rows, 128)
        XCTAssertEqual(m.frames, 1 + 22050 / 100)
        XCTAssertEqual(m.range.upperBound, 0)
        XCTAssertEqual(m.range.lowerBound, -80)
        let png = try PNGFile.readRGB(dir.path("f.png"))
        XCTAssertEqual(png.width, 1000)
        XCTAssertEqual(png.height, 720)
    }

    func testFlagsMapToParametersAndAreValidated() throws {
        let options = try FeatureOptions.parse([
            "--sample-rate", "16000", "--n-fft", "512", "--hop-length", "160", "--n-mels", "40", "--fmax", "7600",
            "--top-db", "none", "--ref", "1", "--norm", "none", "--htk", "--n-mfcc", "13", "--deltas", "2",
        ])
        let p = try options.parameters()
        XCTAssertEqual(p.sampleRate, 16000)
        XCTAssertEqual(p.nFFT, 512)
        XCTAssertEqual(p.hopLength, 160)
        XCTAssertEqual(p.nMels, 40)
        XCTAssertEqual(p.fmax, 7600)
        XCTAssertNil(p.topDB)
        XCTAssertEqual(p.ref, .value(1))
        XCTAssertEqual(p.norm, MelNorm.none)
        XCTAssertTrue(p.htk)
        XCTAssertEqual(p.nMFCC, 13)
        XCTAssertEqual(p.deltas, 2)
        XCTAssertEqual(try FeatureOptions.parse([]).parameters(), FeatureParameters.notebook)
        XCTAssertThrowsError(try FeatureOptions.parse(["--n-mels", "9999"]))
        XCTAssertThrowsError(try FeatureOptions.parse(["--ref", "loudest"]))
    }

    func testBenchFindsAudioFilesSorted() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("a/b"), withIntermediateDirectories: true)
        for name in ["a/b/2.wav", "a/1.FLAC", "a/notes.txt", "0.ogg"] {
            FileManager.default.createFile(atPath: dir.path(name), contents: Data())
        }
        XCTAssertEqual(
            try BenchFeatures.audioFiles(under: dir.url.path).map { String($0.dropFirst(dir.url.path.count + 1)) },
            ["0.ogg", "a/1.FLAC", "a/b/2.wav"])
    }
}
