import Checksum
import Foundation
import OutputFiles
import RunStore
import Specs

#if canImport(Glibc)
    import Glibc
#endif

/// `ser export --mlflow DIR`: the store's runs in MLflow's file-store layout (the `mlruns` folder that
/// `mlflow ui --backend-store-uri DIR` and `MlflowClient(tracking_uri=DIR)` read), following
/// `mlflow/store/tracking/file_store.py`:
///
///     DIR/0/meta.yaml                          the Default experiment (empty; MLflow expects it)
///     DIR/<experiment id>/meta.yaml            name, artifact_location, times, lifecycle_stage
///     DIR/<experiment id>/<run uuid>/meta.yaml run_id, run_name, status, start/end time (ms), artifact_uri
///         params/<key>                         each resolved spec key (dotted), its value as text
///         metrics/<name>                       lines `timestamp-ms value step` (step = epoch; 0 for one value)
///         tags/<key>                           mlflow.runName, mlflow.source.*, ser.* (run id, spec hash, machine…)
///         artifacts/                           the weights (checked against their SHA-256) and spec.yaml
///     DIR/.trash/                              (empty; MLflow's client would create it)
///     DIR/.ser-mlflow-export                   what ser wrote (so a later export may replace it, and only it)
///
/// The folder is built beside DIR under a temporary name and renamed into place: DIR is never partial. An
/// existing DIR is used only when it is empty, or (with --force) when it is an export of ser's that holds
/// nothing but what ser wrote.
enum MLflowExport {
    /// The marker file: its first line, then one path per line of everything the export wrote.
    static let markerName = ".ser-mlflow-export"
    static let markerHeader = "ser mlflow export v1"

    /// MLflow's `RunStatus` numbers (mlflow/entities/run_status.py).
    static func status(_ status: RunStatus) -> Int {
        switch status {
        case .running: return 1
        case .queued: return 2
        case .finished: return 3
        case .failed: return 4
        case .interrupted: return 5  // KILLED
        }
    }

    /// The MLflow run id of store run `runID`: 32 hex digits derived from the store's identity and the run id,
    /// so exporting again gives the same ids.
    static func runUUID(store: RunStore, runID: Int64) -> String {
        String(SHA256.hex(of: Data("\(store.identity ?? store.path):\(runID)".utf8)).prefix(32))
    }

    struct Summary: Encodable {
        var output: String
        var experiments: Int
        var runs: [Int64]
    }

