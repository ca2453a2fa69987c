import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a store keeps its runs' files: a folder that belongs to that store alone, beside the store file.
///
///     runs/ser.sqlite                   the store
///     runs/ser-runs/<run id>/           run folders of runs/ser.sqlite (`<file name without extension>-runs`)
///     runs/<run id>/                    run folders of runs recorded before stores had their own folder
///
/// Runs recorded before the store got its identity (migration `v4-store-identity`) keep their folders in the
/// old place (``legacyRunFolder(_:)``); `RunStore.runFolder(of:)` picks the right one for a run.
public struct RunFolders: Sendable, Equatable {
    /// The folder of the store file (absolute, standardised).
    public let storeFolder: URL
    /// `<store folder>/<store file name without extension>-runs`.
    public let runsFolder: URL

    /// The ownership marker the runner writes in every run folder it creates (store identity and run id).
    public static let markerName = ".ser-run"
    /// The preallocated note a run's failure is written to when the store cannot record it (disk full).
    public static let failureNoteName = ".ser-failure"

    public init(storePath: String) {
        let file = URL(fileURLWithPath: storePath).standardizedFileURL
        storeFolder = file.deletingLastPathComponent()
        var stem = file.deletingPathExtension().lastPathComponent
        if stem.isEmpty || stem == "." || stem == "/" { stem = file.lastPathComponent }
        runsFolder = storeFolder.appendingPathComponent("\(stem)-runs", isDirectory: true)
    }

    /// The folders of a store that has no file (PostgreSQL): artifact paths are relative to `artifactRoot`, a
    /// folder every machine mounts, and run folders are `<artifact root>/ser-runs/<run id>/`.
    public init(artifactRoot: String) {
        storeFolder = URL(fileURLWithPath: artifactRoot, isDirectory: true).standardizedFileURL
        runsFolder = storeFolder.appendingPathComponent("ser-runs", isDirectory: true)
    }

    /// Whether `name` is a file the learner writes in a run's `checkpoints/` folder (`checkpoint.json` and the
    /// tensors of an epoch: `model-e…`, `optimizer-e…`, `best-e…`, `average-e….safetensors`).
    public static func isCheckpointFile(_ name: String) -> Bool {
        name == "checkpoint.json"
            || (name.hasSuffix(".safetensors")
                && ["model-e", "optimizer-e", "best-e", "average-e"].contains { name.hasPrefix($0) })
    }

    /// An artifact path as the store records it, made absolute: relative paths are relative to the store's
    /// folder; older stores hold absolute ones.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : storeFolder.appendingPathComponent(path).standardizedFileURL.path
    }

    /// The folder of run `runID`.
    public func runFolder(_ runID: Int64) -> URL { runsFolder.appendingPathComponent("\(runID)", isDirectory: true) }

    /// The folder of a run recorded before stores had their own runs folder: `<store folder>/<run id>/`.
    public func legacyRunFolder(_ runID: Int64) -> URL {
        storeFolder.appendingPathComponent("\(runID)", isDirectory: true)
    }
}

/// The ownership marker of a run folder: which store (by identity) and which of its runs the folder belongs to.
public struct RunFolderMarker: Codable, Equatable, Sendable {
    public var store: String
    public var run: Int64

    public init(store: String, run: Int64) {
        self.store = store
        self.run = run
    }

    /// The marker in `folder`, nil when there is none.
    /// - Throws: `RunStoreError.runFolderNotOwned` when the marker is not a readable marker.
    static func read(in folder: URL, runID: Int64) throws -> RunFolderMarker? {
        let url = folder.appendingPathComponent(RunFolders.markerName)
        guard let kind = FileKind(path: url.path) else { return nil }
        guard kind == .regular, let handle = FileHandle(forReadingAtPath: url.path),
            let data = try? handle.read(upToCount: 4097), data.count <= 4096, (try? handle.close()) != nil,
            let marker = try? JSONDecoder().decode(RunFolderMarker.self, from: data)
        else {
            throw RunStoreError.runFolderNotOwned(
                folder: folder.path, run: runID, reason: "its ownership marker \(url.path) is not one ser wrote")
        }
        return marker
    }

