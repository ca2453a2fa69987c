import Datasets
import Dispatch
import Foundation
import SeededRandom
import SndFile

/// The built-in synthetic emotional-speech corpus: a RAVDESS-shaped set of speech-like utterances made by a
/// source-filter synthesiser, so `ser` can be tried and tested without any downloaded data.
///
/// Layout: `DIR/Actor_NN/03-01-EE-II-SS-RR-NN.wav`, 60 files per actor exactly like RAVDESS speech
/// (8 emotions, 2 intensities except neutral, 2 statements, 2 repetitions), mono 16-bit PCM WAV at
/// `sampleRate` (16 kHz by default), 1.5–3 s each. Emotion and intensity shape the prosody (pitch level
/// and contour, rate, loudness, jitter/shimmer, spectral tilt, breathiness); the actor shapes the voice
/// (odd = male, even = female). The output is a pure function of (`actors`, `seed`, `sampleRate`):
/// every file has its own generator `Xoshiro256(seed:stream:)`, so the bytes do not depend on thread
/// scheduling, and actor `n`'s files are the same whatever the number of actors.
public struct SyntheticCorpus: Sendable, Equatable {
    /// Bumped whenever the synthesiser's output changes, so cached corpora are regenerated.
    public static let formatVersion = 1
    /// Name of the marker file that records how a corpus directory was made (written last).
    public static let markerName = ".ser-synth.json"
    /// Name of the CSV with every file's synthesis parameters (written beside the actor folders).
    public static let parametersName = ".ser-synth-parameters.csv"

    /// Actors 1…`actors` (1…24).
    public var actors: Int
    public var seed: UInt64
    public var sampleRate: Int
    /// The names the files are written under (``SynthUtteranceID/relativePath(in:)``).
    public var layout: DatasetLayout

    public init(actors: Int = 24, seed: UInt64 = 1, sampleRate: Int = 16000, layout: DatasetLayout = .ravdess) {
        precondition((1...24).contains(actors), "actors must be 1…24")
        precondition((8000...48000).contains(sampleRate), "sampleRate must be 8000…48000")
        self.actors = actors
        self.seed = seed
        self.sampleRate = sampleRate
        self.layout = layout
    }

    /// Every utterance the layout has names for, actor by actor, in RAVDESS file-name order (60 × `actors`
    /// for RAVDESS; fewer for layouts without calm or surprised).
    public var utterances: [SynthUtteranceID] {
        (1...actors).flatMap { SynthUtteranceID.ravdessSpeech(actor: $0) }.filter { $0.relativePath(in: layout) != nil }
    }

    /// The voice of `actor`.
    public func voice(_ actor: Int) -> SynthVoice { SynthVoice.actor(actor, seed: seed) }

    /// The synthesis parameters of `id` (cheap: no audio is rendered).
    public func parameters(_ id: SynthUtteranceID) -> SynthParameters {
        SynthParameters.make(for: id, voice: voice(id.actor), seed: seed)
    }

    /// Renders one utterance (about 2 ms of CPU per second of audio at 16 kHz).
    public func utterance(_ id: SynthUtteranceID) -> SynthesizedUtterance {
        Self.utterance(id, seed: seed, sampleRate: sampleRate)
    }

    /// Renders utterance `id` of the corpus with `seed` at `sampleRate`: its samples (mono, peak ≤ 0.95),
    /// parameters and true mean f0. Deterministic.
    public static func utterance(_ id: SynthUtteranceID, seed: UInt64 = 1, sampleRate: Int = 16000)
        -> SynthesizedUtterance
    {
        var rng = Xoshiro256(seed: seed, stream: id.stream)
        let parameters = SynthParameters.make(for: id, voice: SynthVoice.actor(id.actor, seed: seed), rng: &rng)
        return SynthRenderer.render(parameters, sampleRate: sampleRate, rng: &rng)
    }

