import Checksum
import Foundation
import GRDB

/// What `ser store copy` did with one run.
public struct RunCopy: Codable, Equatable, Sendable {
    /// The run's id in the source store.
    public var sourceRun: Int64
    /// Its id in the destination store.
    public var run: Int64
    /// False when the destination held the run already (copied before): nothing was written.
    public var copied: Bool
    /// Files copied into the destination's run folder.
    public var files: Int
}

/// Why a run could not be copied.
public enum StoreCopyError: Error, CustomStringConvertible, LocalizedError {
    case running(Int64)
    case checksum(run: Int64, path: String, expected: String, found: String)
    case unreadable(run: Int64, path: String, reason: String)
    case unwritable(run: Int64, path: String, reason: String)

    public var description: String {
        switch self {
        case .running(let id): return "run \(id) is still running; copy it once it has ended (or `ser rm`/resume it)."
        case .checksum(let id, let path, let expected, let found):
            return
                "run \(id)'s file \(path) has SHA-256 \(found), not the \(expected) the source store recorded; it was "
                + "changed or damaged, so the run was not copied."
        case .unreadable(let id, let path, let reason):
            return "cannot read run \(id)'s file \(path): \(reason); the run was not copied."
        case .unwritable(let id, let path, let reason):
            return "cannot copy run \(id)'s file to \(path): \(reason); the run was not copied."
        }
    }

    public var errorDescription: String? { description }
}

extension RunStore {
    /// Copies run `id` of `source` into this store, with its rows and files (checked by SHA-256), as a new run
    /// with this store's next id and run folder. A run is the same run when its experiment, name, spec hash,
    /// seed and creation time (to the millisecond) are: copying it again finds it and writes nothing.
    /// Rows go in one transaction; when anything fails, the run folder this call made is removed again.
    /// - Throws: ``StoreCopyError`` for a running run or a file whose checksum differs; store errors.
    public func copyRun(_ id: Int64, from source: RunStore) throws -> RunCopy {
        let detail = try source.detail(of: id)
        var run = detail.run
        if detail.displayStatus == .running {
            throw StoreCopyError.running(id)
        }
        if run.status == .running {  // stale: its process is gone
            run.status = .interrupted
            run.error = run.error ?? "stale: the process stopped without closing the run"
        }
        let key: [(any DatabaseValueConvertible)?] = [
            detail.experiment.name, run.name, run.specHash, run.seed, run.createdAt,
        ]
        let sameRun = """
            SELECT run.id FROM run JOIN experiment ON experiment.id = run.experiment_id
            WHERE experiment.name = ? AND run.name = ? AND run.spec_hash = ? AND run.seed = ? AND run.created_at = ?
            ORDER BY run.id LIMIT 1
            """
        if let row = try read({ try $0.row(sameRun, key) }), let existing = row["id"] as Int64? {
            return RunCopy(sourceRun: id, run: existing, copied: false, files: 0)
        }
        var predictions: [PredictionRecord] = []
        for evaluation in detail.evaluations {
            predictions += try source.predictions(of: id, split: evaluation.split)
        }
        // The files, checked against the source's checksums before anything is written.
        let sourceFolder = source.runFolder(of: id).standardizedFileURL.path + "/"
        var files: [(artifact: ArtifactRecord, from: String, relative: String)] = []
        for artifact in detail.artifacts {
            let from = source.resolvedPath(of: artifact)
            let found: String
            do {
                found = try SHA256.hexAndSize(ofFileAt: from).0
            } catch {
                throw StoreCopyError.unreadable(run: id, path: from, reason: error.localizedDescription)
            }
            guard found == artifact.sha256 else {
                throw StoreCopyError.checksum(run: id, path: from, expected: artifact.sha256, found: found)
            }
            let relative =
                from.hasPrefix(sourceFolder)
                ? String(from.dropFirst(sourceFolder.count)) : URL(fileURLWithPath: from).lastPathComponent
            files.append((artifact, from, relative))
        }
        // The other files of a checkpoint (its tensors), which `ser resume` needs beside checkpoint.json.
        var extra: [(from: String, relative: String)] = []
        for file in files where file.artifact.kind == "checkpoint" {
            let folder = URL(fileURLWithPath: file.from).deletingLastPathComponent()
            let relativeFolder = URL(fileURLWithPath: file.relative).deletingLastPathComponent().relativePath
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted()
            where RunFolders.isCheckpointFile(name) && name != URL(fileURLWithPath: file.from).lastPathComponent
                && FileKind(path: folder.appendingPathComponent(name).path) == .regular
            {
                let relative = relativeFolder == "." ? name : relativeFolder + "/" + name
                extra.append((folder.appendingPathComponent(name).path, relative))
            }
        }

        var madeFolder: URL?
        do {
            let result = try write { tx -> RunCopy in
                try tx.execute(
                    "INSERT INTO experiment (name, description, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
                    [detail.experiment.name, detail.experiment.description, detail.experiment.createdAt])
                guard
                    let experiment = try tx.row("SELECT id FROM experiment WHERE name = ?", [detail.experiment.name]),
                    let experimentID = experiment["id"] as Int64?
                else { throw RunStoreError.noSuchExperiment(detail.experiment.name) }
                run.id = nil
                run.experimentId = experimentID
                guard let newID = try tx.insert(run) else {
                    throw RunStoreError.database(path: path, message: "the copied run got no id")
                }
                let existed = FileKind(path: runFolder(of: newID).path) != nil
                let folder = try prepareRunFolder(newID)
                if !existed { madeFolder = folder }
                // A file recorded twice (a resumed run records its weights again) is copied once.
                var copied: [String: String] = [:]
                func copy(_ from: String, _ relative: String) throws -> String {
                    if let target = copied[from] { return target }
                    let target = folder.appendingPathComponent(relative)
                    do {
                        try FileManager.default.createDirectory(
                            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try FileManager.default.copyItem(atPath: from, toPath: target.path)
                    } catch {
                        throw StoreCopyError.unwritable(run: id, path: target.path, reason: error.localizedDescription)
                    }
                    copied[from] = target.path
                    return target.path
                }
                for file in files {
                    let target = try copy(file.from, file.relative)
                    let (hash, bytes) = try SHA256.hexAndSize(ofFileAt: target)
                    guard hash == file.artifact.sha256 else {
                        throw StoreCopyError.checksum(
                            run: id, path: target, expected: file.artifact.sha256, found: hash)
                    }
                    var artifact = file.artifact
                    artifact.id = nil
                    artifact.runId = newID
                    artifact.path = storedPath(target)
                    artifact.bytes = bytes
                    try tx.insert(artifact)
                }
                for file in extra { _ = try copy(file.from, file.relative) }
                for var epoch in detail.epochs {
                    epoch.runId = newID
                    try tx.insert(epoch)
                }
                for var point in detail.lrFinder {
                    point.runId = newID
                    try tx.insert(point)
                }
                for var suggestion in detail.suggestions {
                    suggestion.runId = newID
                    try tx.insert(suggestion)
                }
                for var evaluation in detail.evaluations {
                    evaluation.runId = newID
                    try tx.insert(evaluation)
                }
                for var metric in detail.classMetrics {
                    metric.runId = newID
                    try tx.insert(metric)
                }
                for var prediction in predictions {
                    prediction.runId = newID
                    try tx.insert(prediction)
                }
                return RunCopy(sourceRun: id, run: newID, copied: true, files: copied.count)
            }
            return result
        } catch {
            // Only the folder this call created (a new run id's), with what it copied into it.
            if let madeFolder { try? FileManager.default.removeItem(at: madeFolder) }
            throw error
        }
    }
}
