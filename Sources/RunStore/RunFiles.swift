import Checksum
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// Run folders on disk: which folder a run owns, claiming it with an ownership marker, failure notes, and
/// deleting a run's files without touching anything it does not own.
extension RunStore {
    /// The folder of run `runID`: `<store folder>/<store name>-runs/<run id>/`, or `<store folder>/<run id>/`
    /// for a run recorded before the store had its own runs folder.
    public func runFolder(of runID: Int64) -> URL {
        runID <= legacyRunsThrough ? folders.legacyRunFolder(runID) : folders.runFolder(runID)
    }

    /// Makes sure run `runID` may write into its folder, creating the folder with this store's ownership marker
    /// (and an empty failure note) if needed, and returns it. An existing folder is accepted when its marker names
    /// this store and run, when it is empty, or, for a run recorded before run folders had markers, when its
    /// checkpoint is the one this store recorded.
    /// - Throws: `RunStoreError.runFolderNotOwned` naming the folder otherwise.
    public func prepareRunFolder(_ runID: Int64) throws -> URL {
        guard let identity, !isReadOnly else {
            throw RunStoreError.database(path: path, message: "the store was opened read-only")
        }
        guard hasArtifactRoot else {
            throw RunStoreError.database(
                path: path, message: "the store was opened without its artifact root (--artifacts DIR)")
        }
        let folder = runFolder(of: runID)
        let mine = RunFolderMarker(store: identity, run: runID)
        func refuse(_ reason: String) -> Error {
            RunStoreError.runFolderNotOwned(folder: folder.path, run: runID, reason: reason)
        }
        switch FileKind(path: folder.path) {
        case nil:
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        case .directory:
            if let marker = try RunFolderMarker.read(in: folder, runID: runID) {
                guard marker == mine else {
                    throw refuse(
                        marker.store == identity
                            ? "its marker says it belongs to run \(marker.run) of this store"
                            : "its marker says it belongs to run \(marker.run) of another store (\(marker.store))")
                }
                try FailureNote.prepare(in: folder)
                return folder
            }
            let contents = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            let adoptable = try runID <= legacyRunsThrough && holdsRecordedCheckpoint(runID, folder)
            if !contents.isEmpty && !adoptable {
                throw refuse(
                    "it holds files (\(contents.sorted().prefix(3).joined(separator: ", "))) but no ownership marker")
            }
        case .symbolicLink: throw refuse("it is a symbolic link")
        default: throw refuse("it is not a folder")
        }
        try mine.write(in: folder)
        try FailureNote.prepare(in: folder)
        return folder
    }

    /// Whether `folder/checkpoints/checkpoint.json` is the checkpoint this store last recorded for the run (same
    /// SHA-256; the recorded path may name the folder the store was copied from).
    private func holdsRecordedCheckpoint(_ runID: Int64, _ folder: URL) throws -> Bool {
        guard let recorded = try latestCheckpoint(of: runID) else { return false }
        let file = folder.appendingPathComponent("checkpoints/checkpoint.json").path
        guard FileKind(path: file) == .regular,
            let (hash, _) = try? SHA256.hexAndSize(ofFileAt: file)
        else { return false }
        return hash == recorded.sha256
    }

    /// The failure note of a running run whose end could not be recorded, if any.
    public func failureNote(of runID: Int64) -> FailureNote? {
        path == ":memory:" || !hasArtifactRoot ? nil : FailureNote.read(in: runFolder(of: runID))
    }

    /// Records, for every `running` run with a failure note, the status and reason of the note, then empties it.
    /// Called when a store is opened for writing; a write that fails leaves the note for the next open.
    func applyFailureNotes() {
        guard
            let running = try? read({ tx in
                try tx.rows("SELECT id FROM run WHERE status = 'running'").compactMap { $0["id"] as Int64? }
            })
        else { return }
        for id in running {
            guard let note = failureNote(of: id) else { continue }
            let recorded: Int? = try? write { tx in
                try tx.execute(
                    "UPDATE run SET status = ?, error = ?, ended_at = ? WHERE id = ? AND status = 'running'",
                    [note.status, note.reason, note.recordedAt, id])
            }
            if recorded != nil { try? FailureNote.clear(in: runFolder(of: id)) }
        }
    }

    // MARK: - Removing runs