    /// Writes `runs` of `store` to `target` (see ``MLflowExport``).
    static func export(store: RunStore, runs: [RunRecord], to target: String, force: Bool) throws -> Summary {
        let targetURL = URL(fileURLWithPath: target).standardizedFileURL
        let replacing = try checkTarget(targetURL, force: force)
        let parent = targetURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(
            ".\(targetURL.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw MLflowExportError.io(staging.path, error.localizedDescription)
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        var writer = TreeWriter(root: staging)
        let experiments = try store.experiments()
        let used = Set(runs.map(\.experimentId))
        let now = Date()
        try writer.file("0/meta.yaml", meta(experimentID: 0, name: "Default", created: now, target: targetURL))
        try writer.folder(".trash")  // MLflow's client creates it on opening; made here, it writes nothing
        for experiment in experiments where used.contains(experiment.id ?? -1) {
            let id = experiment.id ?? 0
            try writer.file(
                "\(id)/meta.yaml",
                meta(experimentID: id, name: experiment.name, created: experiment.createdAt, target: targetURL))
            if !experiment.description.isEmpty {
                try writer.file("\(id)/tags/mlflow.note.content", experiment.description)
            }
        }
        for run in runs { try writeRun(run, store: store, into: &writer, target: targetURL) }
        try writer.file(markerName, ([markerHeader] + writer.written.sorted()).joined(separator: "\n") + "\n")
        try install(staging, at: targetURL, replacing: replacing)
        return Summary(output: targetURL.path, experiments: used.count, runs: runs.compactMap(\.id))
    }

    /// Whether `target` is there to be replaced (an earlier export, with `force`); throws when it may not be used.
    static func checkTarget(_ target: URL, force: Bool) throws -> Bool {
        guard let mode = lstatMode(target.path) else { return false }
        guard mode & S_IFMT == S_IFDIR else {
            let kind =
                mode & S_IFMT == S_IFLNK ? "a symbolic link" : mode & S_IFMT == S_IFREG ? "a file" : "not a folder"
            throw MLflowExportError.notAFolder(target.path, kind)
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? []
        if entries.isEmpty { return true }
        let marker = target.appendingPathComponent(markerName)
        guard let text = try? String(contentsOf: marker, encoding: .utf8), text.hasPrefix(markerHeader + "\n") else {
            throw MLflowExportError.notOurs(target.path)
        }
        guard force else { throw MLflowExportError.exists(target.path) }
        // Only what the earlier export wrote (and the empty folders MLflow's client may add) may be replaced.
        let listed = Set(text.split(separator: "\n").dropFirst().map(String.init)).union([markerName])
        let enumerator = FileManager.default.enumerator(atPath: target.path)
        while let path = enumerator?.nextObject() as? String {
            let full = target.appendingPathComponent(path).path
            if let mode = lstatMode(full), mode & S_IFMT == S_IFDIR { continue }
            if !listed.contains(path) { throw MLflowExportError.foreignFile(target.path, path) }
        }
        return true
    }

    /// Renames the finished `staging` folder to `target`; an earlier export there is renamed aside first and
    /// removed only once the new one is in place (a failure puts it back).
    static func install(_ staging: URL, at target: URL, replacing: Bool) throws {
        var aside: URL?
        if replacing, lstatMode(target.path).map({ $0 & S_IFMT == S_IFDIR }) == true,
            !((try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? []).isEmpty
        {
            let old = staging.deletingLastPathComponent().appendingPathComponent(
                staging.lastPathComponent.replacingOccurrences(of: ".partial", with: ".old"))
            guard rename(target.path, old.path) == 0 else {
                throw MLflowExportError.io(target.path, String(cString: strerror(errno)))
            }
            aside = old
        }
        // rename(2) replaces an empty folder.
        guard rename(staging.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let aside { _ = rename(aside.path, target.path) }
            throw MLflowExportError.io(target.path, reason)
        }
        if let aside { try? FileManager.default.removeItem(at: aside) }
    }

    static func meta(experimentID: Int64, name: String, created: Date, target: URL) -> String {
        let ms = milliseconds(created)
        return """
            artifact_location: \(yaml(target.appendingPathComponent("\(experimentID)").absoluteString))
            creation_time: \(ms)
            experiment_id: '\(experimentID)'
            last_update_time: \(ms)
            lifecycle_stage: active
            name: \(yaml(name))

            """
    }

    static func writeRun(_ run: RunRecord, store: RunStore, into writer: inout TreeWriter, target: URL) throws {
        guard let runID = run.id else { return }
        let detail = try store.detail(of: runID)
        let uuid = runUUID(store: store, runID: runID)
        let folder = "\(run.experimentId)/\(uuid)"
        let start = run.startedAt ?? run.createdAt
        let end = run.status == .running || run.status == .queued ? nil : (run.endedAt ?? run.heartbeatAt)
        try writer.file(
            "\(folder)/meta.yaml",
            """
            artifact_uri: \(yaml(target.appendingPathComponent("\(folder)/artifacts").absoluteString))
            end_time: \(end.map { String(milliseconds($0)) } ?? "null")
            entry_point_name: ''
            experiment_id: '\(run.experimentId)'
            lifecycle_stage: active
            run_id: \(uuid)
            run_name: \(yaml(run.name))
            run_uuid: \(uuid)
            source_name: ''
            source_type: 4
            source_version: ''
            start_time: \(milliseconds(start))
            status: \(status(detail.run.status))
            tags: []
            user_id: ser

            """)
        let parameters: [SpecParameter]
        do { parameters = try SpecParameters.flatten(yaml: run.specYaml) } catch {
            throw MLflowExportError.badSpec(runID, "\(error)")
        }
        for parameter in parameters {
            try writer.file("\(folder)/params/\(parameter.key)", parameter.value)
        }
        for (name, lines) in metricLines(detail) {
            try writer.file("\(folder)/metrics/\(name)", lines.joined(separator: "\n") + "\n")
        }
        var tags: [(String, String)] = [
            ("mlflow.runName", run.name), ("mlflow.source.name", "ser"), ("mlflow.source.type", "LOCAL"),
            ("mlflow.user", "ser"), ("ser.run_id", String(runID)), ("ser.experiment", detail.experiment.name),
            ("ser.status", detail.displayStatus.rawValue), ("ser.spec_hash", run.specHash),
            ("ser.seed", String(run.seed)), ("ser.version", run.toolVersion), ("ser.host", run.host),
        ]
        if !run.sweep.isEmpty { tags.append(("ser.sweep", run.sweep)) }
        if let error = run.error { tags.append(("ser.error", error)) }
        if let environment = detail.environments.last?.environment {
            tags += [
                ("ser.cpu_model", environment.cpuModel), ("ser.cores", String(environment.cores)),
                ("ser.os", environment.os),
                ("ser.blas", "\(environment.blasLibrary) \(environment.blasVersion)"),
                ("ser.blas_core", environment.blasCore + (environment.blasCoreForced ? " (OPENBLAS_CORETYPE)" : "")),
                ("ser.threads", String(environment.threads)), ("ser.blas_threads", String(environment.blasThreads)),
            ]
        }
        for (key, value) in tags { try writer.file("\(folder)/tags/\(key)", value) }
        try writer.folder("\(folder)/artifacts")
        try writer.file("\(folder)/artifacts/spec.yaml", run.specYaml)
        if let weights = detail.artifacts.last(where: { $0.kind == "weights" }) {
            let source = store.resolvedPath(of: weights)
            guard FileManager.default.fileExists(atPath: source) else { throw ExportError.missingFile(source) }
            let name = "\(folder)/artifacts/\(URL(fileURLWithPath: source).lastPathComponent)"
            _ = try Export.copy(
                source, to: writer.root.appendingPathComponent(name).path, expecting: weights.sha256,
                existing: .refuse, protected: [])
            writer.written.insert(name)
        }
    }

    /// Every metric of a run as MLflow metric-file lines: the epochs (step = epoch), and the evaluations of
    /// the valid/test splits and `ser eval --store` (step 0).
    static func metricLines(_ detail: RunDetail) -> [(String, [String])] {
        var metrics: [String: [String]] = [:]
        func add(_ name: String, _ value: Double?, _ date: Date, step: Int) {
            guard let value else { return }
            metrics[name, default: []].append("\(milliseconds(date)) \(value) \(step)")
        }
        for epoch in detail.epochs {
            let t = epoch.recordedAt
            add("train_loss", epoch.trainLoss, t, step: epoch.epoch)
            add("valid_loss", epoch.validLoss, t, step: epoch.epoch)
            add("accuracy", epoch.accuracy, t, step: epoch.epoch)
            add("uar", epoch.balancedAccuracy, t, step: epoch.epoch)
            add("f1_macro", epoch.f1Macro, t, step: epoch.epoch)
            add("lr", epoch.lr, t, step: epoch.epoch)
            add("seconds", epoch.seconds, t, step: epoch.epoch)
        }
        for evaluation in detail.evaluations {
            let t = evaluation.recordedAt
            add("\(evaluation.split)_accuracy", evaluation.accuracy, t, step: 0)
            add("\(evaluation.split)_uar", evaluation.balancedAccuracy, t, step: 0)
            add("\(evaluation.split)_f1_macro", evaluation.f1Macro, t, step: 0)
            add("\(evaluation.split)_loss", evaluation.loss, t, step: 0)
        }
        for evaluation in detail.storedEvaluations {
            let t = evaluation.recordedAt
            let prefix = "eval_\(evaluation.id ?? 0)"
            add("\(prefix)_accuracy", evaluation.accuracy, t, step: 0)
            add("\(prefix)_uar", evaluation.balancedAccuracy, t, step: 0)
            add("\(prefix)_f1_macro", evaluation.f1Macro, t, step: 0)
        }
        return metrics.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The `st_mode` of what is at `path` (not following a symbolic link); nil when nothing is there.
    static func lstatMode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode : nil
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// A YAML double-quoted scalar (JSON's string syntax, which YAML reads).
    static func yaml(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "''"
    }

    /// Writes files under the staging folder and remembers their relative paths (for the marker).
    struct TreeWriter {
        let root: URL
        var written: Set<String> = []

        mutating func folder(_ path: String) throws {
            let url = root.appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw MLflowExportError.io(url.path, error.localizedDescription)
            }
        }

        mutating func file(_ path: String, _ text: String) throws {
            // Names come from the store (spec keys, split names): a hand-edited one must not lead elsewhere.
            let components = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw MLflowExportError.badName(path)
            }
            let url = root.appendingPathComponent(path)
            try folder((path as NSString).deletingLastPathComponent)
            do {
                try Data(text.utf8).write(to: url, options: .withoutOverwriting)
            } catch {
                throw MLflowExportError.io(url.path, error.localizedDescription)
            }
            written.insert(path)
        }
    }
}

enum MLflowExportError: Error, CustomStringConvertible, LocalizedError {
    case notAFolder(String, String)
    case notOurs(String)
    case exists(String)
    case foreignFile(String, String)
    case io(String, String)
    case noRuns
    case badName(String)
    case badSpec(Int64, String)

    var description: String {
        switch self {
        case .notAFolder(let path, let kind):
            return "\(path) is \(kind), not a folder; --mlflow needs a new or empty folder (or an earlier export)."
        case .notOurs(let path):
            return
                "\(path) is a folder with files that ser did not export; --mlflow writes only into a new or empty "
                + "folder, or over an earlier `ser export --mlflow` (with --force). Choose another folder."
        case .exists(let path):
            return "\(path) holds an earlier MLflow export; pass --force to replace it, or choose another folder."
        case .foreignFile(let path, let file):
            return
                "\(path) holds \(file), which the earlier export did not write (a run logged there by MLflow?); "
                + "it is not replaced. Move that file away or choose another folder."
        case .io(let path, let reason): return "cannot write \(path): \(reason)"
        case .noRuns: return "no runs to export (the store, or --experiment, has none)."
        case .badName(let path):
            return
                "the store names a file \(path) for the export, with an empty, '.' or '..' part (a hand-edited spec "
                + "key or split?); correct it in the store or leave that run out."
        case .badSpec(let run, let reason):
            return "run \(run)'s recorded spec does not read as YAML (\(reason)); leave that run out of the export."
        }
    }

    var errorDescription: String? { description }
}
