import ArgumentParser
import Foundation
import OutputFiles
import RunStore

/// `--force`, shared by every command that writes a file the user names.
struct ForceOption: ParsableArguments {
    @Flag(help: "Replace an output file that already exists (never a folder, device or symbolic link).")
    var force = false

    /// What the write does with an existing regular file.
    var existing: ExistingFile { force ? .replace : .refuse }
}

extension StoreOptions {
    /// The files no command may write over: the store with its `-wal` and `-shm`, and every file the store
    /// records as an artifact of a run (read on a read-only connection; none when there is no store yet).
    func protectedFiles() throws -> [ProtectedFile] {
        guard exists else { return [] }
        if isPostgres {
            let store = try openForReading()
            return try store.query("SELECT run_id, kind, path FROM artifact").rows.compactMap { row -> ProtectedFile? in
                guard row.count == 3 else { return nil }
                return ProtectedFile(
                    path: store.folders.resolve(row[2].text), role: "the \(row[1].text) file of run \(row[0].text)")
            }
        }
        var files = [
            (path, "the run store"), (path + "-wal", "the run store's write-ahead log"),
            (path + "-shm", "the run store's shared-memory index"),
        ].compactMap { ProtectedFile(path: $0.0, role: $0.1) }
        let folders = RunFolders(storePath: path)
        let artifacts = try RunStore.query(path: path, sql: "SELECT run_id, kind, path FROM artifact")
        for row in artifacts.rows where row.count == 3 {
            let artifact = folders.resolve(row[2].text)
            if let file = ProtectedFile(path: artifact, role: "the \(row[1].text) file of run \(row[0].text)") {
                files.append(file)
            }
        }
        return files
    }
}
