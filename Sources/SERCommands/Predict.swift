import ArgumentParser
import Datasets
import Features
import Foundation
import Inference

/// Why `ser predict` could not classify a path given on its command line (before any decoding).
enum PredictPathError: Error, CustomStringConvertible, LocalizedError {
    /// Nothing exists at the path (or it is a symbolic link to nothing).
    case noSuchFile(String)

    var description: String {
        switch self {
        case .noSuchFile(let path): return "\(path): no such file; check the path (files and folders are accepted)"
        }
    }

    var errorDescription: String? { description }
}

/// `ser predict MODEL PATH…`: the most likely label and the top-k probabilities of each file; folders are
/// searched recursively with the corpus walker.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify audio files with a model file: the predicted label and the top-k probabilities of each.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @Argument(help: ArgumentHelp("A model file (a run's weights or `ser export` output).", valueName: "model"))
    var model: String

    @Argument(
        help: ArgumentHelp(
            "Audio files (WAV, FLAC, …) or folders (searched recursively, files in sorted order).",
            valueName: "path"))
    var files: [String]

    @Option(name: .customLong("top-k"), help: ArgumentHelp("How many labels to list per file.", valueName: "k"))
    var topK: Int = 3

    @Option(help: "Output format: table, csv (one probability column per class) or json.")
    var format: Format = .table

    @Flag(help: "Same as --format json.")
    var json = false

    @Option(
        name: .customLong("tta"),
        help: ArgumentHelp(
            "Test-time augmentation: average this many crops (longer clips) or pads (shorter ones) at evenly spaced positions.",
            valueName: "n"))
    var testTimeViews: Int = 1

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one audio file or folder.") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1.") }
        let views = ModelBundle.testTimeViewCounts
        if !views.contains(testTimeViews) {
            throw ValidationError("--tta must be \(views.lowerBound)…\(views.upperBound).")
        }
    }

    struct Ranked: Encodable {
        var label: String
        var probability: Double
    }

    /// One file's answer, or (`error` set, the rest empty) why it could not be read, or (`skipped` set) an
    /// entry of a folder that the walk did not use, and why.
    struct FilePrediction: Encodable {
        var file: String
        var label: String?
        var probability: Double?
        var top: [Ranked]?
        /// Every class's probability, keyed by class name.
        var probabilities: [String: Double]?
        var error: String?
        var skipped: String?
    }

    /// The command line's paths in order, each folder replaced by its audio files (sorted) and its skipped
    /// entries; a missing path or a folder that cannot be walked becomes an entry with its error.
    func expandedPaths() -> [FilePrediction] {
        var entries: [FilePrediction] = []
        for path in files {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                entries.append(FilePrediction(file: path, error: "\(PredictPathError.noSuchFile(path))"))
                continue
            }
            guard isFolder.boolValue else {
                entries.append(FilePrediction(file: path))
                continue
            }
            do {
                let walk = try AudioFiles.walk(path)
                let prefix = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
                func shown(_ relative: String) -> String { relative == "." ? prefix : prefix + "/" + relative }
                entries += walk.audio.map { FilePrediction(file: shown($0)) }
                entries += walk.skipped.map { FilePrediction(file: shown($0.path), skipped: $0.reason.description) }
            } catch {
                entries.append(FilePrediction(file: path, error: "\(error)"))
            }
        }
        return entries
    }

    /// The model's class names and every entry in order (``expandedPaths()``); files that cannot be read, or
    /// whose features or probabilities are not finite, carry their error instead of a label.
    func classified() throws -> (labels: [String], entries: [FilePrediction]) {
        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        var entries = expandedPaths()
        let pending = entries.indices.filter { entries[$0].error == nil && entries[$0].skipped == nil }
        let names = pending.map { entries[$0].file }
        let features = try bundle.featureResults(files: names)
        let readable = features.indices.compactMap { i in (try? features[i].get()).map { (i, $0) } }
        var outcomes: [Result<[Double], any Error>] = features.map { result in result.map { _ in [] } }
        let probabilities = bundle.probabilityResults(
            matrices: readable.map(\.1), names: readable.map { names[$0.0] }, views: testTimeViews)
        for (k, (i, _)) in readable.enumerated() { outcomes[i] = probabilities[k] }
        for (i, outcome) in zip(pending, outcomes) {
            switch outcome {
            case .failure(let error):
                entries[i].error = "\(error)"
            case .success(let p):
                let order = p.indices.sorted { (p[$0], -$0) > (p[$1], -$1) }
                let top = order.prefix(topK).map { Ranked(label: bundle.labels[$0], probability: p[$0]) }
                entries[i].label = top.first?.label
                entries[i].probability = top.first?.probability
                entries[i].top = Array(top)
                entries[i].probabilities = Dictionary(
                    zip(bundle.labels, p).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
            }
        }
        return (bundle.labels, entries)
    }

    /// Every file in order (folders expanded), skipped folder entries included.
    func predictions() throws -> [FilePrediction] { try classified().entries }

    /// The standard output for `entries` in the chosen format: JSON has every entry (errors and skipped
    /// entries included); the table and CSV list the classified files only.
    func output(labels: [String], entries: [FilePrediction]) throws -> String? {
        let answered = entries.filter { $0.label != nil }
        switch json ? .json : format {
        case .json:
            return try StoreFormat.json(entries)
        case .table:
            let rows = answered.map { r in
                [r.file, r.label ?? ""] + [
                    (r.top ?? []).map { "\($0.label) \(String(format: "%.3f", $0.probability))" }
                        .joined(separator: ", ")
                ]
            }
            return rows.isEmpty ? nil : StoreFormat.table(["FILE", "LABEL", "TOP \(topK)"], rows)
        case .csv:
            let header = ["path", "label", "probability"] + labels
            let rows = answered.map { r in
                [r.file, r.label ?? "", r.probability.map { "\($0)" } ?? ""]
                    + labels.map { label in r.probabilities?[label].map { "\($0)" } ?? "" }
            }
            return ([header] + rows).map { $0.map(Query.csvField).joined(separator: ",") }.joined(separator: "\n")
        }
    }

    /// Prints the answers (table, CSV or JSON), then each skipped folder entry and each failed file's error
    /// on standard error; exits with status 1 when any file failed (skipped folder entries are not failures).
    func run() throws {
        let (labels, entries) = try classified()
        if let text = try output(labels: labels, entries: entries) { print(text) }
        for entry in entries {
            if let reason = entry.skipped { RunOutput.log("skipped \(entry.file): \(reason)") }
        }
        let failures = entries.compactMap(\.error)
        for failure in failures { FileHandle.standardError.write(Data("Error: \(failure)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode.failure }
    }
}
