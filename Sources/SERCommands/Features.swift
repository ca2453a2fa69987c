import ArgumentParser
import Audio
import Features
import Foundation
import Inference
import OutputFiles
import Plots
import RSVG
import Runner
import Specs
import Training

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

    @Option(
        help: ArgumentHelp(
            "Compute exactly what a run of this spec trains on (rate, trimming, features, crop to the clip, normalisation) instead of the flags' features.",
            valueName: "spec"))
    var spec: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("With --spec: override a key, e.g. --set features.n_mels=64.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(
        help: ArgumentHelp(
            "Compute exactly what this model file sees (rate, trimming, features, crop to the clip, normalisation).",
            valueName: "model"))
    var model: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if spec != nil && model != nil { throw ValidationError("--spec and --model are alternatives; give one.") }
        if spec == nil && !overrides.isEmpty { throw ValidationError("--set applies to --spec.") }
        if spec != nil || model != nil, try options.parameters() != FeatureParameters.notebook {
            throw ValidationError(
                "--\(spec != nil ? "spec" : "model") sets every feature parameter; drop the feature flags.")
        }
    }

    /// The run's or model's view of the audio (`--spec`, `--model`), or nil for the flags' features.
    func pipeline() throws -> (ModelFeatures, note: String?)? {
        if let model {
            guard FileManager.default.fileExists(atPath: model) else { throw ListenError.modelMissing(model) }
            return (try ModelBundle.load(from: URL(fileURLWithPath: model)).modelFeatures, nil)
        }
        guard let spec else { return nil }
        // Only the audio and feature sections matter here: the spec's data folder need not exist.
        let plan = try RunCommand.loadPlans([spec], overrides: overrides, loader: SpecLoader(checkPaths: false))[0]
        guard plan.runs.count == 1 else { throw FeaturesError.sweep(spec, plan.runs.count) }
        let resolved = plan.runs[0].spec
        // Dataset statistics exist only once a run has read its training split; the model file has them.
        let note =
            resolved.usesDatasetNormalization
            ? "features.normalize: dataset uses the training split's statistics, known once the run has trained: "
                + "not applied here (--model applies them)" : nil
        return (try resolved.modelFeatures(datasetStatistics: nil), note)
    }

    /// The normalisation's name as the spec spells it.
    static func name(_ normalization: Normalization) -> String {
        switch normalization {
        case .none: return "none"
        case .utterance: return "utterance"
        case .perBand: return "per_band"
        case .dataset(let statistics): return statistics.mean.count == 1 ? "dataset" : "dataset (per band)"
        }
    }

    /// With `--spec`/`--model`: the clip and normalisation applied to the matrix.
    struct Example: Encodable {
        /// Frames per example (the model's input width); the matrix is centre-cropped or padded to it.
        var frames: Int
        var clipSeconds: Double
        var trimDB: Double?
        var normalization: String
        /// Why a normalisation was not applied, when one was not.
        var note: String?
    }

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
        /// With `--spec`/`--model`: the crop and normalisation (the matrix is then the network's input).
        var example: Example? = nil
    }

    func run() throws {
        // Bad targets fail before any audio is read; the input file itself is never written over.
        let protected = ProtectedFile(path: file, role: "the audio file being read").map { [$0] } ?? []
        for path in [npy, png].compactMap({ $0 }) {
            try OutputFile.check(path, existing: force.existing, protected: protected)
        }
        let view = try pipeline()
        let parameters = try view?.0.features ?? options.parameters()
        let audio: AudioBuffer
        let features: FeatureMatrix
        var example: Example? = nil
        if let (pipeline, note) = view {
            // The model's path: decode at its rate and trim as in training, extract, crop/pad, normalise.
            let samples = try pipeline.audio.decoder(file, parameters.sampleRate)
            audio = AudioBuffer(samples: samples, sampleRate: parameters.sampleRate)
            features = pipeline.example(try pipeline.matrix(file: file, extractor: try LogMelExtractor(parameters)))
            example = Example(
                frames: pipeline.audio.frames, clipSeconds: pipeline.audio.duration, trimDB: pipeline.audio.trimDB,
                normalization: Self.name(pipeline.normalization), note: note)
        } else {
            audio = try AudioLoader.load(file, sampleRate: parameters.sampleRate)
            features = try LogMelExtractor(parameters).features(of: audio.samples)
        }
        let range = features.range
        let what = parameters.nMFCC != nil ? "MFCCs" : "mel bands"
        let deltas = parameters.deltas == 0 ? "" : parameters.deltas == 1 ? " with Δ" : " with Δ and Δ²"
        let normalised = example.map { $0.normalization != "none" } ?? false
        let unit = parameters.nMFCC == nil && parameters.toDB && !normalised ? " dB" : ""
        if !json {
            print("file      \(file)")
            print(
                String(
                    format: "audio     %d samples at %d Hz (%.2f s)%@", audio.samples.count, audio.sampleRate,
                    audio.duration, example?.trimDB.map { ", silence trimmed at \(Self.spelled($0)) dB" } ?? ""))
            print("features  \(features.rows) × \(features.frames) (\(what)\(deltas) × frames), float32")
            if let example {
                print(
                    "example   centre-cropped or padded to \(example.frames) frames "
                        + "(\(Self.spelled(example.clipSeconds)) s), normalisation \(example.normalization)")
                if let note = example.note { print("note      \(note)") }
            }
            print(String(format: "range     %.2f … %.2f%@", range.lowerBound, range.upperBound, unit))
        }
        if let npy {
            try NumpyFile.write(features, to: npy, existing: force.existing, protected: protected)
            if !json { print("npy       \(npy)") }
        }
        if let png {
            var figure = Self.figure(
                audio: audio, features: features, parameters: parameters, title: (file as NSString).lastPathComponent)
            figure.valueUnit = unit.trimmingCharacters(in: .whitespaces)
            // The SVG figure rendered by librsvg (real text); should librsvg fail, the raster with its bitmap
            // font stands in, and the line says so.
            var note = ""
            do {
                let svg = try figure.svg(frequencyAxis: Self.frequencyAxis(parameters, rows: features.rows))
                try SVGRenderer.writePNG(svg: svg, scale: 1.25, to: png, existing: force.existing, protected: protected)
            } catch let error as SVGRenderError {
                try figure.render().writePNG(to: png, existing: force.existing, protected: protected)
                note = " (bitmap font: \(error))"
            }
            if !json { print("png       \(png)\(note)") }
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
                        npy: npy, png: png, example: example)))
        }
    }

    /// A number as typed: `3`, not `3.0`.
    static func spelled(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// The spectrogram's vertical axis: Hz on the mel scale of `p` for mel bands (base rows only: deltas are
    /// not pictured), the coefficient index for MFCCs.
    static func frequencyAxis(_ p: FeatureParameters, rows: Int) -> AxisSpec {
        p.nMFCC == nil
            ? AxisSpec("Frequency", unit: "Hz", scale: .mel(htk: p.htk), domain: p.fmin...p.effectiveFmax)
            : AxisSpec("Coefficient", domain: 0...Double(Swift.max(rows, 1)))
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

/// Why `ser features --spec` cannot compute one run's features.
enum FeaturesError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case sweep(String, Int)

    var description: String {
        switch self {
        case .sweep(let spec, let count):
            return "\(spec) expands to \(count) runs; pin the swept keys with --set to see the features of one."
        }
    }

    var errorDescription: String? { description }
}
