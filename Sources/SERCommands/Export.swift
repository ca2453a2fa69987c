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
            "Copy a run's weights (safetensors) to a file, checking their SHA-256; --best picks the best run, --ensemble joins several, --format onnx writes ONNX, --mlflow writes runs as an MLflow file store."
    )

    @OptionGroup var store: StoreOptions

    @Argument(
        help: ArgumentHelp(
            "The run id (or use --best); with --ensemble or --mlflow, several; with --ensemble --group, the group id.",
            valueName: "run"))
    var runIDs: [Int64] = []

    /// The one run id of a plain export.
    var runID: Int64? { runIDs.first }

    @Flag(
        help:
            "Write one model file holding every named run's network (or every finished run of --experiment, or of the group --group ID); predict, eval and listen average their probabilities."
    )
    var ensemble = false

    @Option(help: "The file's format: safetensors (ser's model file) or onnx (ONNX opset 13, for ONNX Runtime).")
    var format: ModelFileFormat = .safetensors

    @Flag(
        help:
            "Export the run with the best --metric (within --experiment): on the test set when runs have one, else on the validation split (with a warning)."
    )
    var best = false

    @Option(
        help: ArgumentHelp(
            "The metric --best ranks by: \(StoreMetric.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "metric"))
    var metric: String = StoreMetric.uar.rawValue

    @Flag(
        help:
            "With --best: pick the group (k-fold, sweep) with the best mean, then its best run. With --ensemble: the id given is a group's (`ser show RUN` lists a run's groups), whose finished runs are the members."
    )
    var group = false

    @Option(
        help: ArgumentHelp(
            "With --best or --mlflow: only runs of this experiment; with --ensemble: all its finished runs.",
            valueName: "name"))
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
            if best || output != nil || ensemble || format != .safetensors {
                throw ValidationError(
                    "--mlflow exports runs, not weights: leave out --best, --ensemble, --format and -o.")
            }
            if !runIDs.isEmpty && experiment != nil {
                throw ValidationError("give run ids or --experiment (not both).")
            }
            return
        }
        if output == nil { throw ValidationError("missing -o/--output FILE (where to write the weights).") }
        if ensemble {
            if best { throw ValidationError("--ensemble takes run ids, --group ID or --experiment, not --best.") }
            if group {
                if runIDs.count != 1 || experiment != nil {
                    throw ValidationError(
                        "--ensemble --group takes one group id (`ser show RUN` lists a run's groups), and no --experiment."
                    )
                }
                return
            }
            if runIDs.isEmpty == (experiment == nil) {
                throw ValidationError("--ensemble takes run ids or --experiment (not both).")
            }
        } else {
            if (runID == nil) == !best { throw ValidationError("give a run id or --best (not both).") }
            if runIDs.count > 1 { throw ValidationError("several run ids need --ensemble or --mlflow.") }
            if !best && experiment != nil {
                throw ValidationError("--experiment applies to --best and --ensemble only.")
            }
        }
        do { _ = try StoreMetric.named(metric) } catch { throw ValidationError("\(error)") }
        if group && !best { throw ValidationError("--group applies to --best and --ensemble only.") }
        if group, let metric = try? StoreMetric.named(metric), Self.groupMetrics(metric) == nil {
            throw ValidationError(
                "--group ranks by accuracy, uar or f1_macro (or their test_ versions), not \(metric.rawValue).")
        }
    }

    struct Result: Encodable {
        var runId: Int64
        var name: String
        var source: String
        var output: String
        var sha256: String
        var bytes: Int64
        var metric: String?
        var value: Double?
        /// With --best: `test` or `valid`, the split the ranking used.
        var rankedOn: String? = nil
        /// With --best --group: the group chosen and its mean of the metric.
        var groupId: Int64? = nil
        var groupMean: Double? = nil
        /// Set when --best ranked on the validation split, which the runs selected their weights on.
        var warning: String? = nil
        /// The runs of an ensemble, in member order.
        var members: [Int64]?
        /// `safetensors` or `onnx`.
        var format: String?
    }

    /// The stored group aggregates (`final_…`, `test_…`) measuring `metric`; nil for losses.
    static func groupMetrics(_ metric: StoreMetric) -> (valid: String?, test: String)? {
        switch metric {
        case .accuracy: return ("final_accuracy", "test_accuracy")
        case .uar: return ("final_uar", "test_uar")
        case .f1Macro: return ("final_f1", "test_f1")
        case .testAccuracy: return (nil, "test_accuracy")
        case .testUAR: return (nil, "test_uar")
        case .testF1Macro: return (nil, "test_f1")
        default: return nil
        }
    }

    /// What --best picks: the best run by the test version of the metric when some run has it, else by the
    /// metric on the validation split (and a warning saying so); with --group, the best group's mean first.
    func bestRun(_ runStore: RunStore) throws -> (
        run: RunMetrics, rankedOn: String, group: RunGroupSummary?, mean: Double?, warning: String?
    ) {
        let asked = try StoreMetric.named(metric)
        let test = asked.isTest ? asked : asked.testCounterpart
        var candidates: Set<Int64>?
        var chosenGroup: RunGroupSummary?
        var groupMean: Double?
        var groupOnTest = false
        if group, let names = Self.groupMetrics(asked) {
            if let experiment, try runStore.experiment(named: experiment) == nil {
                throw RunStoreError.noSuchExperiment(experiment)
            }
            let groups = try runStore.groups(experiment: experiment)
            func mean(_ group: RunGroupSummary, _ name: String?) -> Double? {
                group.metrics.first { $0.metric == name }?.mean
            }
            groupOnTest = groups.contains { mean($0, names.test) != nil }
            let name = groupOnTest ? names.test : names.valid
            let ranked = groups.compactMap { g in mean(g, name).map { (g, $0) } }
            guard let top = ranked.max(by: { $0.1 < $1.1 }) else { throw ExportError.noGroup(metric) }
            chosenGroup = top.0
            groupMean = top.1
            candidates = Set(top.0.runIds)
        }
        func ranked(_ metric: StoreMetric) throws -> RunMetrics? {
            if let candidates {
                return try runStore.compare(runIDs: Array(candidates), metric: metric).filter { $0.best != nil }.min {
                    let x = $0.kept ?? $0.best!, y = $1.kept ?? $1.best!
                    return metric.higherIsBetter ? x > y : x < y
                }
            }
            return try runStore.bestRun(metric: metric, experiment: experiment)
        }
        if let test, let top = try ranked(test) {
            return (top, "test", chosenGroup, groupMean, nil)
        }
        if asked.isTest { throw ExportError.nothingRanked(asked.rawValue) }
        guard let top = try ranked(asked) else { throw ExportError.nothingRanked(asked.rawValue) }
        let warning =
            "ranking by \(asked.rawValue) on the validation split: no candidate run has a test evaluation, and the "
            + "validation split is what each run selected its weights on, so the value overstates how the model does on "
            + "unheard data (add a `test:` section to the spec to rank on held-out data)."
        return (top, "valid", chosenGroup, groupMean, warning)
    }

    func export() throws -> Result {
        if ensemble { return try exportEnsemble() }
        let runStore = try store.openForReading()
        var id = runID
        var ranked: RunMetrics?
        var choice: (run: RunMetrics, rankedOn: String, group: RunGroupSummary?, mean: Double?, warning: String?)?
        if best {
            let top = try bestRun(runStore)
            choice = top
            ranked = top.run
            id = top.run.runID
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
            source, to: output ?? "", expecting: weights.sha256, existing: force.existing,
            protected: store.protectedFiles())
        return Result(
            runId: id!, name: detail.run.name, source: source, output: URL(fileURLWithPath: output ?? "").path,
            sha256: hash, bytes: bytes,
            metric: ranked.map { $0.metric.rawValue }, value: ranked.flatMap { $0.kept ?? $0.best },
            rankedOn: choice?.rankedOn, groupId: choice?.group?.groupId, groupMean: choice?.mean,
            warning: choice?.warning)
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
        if let warning = result.warning {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        if json {
            print(try StoreFormat.json(result))
        } else if let members = result.members {
            let group = result.groupId.map { " (group \($0))" } ?? ""
            print(
                "Exported an ensemble of runs \(members.map(String.init).joined(separator: ", "))\(group) to \(result.output) (\(format.rawValue)): \(result.bytes) bytes, sha256 \(result.sha256)"
            )
        } else {
            var line =
                "Exported run \(result.runId) (\(result.name)) to \(result.output): \(result.bytes) bytes, sha256 \(result.sha256)"
            if let metric = result.metric, let value = result.value {
                line +=
                    "; \(metric) \(StoreFormat.number(value)) (the exported model on its "
                    + (result.rankedOn == "test" ? "test set)" : "validation split)")
            }
            if let group = result.groupId, let mean = result.groupMean {
                line += "; best group \(group), mean \(StoreFormat.number(mean))"
            }
            print(line)
        }
    }
}

