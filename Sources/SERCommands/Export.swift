import ArgumentParser
import Checksum
import Foundation
import Inference
import NeuralNet
import OutputFiles
import RunStore

/// `ser export`: copy a run's trained weights out of the runs folder.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Copy a run's weights (safetensors) to a file, checking their SHA-256; --best picks the best run, --ensemble joins several, --format onnx writes ONNX."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The run id (or use --best); with --ensemble, several.", valueName: "run"))
    var runIDs: [Int64] = []

    /// The one run id of a plain export.
    var runID: Int64? { runIDs.first }

    @Flag(
        help:
            "Write one model file holding every named run's network (or every finished run of --experiment); predict, eval and listen average their probabilities."
    )
    var ensemble = false

    @Option(help: "The file's format: safetensors (ser's model file) or onnx (ONNX opset 13, for ONNX Runtime).")
    var format: ModelFileFormat = .safetensors

    @Flag(help: "Export the run with the best --metric (within --experiment).")
    var best = false

    @Option(
        help: ArgumentHelp(
            "The metric --best ranks by: \(StoreMetric.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "metric"))
    var metric: String = StoreMetric.accuracy.rawValue

    @Option(
        help: ArgumentHelp(
            "With --best: only runs of this experiment; with --ensemble: all its finished runs.", valueName: "name"))
    var experiment: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the weights.", valueName: "file"))
    var output: String

    @OptionGroup var force: ForceOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if ensemble {
            if best { throw ValidationError("--ensemble takes run ids or --experiment, not --best.") }
            if runIDs.isEmpty == (experiment == nil) {
                throw ValidationError("--ensemble takes run ids or --experiment (not both).")
            }
        } else {
            if (runID == nil) == !best { throw ValidationError("give a run id or --best (not both).") }
            if runIDs.count > 1 { throw ValidationError("several run ids need --ensemble.") }
            if !best && experiment != nil {
                throw ValidationError("--experiment applies to --best and --ensemble only.")
            }
        }
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
        /// The runs of an ensemble, in member order.
        var members: [Int64]?
        /// `safetensors` or `onnx`.
        var format: String?
    }

    func export() throws -> Result {
        if ensemble { return try exportEnsemble() }
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
        if format == .onnx {
            var result = try write(ModelFileFormat.verifiedBundle(source, expecting: weights.sha256), runs: [id!])
            result.name = detail.run.name
            result.source = source
            result.metric = ranked.map { _ in metric }
            result.value = ranked.flatMap { $0.kept ?? $0.best }
            return result
        }
        // The bytes are hashed as they are copied: a copy that does not match the run's record is not kept.
        let (hash, bytes) = try Self.copy(
            source, to: output, expecting: weights.sha256, existing: force.existing,
            protected: store.protectedFiles())
        return Result(
            run: id!, name: detail.run.name, source: source, output: URL(fileURLWithPath: output).path,
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

    func run() throws {
        let result = try export()
        if json {
            print(try StoreFormat.json(result))
        } else if let members = result.members {
            print(
                "Exported an ensemble of runs \(members.map(String.init).joined(separator: ", ")) to \(result.output) (\(format.rawValue)): \(result.bytes) bytes, sha256 \(result.sha256)"
            )
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

extension Export {
    /// The finished runs an ensemble is made of: the run ids given, or every finished run of `--experiment`
    /// (oldest first), each with its weights file (checked against the run's SHA-256) loaded.
    func exportEnsemble() throws -> Result {
        let runStore = try store.openForReading()
        // Refuse a bad target before reading any weights.
        try OutputFile.check(output, existing: force.existing, protected: store.protectedFiles())
        var ids = runIDs
        if let experiment {
            ids = try runStore.runs(RunFilter(experiment: experiment, statuses: [.finished])).map(\.id).sorted()
            if ids.isEmpty { throw ExportError.noFinishedRuns(experiment) }
        }
        var bundles: [ModelBundle] = []
        for id in ids {
            let detail = try runStore.detail(of: id)
            guard let weights = detail.artifacts.last(where: { $0.kind == "weights" }) else {
                throw ExportError.noWeights(id, detail.displayStatus)
            }
            let source = runStore.resolvedPath(of: weights)
            guard FileManager.default.fileExists(atPath: source) else { throw ExportError.missingFile(source) }
            bundles.append(try ModelFileFormat.verifiedBundle(source, expecting: weights.sha256))
        }
        let bundle = try ModelBundle(ensembleOf: bundles, names: ids.map { "run \($0)" })
        return try write(bundle, runs: ids)
    }

    /// Writes `bundle` in `format` to `output` through ``OutputFile``.
    func write(_ bundle: ModelBundle, runs: [Int64]) throws -> Result {
        let protected = try store.protectedFiles()
        let data: Data
        switch format {
        case .onnx: data = try ONNXExport.data(of: bundle)
        case .safetensors: data = try SafeTensors.data(bundle.tensors(), metadata: bundle.metadata())
        }
        try OutputFile.write(data, to: output, existing: force.existing, protected: protected)
        return Result(
            run: runs[0], name: bundle.source.runName ?? "", source: "", output: URL(fileURLWithPath: output).path,
            sha256: SHA256.hex(of: data), bytes: Int64(data.count), members: runs.count > 1 ? runs : nil,
            format: format.rawValue)
    }
}

/// The formats `ser export --format` writes.
enum ModelFileFormat: String, ExpressibleByArgument, CaseIterable {
    case safetensors, onnx

    /// The model file at `path` after checking that its bytes have the SHA-256 its run recorded.
    static func verifiedBundle(_ path: String, expecting expected: String) throws -> ModelBundle {
        let hash: String
        do { hash = try SHA256.hexAndSize(ofFileAt: path).hex } catch {
            throw ExportError.unreadable(path, error.localizedDescription)
        }
        guard hash == expected else { throw ExportError.checksum(path, expected, hash) }
        return try ModelBundle.load(from: URL(fileURLWithPath: path))
    }
}

enum ExportError: Error, CustomStringConvertible, LocalizedError {
    case nothingRanked(String)
    case noWeights(Int64, DisplayStatus)
    case missingFile(String)
    case checksum(String, String, String)
    case unreadable(String, String)
    case noFinishedRuns(String)

    var description: String {
        switch self {
        case .nothingRanked(let metric): return "no run has recorded \(metric) yet."
        case .noWeights(let id, let status): return "run \(id) (\(status.rawValue)) has no weights artifact to export."
        case .missingFile(let path): return "the weights file \(path) is gone."
        case .checksum(let path, let expected, let actual):
            return "\(path) has SHA-256 \(actual), but the run recorded \(expected): the file changed since training."
        case .unreadable(let path, let reason): return "cannot read the weights file \(path): \(reason)"
        case .noFinishedRuns(let experiment):
            return
                "experiment '\(experiment)' has no finished run to put in an ensemble; see `ser runs --experiment \(experiment)`."
        }
    }

    var errorDescription: String? { description }
}