    /// Renders `ids` in parallel (DispatchQueue.concurrentPerform), results in the order of `ids`.
    public func render(_ ids: [SynthUtteranceID]) -> [SynthesizedUtterance] {
        var results = [SynthesizedUtterance?](repeating: nil, count: ids.count)
        results.withUnsafeMutableBufferPointer { slots in
            let slots = SynthSendableBox(slots)
            DispatchQueue.concurrentPerform(iterations: ids.count) { i in
                slots.value[i] = utterance(ids[i])
            }
        }
        return results.map { $0! }
    }

    /// Writes the whole corpus into `dir` (created if needed; existing files of the same names are replaced),
    /// then the parameters CSV and the marker file. Any old marker is removed first, so a failed write never
    /// leaves a marker behind. Files are rendered and written in parallel.
    /// - Returns: the paths of the WAV files written, in file-name order.
    /// - Throws: ``SyntheticCorpusError`` naming the file that could not be written.
    @discardableResult
    public func write(to dir: String) throws -> [String] {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        let fm = FileManager.default
        // An old marker must not vouch for files this call is about to replace (and may fail to).
        let markerURL = root.appendingPathComponent(Self.markerName)
        if fm.fileExists(atPath: markerURL.path) {
            do {
                try fm.removeItem(at: markerURL)
            } catch {
                throw SyntheticCorpusError(
                    path: markerURL.path, message: "cannot remove the old marker: \(error.localizedDescription)")
            }
        }
        let ids = utterances
        let relativePaths = ids.map { $0.relativePath(in: layout) ?? $0.relativePath }
        do {
            try fm.createDirectory(at: root, withIntermediateDirectories: true)
            for folder in Set(relativePaths.map { ($0 as NSString).deletingLastPathComponent }) where !folder.isEmpty {
                try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
        } catch {
            throw SyntheticCorpusError(
                path: dir, message: "cannot create the corpus folders: \(error.localizedDescription)")
        }
        let paths = relativePaths.map { root.appendingPathComponent($0).path }
        var outcomes = [Result<SynthesizedUtterance, Error>?](repeating: nil, count: ids.count)
        outcomes.withUnsafeMutableBufferPointer { slots in
            let slots = SynthSendableBox(slots)
            DispatchQueue.concurrentPerform(iterations: ids.count) { i in
                let made = utterance(ids[i])
                do {
                    try SoundFile.write(made.samples, sampleRate: sampleRate, to: paths[i], format: .wavPCM16)
                    var light = made
                    light.samples = []  // keep only the parameters
                    slots.value[i] = .success(light)
                } catch {
                    slots.value[i] = .failure(error)
                }
            }
        }
        var made: [SynthesizedUtterance] = []
        for (i, outcome) in outcomes.enumerated() {
            switch outcome! {
            case .success(let u): made.append(u)
            case .failure(let error):
                throw SyntheticCorpusError(path: paths[i], message: "cannot write the file: \(error)")
            }
        }
        try writeText(SynthParametersTable.csv(made), to: root.appendingPathComponent(Self.parametersName))
        if layout == .csv { try writeText(Self.manifest(ids), to: root.appendingPathComponent(Self.manifestName)) }
        try writeText(try marker.json(), to: markerURL)
        return paths
    }

    /// What the marker file of this corpus holds.
    public var marker: SyntheticCorpusMarker {
        SyntheticCorpusMarker(
            formatVersion: Self.formatVersion, actors: actors, seed: seed, sampleRate: sampleRate,
            files: utterances.count, format: "WAV PCM_16 mono", layout: layout == .ravdess ? nil : layout.rawValue)
    }

    private func writeText(_ text: String, to url: URL) throws {
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw SyntheticCorpusError(path: url.path, message: "cannot write: \(error.localizedDescription)")
        }
    }
}

/// A failure while writing or checking a synthetic corpus, naming the path concerned.
public struct SyntheticCorpusError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
    public var errorDescription: String? { description }
}

/// Lets a buffer pointer cross into `concurrentPerform`; each iteration writes only its own slot.
struct SynthSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
