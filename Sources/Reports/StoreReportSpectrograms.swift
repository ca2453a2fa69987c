import Audio
import Features
import Foundation
import Plots
import SndFile
import Specs

/// Draws the dB mel-spectrogram of a run's validation files with the run's own audio and feature
/// parameters (sample rate, silence trimming, n_fft, hop, mels, fmin/fmax, power, dB reference and floor),
/// as a magma raster for ``imageFigure``, and compresses the same audio to listen to.
struct TopLossSpectrograms {
    let spec: ExperimentSpec
    let extractor: LogMelExtractor
    var maxColumns = 400
    /// Embedded clips are resampled to at most this rate (mono; speech needs no more) …
    var clipRate = 16000
    /// … and cut to their first this many seconds, so the page stays small.
    var clipSeconds = 8.0

    /// A file's picture and, when it could be encoded, its sound (else why not).
    struct Media {
        var spectrogram: ReportSpectrogram
        var audio: ReportAudio?
        var audioProblem: Problem?
    }

    /// Why a file has no picture.
    struct Problem: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\((path as NSString).lastPathComponent) (\(reason))" }
    }

    /// - Throws: spec errors when the recorded spec no longer loads; feature-parameter errors.
    init(specYAML: String, runName: String) throws {
        let loader = SpecLoader(checkPaths: false)
        spec = try loader.load(resolvedYAML: specYAML, runName: runName).spec
        extractor = try LogMelExtractor(try Self.featureParameters(spec))
    }

    /// The run's feature parameters as `ser run` derives them (`ExperimentSpec.featureParameters()`), drawn
    /// as log-mel: an MFCC run shows its log-mel input; no deltas, no normalisation, no pad/crop (the picture
    /// shows the whole file).
    static func featureParameters(_ spec: ExperimentSpec) throws -> FeatureParameters {
        var p = try spec.featureParameters()
        p.toDB = true
        p.nMFCC = nil
        p.deltas = 0
        p.standardise = .none
        p.duration = nil
        return p
    }

    /// Where the file recorded as `path` is now: as written (absolute, or relative to the working
    /// directory), else relative to the spec's data folder. Nil when neither exists.
    func locate(_ path: String) -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) { return path }
        if !path.hasPrefix("/"), let root = spec.data.path {
            let joined = (root as NSString).appendingPathComponent(path)
            if fm.fileExists(atPath: joined) { return joined }
        }
        return nil
    }

    /// The picture of one file, or why there is none (file gone, undecodable, too short).
    func spectrogram(for path: String) -> Result<ReportSpectrogram, Problem> {
        media(for: path).map(\.spectrogram)
    }

    /// The picture and sound of one file (the audio the run heard: its rate, trimmed), or why there is no
    /// picture (file gone, undecodable, too short).
    func media(for path: String) -> Result<Media, Problem> {
        guard let file = locate(path) else { return .failure(Problem(path: path, reason: "audio file not found")) }
        var audio: AudioBuffer
        do {
            audio = try AudioLoader.load(file, sampleRate: spec.audio.sampleRate)
        } catch {
            return .failure(Problem(path: path, reason: "\(error)"))
        }
        if let trim = spec.audio.trimDB { audio = audio.trimmingSilence(topDB: Float(trim)).buffer }
        let mel = extractor.features(of: audio.samples)
        guard mel.rows > 0, mel.frames > 0 else { return .failure(Problem(path: path, reason: "too short")) }
        let peak = SpectrogramRaster.finiteRange(mel.values).upperBound
        let floor = Float(spec.features.db.topDB ?? 80)
        let range = (peak - floor)...peak
        let canvas = SpectrogramRaster.render(
            values: mel.values, rows: mel.rows, frames: mel.frames, range: range, colourMap: .magma,
            maxColumns: maxColumns)
        let picture: ReportSpectrogram
        do {
            let png = try canvas.pngData()
            picture = ReportSpectrogram(
                png: png, durationSeconds: max(audio.duration, 1e-3),
                maxFrequencyHz: extractor.parameters.effectiveFmax, frequencyScale: .mel(htk: false),
                colorBar: .colourMap(
                    .magma, label: "Level", unit: "dB",
                    domain: Double(range.lowerBound)...Double(range.upperBound)))
        } catch {
            return .failure(Problem(path: path, reason: "\(error)"))
        }
        do {
            return .success(Media(spectrogram: picture, audio: try clip(audio)))
        } catch {
            return .success(Media(spectrogram: picture, audioProblem: Problem(path: path, reason: "\(error)")))
        }
    }

    /// `audio` compressed to embed: resampled to at most ``clipRate`` (the loader's resampler), its first
    /// ``clipSeconds``, Ogg/Opus (else FLAC) through libsndfile.
    func clip(_ audio: AudioBuffer) throws -> ReportAudio {
        let rate = min(audio.sampleRate, clipRate)
        var samples = try AudioLoader.resample(audio.samples, from: audio.sampleRate, to: rate)
        samples = Array(samples.prefix(Int(clipSeconds * Double(rate))))
        // Opus encodes 8, 12, 16, 24 or 48 kHz; FLAC any rate.
        let encoded = try SoundFile.compressedClip(samples, sampleRate: rate)
        return ReportAudio(data: encoded.data, mimeType: encoded.mimeType)
    }
}
