import ArgumentParser
import Experiments
import Foundation

/// `ser predict MODEL FILE…`: the most likely label and the top-k probabilities of each file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify audio files with a model file: the predicted label and the top-k probabilities of each.")

    @Argument(help: ArgumentHelp("A model file (a run's weights or `ser export` output).", valueName: "model"))
    var model: String

    @Argument(help: ArgumentHelp("Audio files (WAV, FLAC, …).", valueName: "file"))
    var files: [String]

    @Option(name: .customLong("top-k"), help: ArgumentHelp("How many labels to list per file.", valueName: "k"))
    var topK: Int = 3

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one audio file.") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1.") }
    }

    struct Ranked: Encodable {
        var label: String
        var probability: Double
    }

    struct FilePrediction: Encodable {
        var file: String
        var label: String
        var probability: Double
        var top: [Ranked]
    }

    func predictions() throws -> [FilePrediction] {
        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        let probabilities = try bundle.classify(files: files)
        return zip(files, probabilities).map { file, p in
            let order = p.indices.sorted { (p[$0], -$0) > (p[$1], -$1) }
            let top = order.prefix(topK).map { Ranked(label: bundle.labels[$0], probability: p[$0]) }
            return FilePrediction(file: file, label: top[0].label, probability: top[0].probability, top: Array(top))
        }
    }

    func run() throws {
        let results = try predictions()
        if json {
            print(try StoreFormat.json(results))
            return
        }
        let rows = results.map { r in
            [r.file, r.label] + [
                r.top.map { "\($0.label) \(String(format: "%.3f", $0.probability))" }.joined(separator: ", ")
            ]
        }
        print(StoreFormat.table(["FILE", "LABEL", "TOP \(topK)"], rows))
    }
}
