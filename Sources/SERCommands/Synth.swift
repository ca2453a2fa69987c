import ArgumentParser
import Audio
import Datasets
import Foundation
import Synth

/// `ser synth`: write the built-in synthetic emotional-speech corpus (RAVDESS names, or `--layout`'s) to a folder.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write the built-in synthetic emotional-speech corpus (16 kHz WAV; RAVDESS names, or those of --layout) to a folder."
    )

    @Option(
        help:
            "Folder to write (Actor_NN subfolders): new, empty, or a corpus ser wrote (kept if identical, else replaced)."
    )
    var out: String

    @Option(help: "Number of actors, 1-24 (60 files each; odd actors are male, even female).")
    var actors: Int = 24

    @Option(help: "Seed of the random choices; the same seed gives byte-identical files.")
    var seed: UInt64 = 1

    @Option(help: "Sample rate in Hz, 8000-48000.")
    var sampleRate: Int = 16000

    @Option(
        help:
            "The names to write the files under: ravdess, cremad, tess, savee, emodb, folders or csv (a manifest.csv); emotions the corpus lacks are left out."
    )
    var layout: String = DatasetLayout.ravdess.rawValue

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// What `--json` prints: the folder, whether it was written, replaced or kept, and the corpus.
    struct Written: Encodable {
        var folder: String
        var outcome: SyntheticCorpus.EnsureOutcome
        var files: Int
        var actors: Int
        var seed: UInt64
        var sampleRate: Int
        var layout: String
        var bytes: Int
        var seconds: Double
    }

    func validate() throws {
        guard (1...24).contains(actors) else {
            throw ValidationError("--actors must be between 1 and 24 (RAVDESS numbering), got \(actors).")
        }
        guard (8000...48000).contains(sampleRate) else {
            throw ValidationError("--sample-rate must be between 8000 and 48000 Hz, got \(sampleRate).")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a folder.") }
        do {
            _ = try DatasetLayout(parsing: layout)
        } catch {
            throw ValidationError("--layout: \(error)")
        }
    }

    func run() throws {
        let start = Date()
        let layout = try DatasetLayout(parsing: layout)
        let (path, outcome) = try SyntheticCorpus.ensureReporting(
            at: out, actors: actors, seed: seed, sampleRate: sampleRate, layout: layout)
        let seconds = Date().timeIntervalSince(start)
        let files = SyntheticCorpus(actors: actors, seed: seed, sampleRate: sampleRate, layout: layout).utterances.count
        if json {
            print(
                try StoreFormat.json(
                    Written(
                        folder: path, outcome: outcome, files: files, actors: actors, seed: seed,
                        sampleRate: sampleRate, layout: layout.rawValue, bytes: Synth.bytes(under: path),
                        seconds: seconds)))
            return
        }
        switch outcome {
        case .reused:
            print(
                "\(path) already holds the synthetic corpus (\(actors) actors, seed \(seed), \(sampleRate) Hz); nothing written."
            )
        case .created, .replaced:
            let megabytes = Double(Synth.bytes(under: path)) / 1_000_000
            print(
                String(
                    format: "%@ %d files (%d actors, seed %llu, %d Hz mono 16-bit WAV, %.1f MB) to %@ in %.1f s%@.",
                    outcome == .created ? "Wrote" : "Replaced the corpus with", files, actors, seed, sampleRate,
                    megabytes, path, seconds, layout == .ravdess ? "" : " (\(layout.displayName) names)"))
        }
    }

    /// Total size of the regular files under `path`.
    static func bytes(under path: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(
                atPath: (path as NSString).appendingPathComponent(name))
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }
}
