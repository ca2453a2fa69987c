import ArgumentParser
import Foundation
import Inference

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

    /// One file's answer, or (`error` set, the rest empty) why it could not be read.
    struct FilePrediction: Encodable {
        var file: String
        var label: String?
        var probability: Double?
        var top: [Ranked]?
        var error: String?
    }

    /// Every file in the order given; files that cannot be read, or whose features or probabilities are not
    /// finite, carry their error instead of a label.
    func predictions() throws -> [FilePrediction] {
        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        let features = try bundle.featureResults(files: files)
        let readable = features.indices.compactMap { i in (try? features[i].get()).map { (i, $0) } }
        var outcomes: [Result<[Double], any Error>] = features.map { result in result.map { _ in [] } }
        let probabilities = bundle.probabilityResults(
            matrices: readable.map(\.1), names: readable.map { files[$0.0] })
        for (k, (i, _)) in readable.enumerated() { outcomes[i] = probabilities[k] }
        return zip(files, outcomes).map { file, outcome in
            switch outcome {
            case .failure(let error):
                return FilePrediction(file: file, error: "\(error)")
            case .success(let p):
                let order = p.indices.sorted { (p[$0], -$0) > (p[$1], -$1) }
                let top = order.prefix(topK).map { Ranked(label: bundle.labels[$0], probability: p[$0]) }
                return FilePrediction(
                    file: file, label: top.first?.label, probability: top.first?.probability, top: Array(top))
            }
        }
    }

    /// Prints the readable files' answers (text or JSON, where a failed file has its `error`), then each
    /// failed file's error on standard error; exits with status 1 when any file failed.
    func run() throws {
        let results = try predictions()
        if json {
            print(try StoreFormat.json(results))
        } else {
            let rows = results.filter { $0.error == nil }.map { r in
                [r.file, r.label ?? ""] + [
                    (r.top ?? []).map { "\($0.label) \(String(format: "%.3f", $0.probability))" }
                        .joined(separator: ", ")
                ]
            }
            if !rows.isEmpty { print(StoreFormat.table(["FILE", "LABEL", "TOP \(topK)"], rows)) }
        }
        let failures = results.compactMap(\.error)
        for failure in failures { FileHandle.standardError.write(Data("Error: \(failure)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode.failure }
    }
}