    /// Writes the marker atomically (temporary file and rename).
    func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: folder.appendingPathComponent(RunFolders.markerName), options: .atomic)
    }
}

/// What a path is, without following a final symbolic link (`lstat`); nil when nothing is there.
enum FileKind: Equatable {
    case regular, directory, symbolicLink, other

    init?(path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        default: self = .other
        }
    }
}

/// The path with every symbolic link resolved (`realpath`), nil when it does not exist.
func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// A run's failure, written in place into a small file preallocated in its run folder when the run starts, for
/// when the store itself cannot record it (a full disk): overwriting allocated blocks needs no new space.
/// The next writing open of the store marks the run with it (`RunStore.init(path:)`); reading commands show it.
public struct FailureNote: Equatable, Sendable {
    /// The file's fixed size; a longer reason is cut.
    public static let size = 4096
    static let header = "ser-failure-note 1"

    public var status: RunStatus
    public var reason: String
    public var recordedAt: Date

    /// Creates (or empties) the note file of `folder`, its full size allocated.
    static func prepare(in folder: URL) throws {
        try Data(count: size).write(to: folder.appendingPathComponent(RunFolders.failureNoteName), options: .atomic)
    }

    /// The note in `folder`, nil when there is none or it is empty.
    static func read(in folder: URL) -> FailureNote? {
        let path = folder.appendingPathComponent(RunFolders.failureNoteName).path
        guard FileKind(path: path) == .regular, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: size) else { return nil }
        let text = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
        let lines = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 4, lines[0] == header, let status = RunStatus(rawValue: lines[1]),
            let seconds = Double(lines[2])
        else { return nil }
        return FailureNote(status: status, reason: lines[3], recordedAt: Date(timeIntervalSince1970: seconds))
    }

    /// Overwrites the note of `folder` in place (no truncation, no new file when it exists) and syncs it.
    func write(in folder: URL) throws {
        var bytes = Array("\(Self.header)\n\(status.rawValue)\n\(recordedAt.timeIntervalSince1970)\n".utf8)
        var reasonBytes = Array(reason.utf8.prefix(Self.size - bytes.count))
        // Cut at a character boundary: drop UTF-8 continuation bytes left at the end.
        while let last = reasonBytes.last, String(bytes: reasonBytes, encoding: .utf8) == nil, last & 0x80 != 0 {
            reasonBytes.removeLast()
        }
        bytes += reasonBytes
        bytes += [UInt8](repeating: 0, count: Self.size - bytes.count)
        try Self.overwrite(bytes, in: folder)
    }

    /// Empties the note of `folder` (in place), if it exists.
    static func clear(in folder: URL) throws {
        let path = folder.appendingPathComponent(RunFolders.failureNoteName).path
        guard FileKind(path: path) == .regular else { return }
        try overwrite([UInt8](repeating: 0, count: size), in: folder)
    }

    private static func overwrite(_ bytes: [UInt8], in folder: URL) throws {
        let path = folder.appendingPathComponent(RunFolders.failureNoteName).path
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunStoreError.failureNote(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { throw RunStoreError.failureNote(path, String(cString: strerror(errno))) }
        guard fsync(fd) == 0 else { throw RunStoreError.failureNote(path, String(cString: strerror(errno))) }
    }
}

/// A file `ser rm` did not delete, and why.
public struct RefusedFile: Codable, Equatable, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// What `RunStore.removeRun(_:keepFiles:)` did with a run's files.
public struct RunFileRemoval: Codable, Equatable, Sendable {
    /// Files deleted.
    public var removed: [String] = []
    /// Files left in place, with the reason.
    public var refused: [RefusedFile] = []
    /// Folders removed because they were empty afterwards.
    public var removedFolders: [String] = []
}
