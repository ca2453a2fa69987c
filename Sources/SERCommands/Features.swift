import ArgumentParser
import Audio
import Features
import Foundation
import OutputFiles
import Plots

/// `ser features FILE`: the notebook's view of one file — picture, matrix, shape and range.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute one file's log-mel spectrogram, print its shape and range, and save it as a picture or .npy."
    )

    @Argument(help: "The audio file (WAV, FLAC or OGG).")
    var file: String

    @Option(help: "Write the waveform and mel-spectrogram picture to this PNG file.")
    var png: String?

    @Option(help: "Write the feature matrix (rows × frames, float32) to this NumPy .npy file.")
    var npy: String?

    @OptionGroup var force: ForceOption

    @OptionGroup var options: FeatureOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// What `--json` prints: the file, its audio, the matrix's shape and range, and the files written.
    struct Summary: Encodable {
        var file: String
        var samples: Int
        var sampleRate: Int
        var duration: Double
        /// `mel` or `mfcc`.
        var kind: String
        /// 0, 1 (Δ) or 2 (Δ and Δ²).
        var deltas: Int
        var rows: Int
        var frames: Int
        var min: Double
        var max: Double
        /// `dB` for log-mel in decibels, else empty.
        var unit: String
        var npy: String?
        var png: String?
    }

    func run() throws {
        // Bad targets fail before any audio is read; the input file itself is never written over.
        let protected = ProtectedFile(path: file, role: "the audio file being read").map { [$0] } ?? []
        for path in [npy, png].compactMap({ $0 }) {
            try OutputFile.check(path, existing: force.existing, protected: protected)
        }
        let parameters = try options.parameters()
        let audio = try AudioLoader.load(file, sampleRate: parameters.sampleRate)
        let extractor = try LogMelExtractor(parameters)
        let features = extractor.features(of: audio.samples)
        let range = features.range
        let what = parameters.nMFCC != nil ? "MFCCs" : "mel bands"
        let deltas = parameters.deltas == 0 ? "" : parameters.deltas == 1 ? " with Δ" : " with Δ and Δ²"
        let unit = parameters.nMFCC == nil && parameters.toDB ? " dB" : ""
        if !json {
            print("file      \(file)")
            print(
                String(
                    format: "audio     %d samples at %d Hz (%.2f s)", audio.samples.count, audio.sampleRate,
                    audio.duration))
            print("features  \(features.rows) × \(features.frames) (\(what)\(deltas) × frames), float32")
            print(String(format: "range     %.2f … %.2f%@", range.lowerBound, range.upperBound, unit))
        }
        if let npy {
            try NumpyFile.write(features, to: npy, existing: force.existing, protected: protected)
            if !json { print("npy       \(npy)") }
        }
        if let png {
            try Self.figure(
                audio: audio, features: features, parameters: parameters, title: (file as NSString).lastPathComponent
            )
            .render().writePNG(to: png, existing: force.existing, protected: protected)
            if !json { print("png       \(png)") }
        }
        if json {
            print(
                try StoreFormat.json(
                    Summary(
                        file: file, samples: audio.samples.count, sampleRate: audio.sampleRate,
                        duration: audio.duration, kind: parameters.nMFCC == nil ? "mel" : "mfcc",
                        deltas: parameters.deltas, rows: features.rows, frames: features.frames,
                        min: Double(range.lowerBound), max: Double(range.upperBound),
                        unit: unit.trimmingCharacters(in: .whitespaces),
                        npy: npy, png: png)))
        }
    }

    /// The waveform over the mel image, with mel-spaced frequency ticks in Hz.
    static func figure(audio: AudioBuffer, features: FeatureMatrix, parameters p: FeatureParameters, title: String)
        -> WaveformSpectrogramFigure
    {
        var ticks: [WaveformSpectrogramFigure.Tick] = []
        let image: FeatureMatrix
        if p.nMFCC == nil {
            // Only the base mel rows (deltas are not pictured).
            image =
                features.rows == p.nMels
                ? features
                : FeatureMatrix(
                    rows: p.nMels, frames: features.frames,
                    values: Array(features.values[0..<(p.nMels * features.frames)]))
            let lo = MelScale.mel(hz: p.fmin, htk: p.htk)
            let hi = MelScale.mel(hz: p.effectiveFmax, htk: p.htk)
            let candidates: [Double] = [0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
            for hz in candidates where hz >= p.fmin && hz <= p.effectiveFmax {
                let position = (MelScale.mel(hz: hz, htk: p.htk) - lo) / (hi - lo)
                if let last = ticks.last, position - last.position < 0.06 { continue }
                ticks.append(.init(position: position, label: "\(Int(hz))"))
            }
        } else {
            image = features
            for i in stride(from: 0, to: features.rows, by: Swift.max(1, features.rows / 5)) {
                ticks.append(.init(position: (Double(i) + 0.5) / Double(features.rows), label: "\(i)"))
            }
        }
        var figure = WaveformSpectrogramFigure(
            waveform: audio.samples, sampleRate: audio.sampleRate, spectrogram: image.values, rows: image.rows,
            frames: image.frames, frameSeconds: Double(p.hopLength) / Double(p.sampleRate), frequencyTicks: ticks,
            title: title)
        figure.valueUnit = p.nMFCC == nil && p.toDB ? "dB" : ""
        return figure
    }
}