extension Export {
    /// The finished runs an ensemble is made of: the run ids given, the finished runs of the group `--group ID`,
    /// or every finished run of `--experiment` (oldest first; refused when the experiment has several groups,
    /// which the ensemble would mix), each with its weights file (checked against the run's SHA-256) loaded.
    func exportEnsemble() throws -> Result {
        let runStore = try store.openForReading()
        guard let output else { throw ValidationError("missing -o/--output FILE (where to write the model).") }
        // Refuse a bad target before reading any weights.
        try OutputFile.check(output, existing: force.existing, protected: store.protectedFiles())
        var ids = runIDs
        var groupID: Int64?
        if group, let id = runIDs.first {
            let groups = try runStore.groups()
            guard let chosen = groups.first(where: { $0.groupId == id }) else {
                throw ExportError.noSuchGroup(id, groups)
            }
            let finished = Set(try runStore.runs(RunFilter(statuses: [.finished])).map(\.id))
            ids = chosen.runIds.filter(finished.contains).sorted()
            if ids.isEmpty { throw ExportError.noFinishedRunsInGroup(chosen) }
            groupID = id
        } else if let experiment {
            let groups = try runStore.groups(experiment: experiment)
            if groups.count > 1 { throw ExportError.severalGroups(experiment, groups) }
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
        var result = try write(bundle, runs: ids)
        result.groupId = groupID
        return result
    }

    /// Writes `bundle` in `format` to `output` through ``OutputFile``.
    func write(_ bundle: ModelBundle, runs: [Int64]) throws -> Result {
        guard let output else { throw ValidationError("missing -o/--output FILE (where to write the model).") }
        let protected = try store.protectedFiles()
        let data: Data
        switch format {
        case .onnx: data = try ONNXExport.data(of: bundle)
        case .safetensors: data = try SafeTensors.data(bundle.tensors(), metadata: bundle.metadata())
        }
        try OutputFile.write(data, to: output, existing: force.existing, protected: protected)
        return Result(
            runId: runs[0], name: bundle.source.runName ?? "", source: "", output: URL(fileURLWithPath: output).path,
            sha256: SHA256.hex(of: data), bytes: Int64(data.count), metric: nil, value: nil,
            members: runs.count > 1 ? runs : nil,
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
    case noGroup(String)
    case noWeights(Int64, DisplayStatus)
    case missingFile(String)
    case checksum(String, String, String)
    case unreadable(String, String)
    case noFinishedRuns(String)
    /// `--ensemble --group ID` naming no group; the store's groups.
    case noSuchGroup(Int64, [RunGroupSummary])
    case noFinishedRunsInGroup(RunGroupSummary)
    /// `--ensemble --experiment` of an experiment with several groups (folds of each sweep combination, the
    /// sweep, or the experiment run twice), which one ensemble would mix.
    case severalGroups(String, [RunGroupSummary])

    /// One group as the errors list it: `group 2 (kfold model.depth=18: runs 3, 4)`.
    static func describe(_ group: RunGroupSummary) -> String {
        let label = group.label.isEmpty ? "" : " " + group.label
        return
            "group \(group.groupId) (\(group.kind.rawValue)\(label): runs \(group.runIds.map(String.init).joined(separator: ", ")))"
    }

    var description: String {
        switch self {
        case .nothingRanked(let metric): return "no run has recorded \(metric) yet."
        case .noGroup(let metric):
            return
                "no group (k-fold or sweep) has a finished run with \(metric) yet; drop --group to rank single runs."
        case .noWeights(let id, let status): return "run \(id) (\(status.rawValue)) has no weights artifact to export."
        case .missingFile(let path): return "the weights file \(path) is gone."
        case .checksum(let path, let expected, let actual):
            return "\(path) has SHA-256 \(actual), but the run recorded \(expected): the file changed since training."
        case .unreadable(let path, let reason): return "cannot read the weights file \(path): \(reason)"
        case .noFinishedRuns(let experiment):
            return
                "experiment '\(experiment)' has no finished run to put in an ensemble; see `ser runs --experiment \(experiment)`."
        case .noSuchGroup(let id, let groups):
            return "the store has no group \(id); "
                + (groups.isEmpty
                    ? "it has no groups (a k-fold or a sweep makes one): name the runs instead."
                    : "its groups: \(groups.map(Self.describe).joined(separator: "; ")).")
        case .noFinishedRunsInGroup(let group):
            return
                "\(Self.describe(group)) has no finished run to put in an ensemble; see `ser runs --experiment \(group.experiment)`."
        case .severalGroups(let experiment, let groups):
            return
                "experiment '\(experiment)' has \(groups.count) groups, and one ensemble of all its finished runs would mix them: "
                + groups.map(Self.describe).joined(separator: "; ")
                + ". Choose one with `ser export --ensemble --group ID`, or name the runs."
        }
    }

    var errorDescription: String? { description }
}