    /// Deletes run `runID` and its rows; unless `keepFiles`, also the files it wrote, but only regular files inside
    /// its own run folder (symbolic links and paths that lead outside are refused), and in a folder without this
    /// store's marker (runs recorded before markers) only files whose SHA-256 is the one recorded. Removes the
    /// run's checkpoint folder and run folder when they are empty afterwards.
    /// - Returns: what was deleted and what was refused, with the reason.
    public func removeRun(_ runID: Int64, keepFiles: Bool = false) throws -> RunFileRemoval {
        let artifacts = try read { tx in
            try tx.fetchAll(ArtifactRecord.self, "SELECT * FROM artifact WHERE run_id = ? ORDER BY id", [runID])
        }
        let plan = keepFiles ? nil : try removalPlan(runID, artifacts: artifacts)
        try deleteRun(runID)
        guard let plan else { return RunFileRemoval() }
        var result = RunFileRemoval(refused: plan.refused)
        for file in plan.files {
            if unlink(file) == 0 || errno == ENOENT {
                result.removed.append(file)
            } else {
                result.refused.append(
                    RefusedFile(path: file, reason: "could not delete it: \(String(cString: strerror(errno)))"))
            }
        }
        for folder in plan.folders where rmdir(folder) == 0 { result.removedFolders.append(folder) }
        return result
    }

    struct RemovalPlan {
        var files: [String] = []
        var refused: [RefusedFile] = []
        /// Folders to remove if empty, innermost first.
        var folders: [String] = []
    }

    func removalPlan(_ runID: Int64, artifacts: [ArtifactRecord]) throws -> RemovalPlan {
        var plan = RemovalPlan()
        let folder = runFolder(of: runID)
        let checkpoints = folder.appendingPathComponent("checkpoints")
        // Candidates: every artifact's file (with its recorded hash), then what ser writes in the folder.
        var candidates: [(path: String, sha256: String?)] = []
        var seen = Set<String>()
        func add(_ path: String, _ sha256: String?) {
            if seen.insert(path).inserted { candidates.append((path, sha256)) }
        }
        let latestCheckpoint = artifacts.last { $0.kind == "checkpoint" }
        for artifact in artifacts where artifact.kind != "checkpoint" || artifact == latestCheckpoint {
            add(resolvedPath(of: artifact), artifact.sha256)
        }
        let folderKind = FileKind(path: folder.path)
        if folderKind == .directory {
            if FileKind(path: checkpoints.path) == .directory {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
                for name in names.sorted() where RunFolders.isCheckpointFile(name) {
                    add(checkpoints.appendingPathComponent(name).path, nil)
                }
            }
            for name in [RunFolders.markerName, RunFolders.failureNoteName] {
                add(folder.appendingPathComponent(name).path, nil)
            }
            // The model file, checked against the run's recorded weights where its row names another path.
            let weights = artifacts.last { $0.kind == "weights" }
            add(folder.appendingPathComponent("model.safetensors").path, weights?.sha256)
        }
        // Whose folder is it?
        var owned = false, foreign = false
        if folderKind == .directory {
            do {
                if let marker = try RunFolderMarker.read(in: folder, runID: runID) {
                    owned = marker == identity.map { RunFolderMarker(store: $0, run: runID) }
                    foreign = !owned
                }
            } catch {
                foreign = true  // a marker ser did not write counts as another owner's
            }
        }
        let checkpointIsOurs = owned || ((try? holdsRecordedCheckpoint(runID, folder)) ?? false)
        let realFolder = folderKind == .directory ? realPath(folder.path) : nil

        for (path, sha256) in candidates {
            guard let kind = FileKind(path: path) else { continue }  // already gone
            func refuse(_ reason: String) { plan.refused.append(RefusedFile(path: path, reason: reason)) }
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard let realFolder, let realParent = realPath(parent),
                realParent == realFolder || realParent.hasPrefix(realFolder + "/")
            else {
                refuse(
                    folderKind == .symbolicLink
                        ? "the run folder \(folder.path) is a symbolic link"
                        : "it is outside run \(runID)'s folder \(folder.path)")
                continue
            }
            guard kind == .regular else {
                refuse(kind == .symbolicLink ? "it is a symbolic link" : "it is not a regular file")
                continue
            }
            if foreign {
                refuse("the folder's ownership marker names another run or store")
                continue
            }
            if !owned {
                // A folder without this store's marker (runs recorded before markers): only files provably this
                // run's, that is the checkpoint this store recorded and files with their recorded SHA-256.
                if realParent == realPath(checkpoints.path) {
                    guard checkpointIsOurs else {
                        refuse("the checkpoint in \(checkpoints.path) is not the one this store recorded")
                        continue
                    }
                } else if let sha256 {
                    guard let (hash, _) = try? SHA256.hexAndSize(ofFileAt: path), hash == sha256 else {
                        refuse("its SHA-256 differs from the one this store recorded (another store's file?)")
                        continue
                    }
                } else {
                    refuse("no ownership marker says this folder is this run's")
                    continue
                }
            }
            plan.files.append(path)
        }
        if folderKind == .directory { plan.folders = [checkpoints.path, folder.path] }
        return plan
    }
}
