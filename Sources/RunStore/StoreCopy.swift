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
    /// Where run `id` of this store comes from: the origin recorded when it was copied here (`run_origin`), else
    /// this store's identity (its file path or URL for a store without one) and the run's id.
    public func origin(of id: Int64) throws -> RunOrigin {
        try read { tx in
            if try tx.tableExists("run_origin"),
                let row = try tx.row("SELECT source_store, source_run FROM run_origin WHERE run_id = ?", [id])
            {
                let r = StoreRow(row, table: "run_origin", key: "run \(id)")
                return RunOrigin(store: try r.value("source_store"), run: try r.value("source_run"))
            }
            return RunOrigin(store: identity ?? path, run: id)
        }
    }

    /// The run of this store that is `origin` (itself, or a copy of it), if any.
    func localRun(_ origin: RunOrigin, _ tx: any StoreTransaction) throws -> Int64? {
        if origin.store == (identity ?? path) {
            return try tx.row("SELECT id FROM run WHERE id = ?", [origin.run])?["id"]
        }
        guard try tx.tableExists("run_origin") else { return nil }
        return try tx.row(
            "SELECT run_id FROM run_origin WHERE source_store = ? AND source_run = ?", [origin.store, origin.run]
        )?["run_id"]
    }

    /// Copies run `id` of `source` into this store, with its rows and files (checked by SHA-256), as a new run
    /// with this store's next id and run folder, recording where it came from (``origin(of:)``: the source
    /// store's identity and run id, in `run_origin`). A run whose origin this store holds already (copied
    /// before, also when it went A→B→A) is found and nothing is written; so is one copied by an older `ser`
    /// without an origin, when its experiment, name, spec hash, seed and creation time (to the millisecond) match.
    /// Its parameters, environments, stored evaluations and groups (joined to the copies of its fellow members,
    /// aggregates recomputed) come along; its queue row does not.
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
        let origin = try source.origin(of: id)
        if let existing = try read({ try localRun(origin, $0) }) {
            return RunCopy(sourceRun: id, run: existing, copied: false, files: 0)
        }
        let key: [(any DatabaseValueConvertible)?] = [
            detail.experiment.name, run.name, run.specHash, run.seed, run.createdAt,
        ]
        let sameRun = """
            SELECT run.id FROM run JOIN experiment ON experiment.id = run.experiment_id
            WHERE experiment.name = ? AND run.name = ? AND run.spec_hash = ? AND run.seed = ? AND run.created_at = ?
                AND NOT EXISTS (SELECT 1 FROM run_origin o WHERE o.run_id = run.id)
            ORDER BY run.id LIMIT 1
            """
        // A copy made before `v9-run-origin` has no origin row: it is recognised by its fields (only among runs
        // without an origin, so two runs of the source that share them are both copied).
        if origin.store != (identity ?? path), let row = try read({ try $0.row(sameRun, key) }),
            let existing = row["id"] as Int64?
        {
            return RunCopy(sourceRun: id, run: existing, copied: false, files: 0)
        }
        let parameters = try source.hasParameters() ? try source.parameters(of: id) : []
        let environments = try source.environments(of: id)
        let storedEvaluations = try source.storedEvaluations(of: id)
        // Each group with the origins of its other members, to find the group their copies joined here.
        let groups = try source.groups(containing: id).map { group in
            (group, try group.runIds.filter { $0 != id }.map { try source.origin(of: $0) })
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
                func insert<R: RunOwnedRecord>(_ records: [R]) throws {
                    for var record in records {
                        record.runId = newID
                        try tx.insert(record)
                    }
                }
                try insert(detail.epochs)
                try insert(detail.lrFinder)
                try insert(detail.suggestions)
                try insert(detail.evaluations)
                try insert(detail.classMetrics)
                try insert(predictions)
                try Self.insertParameters(runID: newID, parameters, tx)
                for environment in environments {
                    try Self.insertEnvironment(
                        environment.environment, runID: newID, seq: environment.seq, at: environment.recordedAt, tx)
                }
                for var evaluation in storedEvaluations {
                    evaluation.id = nil
                    evaluation.runId = newID
                    try Self.insertStoredEvaluation(evaluation, tx)
                }
                for (group, otherMembers) in groups {
                    try joinCopiedGroup(group, otherMembers: otherMembers, run: newID, experimentID: experimentID, tx)
                }
                try tx.execute(
                    "INSERT INTO run_origin (run_id, source_store, source_run, copied_at) VALUES (?, ?, ?, ?)",
                    [newID, origin.store, origin.run, Date()])
                return RunCopy(sourceRun: id, run: newID, copied: true, files: copied.count)
            }
            return result
        } catch {
            // Only the folder this call created (a new run id's), with what it copied into it.
            if let madeFolder { try? FileManager.default.removeItem(at: madeFolder) }
            throw error
        }
    }

    /// Adds the copied run `run` to the group here that holds copies of `group`'s other members (same kind and
    /// label), or to a new such group, and recomputes that group's aggregates.
    private func joinCopiedGroup(
        _ group: RunGroupSummary, otherMembers: [RunOrigin], run: Int64, experimentID: Int64,
        _ tx: any StoreTransaction
    ) throws {
        var target: Int64?
        for member in otherMembers {
            guard let local = try localRun(member, tx) else { continue }
            target = try tx.row(
                """
                SELECT g.id FROM run_group g JOIN run_group_member m ON m.group_id = g.id
                WHERE m.run_id = ? AND g.kind = ? AND g.label = ? AND g.experiment_id = ? ORDER BY g.id LIMIT 1
                """, [local, group.kind, group.label, experimentID])?["id"]
            if target != nil { break }
        }
        if target == nil {
            target = try tx.insert(RunGroupRecord(experimentId: experimentID, kind: group.kind, label: group.label))
        }
        guard let target else { throw RunStoreError.database(path: path, message: "the copied group got no id") }
        try tx.execute(
            "INSERT INTO run_group_member (group_id, run_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [target, run])
        try Self.refreshGroups([target], tx)
    }
}

/// Where a run comes from: a store's identity and the run's id in that store.
public struct RunOrigin: Codable, Equatable, Hashable, Sendable {
    public var store: String
    public var run: Int64

    public init(store: String, run: Int64) {
        self.store = store
        self.run = run
    }
}
