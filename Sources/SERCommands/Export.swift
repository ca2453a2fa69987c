import ArgumentParser
import Checksum
import Foundation
import OutputFiles
import RunStore

/// `ser export`: copy a run's trained weights out of the runs folder.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Copy a run's weights (safetensors) to a file, checking their SHA-256; --best picks the best run; "
            + "--mlflow writes runs as an MLflow file store.")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The run id (or use --best); with --mlflow, any number of run ids.", valueName: "run"))
    var runIDs: [Int64] = []

    /// The one run to export (without --mlflow).
    var runID: Int64? { runIDs.first }

    @Flag(help: "Export the run with the best --metric (within --experiment).")
    var best = false

    @Option(
        help: ArgumentHelp(
            "The metric --best ranks by: \(StoreMetric.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "metric"))
    var metric: String = StoreMetric.accuracy.rawValue

    @Option(help: ArgumentHelp("With --best or --mlflow: only runs of this experiment.", valueName: "name"))
    var experiment: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the weights.", valueName: "file"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Write the runs (all, those of --experiment, or the run ids) as an MLflow file store in this new folder.",
            valueName: "dir"))
    var mlflow: String?

    @OptionGroup var force: ForceOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if mlflow != nil {
            if best || output != nil {
                throw ValidationError("--mlflow exports runs, not weights: leave out --best and -o.")
            }
            if !runIDs.isEmpty && experiment != nil {
                throw ValidationError("give run ids or --experiment (not both).")
            }
            return
        }
        if output == nil { throw ValidationError("missing -o/--output FILE (where to write the weights).") }
        if runIDs.count > 1 { throw ValidationError("give one run id (several only with --mlflow).") }
        if (runID == nil) == !best { throw ValidationError("give a run id or --best (not both).") }
        if !best && experiment != nil { throw ValidationError("--experiment applies to --best only.") }
        do { _ = try StoreMetric.named(metric) } catch { throw ValidationError("\(error)") }
    }

    struct Result: Encodable {
        var run: Int64
        var name: String
        var source: String
        var output: String
        var sha256: String
        var bytes: Int64
        var metric: String?
        var value: Double?
    }

    func export() throws -> Result {
        let runStore = try store.openForReading()
        var id = runID
        var ranked: RunMetrics?
        if best {
            guard let top = try runStore.bestRun(metric: StoreMetric.named(metric), experiment: experiment) else {
                throw ExportError.nothingRanked(metric)
            }
            ranked = top
            id = top.runID
        }
        let detail = try runStore.detail(of: id!)
        guard let weights = detail.artifacts.last(where: { $0.kind == "weights" }) else {
            throw ExportError.noWeights(id!, detail.displayStatus)
        }
        // A relative artifact path is relative to the store's folder; older stores hold absolute ones.
        let source = runStore.resolvedPath(of: weights)
        guard FileManager.default.fileExists(atPath: source) else {
            throw ExportError.missingFile(source)
        }
        // The bytes are hashed as they are copied: a copy that does not match the run's record is not kept.
        let (hash, bytes) = try Self.copy(
            source, to: output ?? "", expecting: weights.sha256, existing: force.existing,
            protected: store.protectedFiles())
        return Result(
            run: id!, name: detail.run.name, source: source, output: URL(fileURLWithPath: output ?? "").path,
            sha256: hash, bytes: bytes,
            metric: ranked.map { _ in metric }, value: ranked.flatMap { $0.kept ?? $0.best })
    }

    /// Copies `source` to `target` through ``OutputFile`` in 1 MiB blocks, hashing them; when the hash is not
    /// `expected`, the copy is discarded (the target is left as it was) and ``ExportError/checksum`` thrown.
    static func copy(
        _ source: String, to target: String, expecting expected: String, existing: ExistingFile,
        protected: [ProtectedFile]
    ) throws -> (hash: String, bytes: Int64) {
        // Refuse a bad target before reading anything.
        try OutputFile.check(target, existing: existing, protected: protected)
        let input: FileHandle
        do { input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source)) } catch {
            throw ExportError.unreadable(source, error.localizedDescription)
        }
        defer { try? input.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        var hash = ""
        try OutputFile.write(to: target, existing: existing, protected: protected) { writer in
            while true {
                let block: Data?
                do { block = try input.read(upToCount: 1 << 20) } catch {
                    throw ExportError.unreadable(source, error.localizedDescription)
                }
                guard let block, !block.isEmpty else { break }
                hasher.update(block)
                try writer.write(block)
                bytes += Int64(block.count)
            }
            hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard hash == expected else { throw ExportError.checksum(source, expected, hash) }
        }
        return (hash, bytes)
    }

    /// `--mlflow DIR`: the chosen runs in MLflow's file-store layout (``MLflowExport``).
    func exportMLflow(to folder: String) throws -> MLflowExport.Summary {
        let runStore = try store.openForReading()
        var chosen: [RunRecord] = []
        if !runIDs.isEmpty {
            for id in runIDs {
                guard let run = try runStore.run(id) else { throw RunStoreError.noSuchRun(id) }
                chosen.append(run)
            }
        } else {
            if let experiment, try runStore.experiment(named: experiment) == nil {
                throw RunStoreError.noSuchExperiment(experiment)
            }
            chosen = try runStore.runs(RunFilter(experiment: experiment)).reversed().compactMap {
                try runStore.run($0.id)
            }
        }
        guard !chosen.isEmpty else { throw MLflowExportError.noRuns }
        return try MLflowExport.export(store: runStore, runs: chosen, to: folder, force: force.force)
    }

    func run() throws {
        if let mlflow {
            let summary = try exportMLflow(to: mlflow)
            if json {
                print(try StoreFormat.json(summary))
            } else {
                print(
                    "Exported \(summary.runs.count) run(s) of \(summary.experiments) experiment(s) to \(summary.output) "
                        + "(MLflow file store: mlflow ui --backend-store-uri \(summary.output))")
            }
            return
        }
        let result = try export()
        if json {
            print(try StoreFormat.json(result))
        } else {
            var line =
                "Exported run \(result.run) (\(result.name)) to \(result.output): \(result.bytes) bytes, sha256 \(result.sha256)"
            if let metric = result.metric, let value = result.value {
                line += "; \(metric) \(StoreFormat.number(value)) (the exported model on its validation split)"
            }
            print(line)
        }
    }
}

enum ExportError: Error, CustomStringConvertible, LocalizedError {
    case nothingRanked(String)
    case noWeights(Int64, DisplayStatus)
    case missingFile(String)
    case checksum(String, String, String)
    case unreadable(String, String)

    var description: String {
        switch self {
        case .nothingRanked(let metric): return "no run has recorded \(metric) yet."
        case .noWeights(let id, let status): return "run \(id) (\(status.rawValue)) has no weights artifact to export."
        case .missingFile(let path): return "the weights file \(path) is gone."
        case .checksum(let path, let expected, let actual):
            return "\(path) has SHA-256 \(actual), but the run recorded \(expected): the file changed since training."
        case .unreadable(let path, let reason): return "cannot read the weights file \(path): \(reason)"
        }
    }

    var errorDescription: String? { description }
}
