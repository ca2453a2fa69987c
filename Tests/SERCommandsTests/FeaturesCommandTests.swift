import Audio
import Features
import Foundation
import Inference
import PNG
import RSVG
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
        // Issue #24: the picture is the SVG figure rendered by librsvg (real text: "Frequency (Hz)", "Level (dB)",
        // "Time (s)"), not the bitmap-font raster ("HZ", "DB", "TIME (S)").
        let png = try PNGFile.readRGB(dir.path("f.png"))
        XCTAssertEqual(png.width, 1000)
        var figure = FeaturesCommand.figure(
            audio: try AudioLoader.load(wav, sampleRate: 22050), features: m, parameters: .notebook,
            title: "tone.wav")
        figure.valueUnit = "dB"
        let svg = try figure.svg(frequencyAxis: FeaturesCommand.frequencyAxis(.notebook, rows: m.rows))
        for text in ["Frequency (Hz)", "Time (s)", "Level (dB)", "Waveform"] {
            XCTAssertTrue(svg.contains(text), "missing \(text)")
        }
        let rendered = try SVGRenderer.rgb(svg: svg, scale: 1.25)
        XCTAssertEqual(png.height, rendered.height)
        XCTAssertTrue(png.rgb == rendered.rgb, "the PNG is not the SVG figure's rendering")
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

    /// Issue #24: `--model` gives exactly the network's input for the file (the model's rate, features, crop
    /// to its clip, normalisation), through the model file's own path.
    func testModelGivesTheNetworksInput() throws {
        let dir = TemporaryDirectory()
        let model = try writeTinyModelFile(to: dir.path("m.safetensors"))
        let wav = dir.path("a.wav")
        // 2.5 s at 22.05 kHz: resampled to the model's 16 kHz and centre-cropped to its 1 s (101 frames).
        let samples = (0..<55125).map { Float(0.3 * sin(2 * Double.pi * 330 * Double($0) / 22050)) * Float($0) / 55125 }
        try SoundFile.write(samples, sampleRate: 22050, to: wav, format: .wavFloat)
        try FeaturesCommand.parse([wav, "--model", model, "--npy", dir.path("m.npy")]).run()
        let m = try NumpyFile.readMatrix(dir.path("m.npy"))
        let bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        let input = bundle.modelInput(try bundle.featureMatrices(files: [wav]))
        XCTAssertEqual(m.rows, 16)
        XCTAssertEqual(m.frames, 101)
        XCTAssertEqual(m.values, input.withUnsafeBufferPointer { Array($0) })
        // Utterance normalisation: zero mean, unit variance.
        let mean = m.values.reduce(0, +) / Float(m.values.count)
        XCTAssertEqual(mean, 0, accuracy: 1e-4)
    }

    /// `--spec` gives what a run of the spec trains on: its rate, features and clip.
    func testSpecGivesTheRunsFeatures() throws {
        let dir = TemporaryDirectory()
        try tinyRunSpec(epochs: 1).write(toFile: dir.path("tiny.yaml"), atomically: true, encoding: .utf8)
        let wav = dir.path("a.wav")
        let samples = (0..<44100).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 22050)) }
        try SoundFile.write(samples, sampleRate: 22050, to: wav, format: .wavFloat)
        try FeaturesCommand.parse([
            wav, "--spec", dir.path("tiny.yaml"), "--set", "audio.duration=1.5", "--npy", dir.path("s.npy"),
        ]).run()
        let m = try NumpyFile.readMatrix(dir.path("s.npy"))
        XCTAssertEqual(m.rows, 16)
        XCTAssertEqual(m.frames, 151, "1.5 s at a 10 ms hop")
        // A spec whose corpus is not on this machine still says what its runs would see.
        try
            "name: r\ndata: {path: \(dir.path("no-corpus"))}\naudio: {sample_rate: 16000, duration: 1.0}\nfeatures: {n_mels: 32}\n"
            .write(toFile: dir.path("r.yaml"), atomically: true, encoding: .utf8)
        try FeaturesCommand.parse([wav, "--spec", dir.path("r.yaml"), "--npy", dir.path("r.npy")]).run()
        XCTAssertEqual(try NumpyFile.readMatrix(dir.path("r.npy")).rows, 32)
        XCTAssertThrowsError(try FeaturesCommand.parse([wav, "--spec", "s.yaml", "--n-mels", "64"]))
        XCTAssertThrowsError(try FeaturesCommand.parse([wav, "--spec", "s.yaml", "--model", "m.safetensors"]))
        XCTAssertThrowsError(try FeaturesCommand.parse([wav, "--set", "audio.duration=2"]))
        XCTAssertThrowsError(try FeaturesCommand.parse([wav, "--model", dir.path("none.safetensors")]).run()) {
            XCTAssertTrue("\($0)".contains("no such model file"), "\($0)")
        }
    }
}
