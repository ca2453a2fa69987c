import Datasets
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The contents of a synthetic corpus's marker file (`.ser-synth.json`), written after every audio file,
/// so its presence with matching fields means the directory holds that complete corpus.
public struct SyntheticCorpusMarker: Codable, Sendable, Equatable {
    public var formatVersion: Int
    public var actors: Int
    public var seed: UInt64
    public var sampleRate: Int
    public var files: Int
    public var format: String
    /// The layout the files are named in; nil for RAVDESS (so markers written before layouts still match).
    public var layout: String? = nil

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

extension SyntheticCorpus {
    /// What ``ensure(at:actors:seed:sampleRate:)`` found or did.
    public enum EnsureOutcome: String, Equatable, Sendable, Encodable {
        /// The directory already held this exact corpus; nothing was written.
        case reused
        /// The corpus was generated (the directory was missing or empty).
        case created
        /// The directory held another synthetic corpus (different parameters or version, or incomplete);
        /// it was replaced.
        case replaced
    }

    /// Makes sure `dir` holds the complete corpus for (`actors`, `seed`, `sampleRate`), generating it only
    /// when it is not already there. Writers hold an exclusive lock on the parent directory (`flock`) from
    /// the check to the rename, so concurrent callers (threads or processes) generate it once: the others
    /// wait and reuse it. Generation happens in a temporary sibling directory that is renamed into place, so
    /// `dir` never holds a partial corpus. A directory that holds anything other than a synthetic corpus is
    /// never overwritten.
    /// - Returns: `dir`.
    /// - Throws: ``SyntheticCorpusError`` when `dir` holds foreign files or cannot be written.
    @discardableResult
    public static func ensure(
        at dir: String, actors: Int = 24, seed: UInt64 = 1, sampleRate: Int = 16000, layout: DatasetLayout = .ravdess
    ) throws -> String {
        try ensureReporting(at: dir, actors: actors, seed: seed, sampleRate: sampleRate, layout: layout).path
    }

    /// ``ensure(at:actors:seed:sampleRate:)``, also saying whether the corpus was reused, created or replaced.
    public static func ensureReporting(
        at dir: String, actors: Int = 24, seed: UInt64 = 1, sampleRate: Int = 16000, layout: DatasetLayout = .ravdess
    ) throws -> (path: String, outcome: EnsureOutcome) {
        try validate(actors: actors, sampleRate: sampleRate, path: dir)
        let corpus = SyntheticCorpus(actors: actors, seed: seed, sampleRate: sampleRate, layout: layout)
        let fm = FileManager.default
        let target = URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL
        if corpus.isComplete(at: target.path) { return (dir, .reused) }

        let parent = target.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw SyntheticCorpusError(path: parent.path, message: "cannot create: \(error.localizedDescription)")
        }
        let lock = try DirectoryLock(parent.path)
        defer { lock.unlock() }
        // Another writer may have finished while this one waited for the lock.
        if corpus.isComplete(at: target.path) { return (dir, .reused) }

        var replacing = false
        var info = stat()
        if lstat(target.path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: break
            case S_IFLNK:
                throw SyntheticCorpusError(
                    path: dir, message: "is a symbolic link; name the folder itself (the link was left as is)")
            default:
                throw SyntheticCorpusError(
                    path: dir, message: "is a file; expected a directory for the synthetic corpus")
            }
            let contents = (try? fm.contentsOfDirectory(atPath: target.path)) ?? []
            if !contents.isEmpty {
                guard contents.contains(markerName) else {
                    throw SyntheticCorpusError(
                        path: dir,
                        message: "exists and holds files that are not a synthetic corpus (no \(markerName)); "
                            + "choose an empty or new directory")
                }
                if let foreign = foreignEntry(in: target.path) {
                    throw SyntheticCorpusError(
                        path: dir,
                        message: "holds a synthetic corpus and also \(foreign), which ser did not write; "
                            + "move it out or choose another directory (nothing was changed)")
                }
                replacing = true
            }
        }

        let unique = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        let staging = parent.appendingPathComponent(".\(target.lastPathComponent).synth-\(unique)")
        defer { try? fm.removeItem(at: staging) }
        try corpus.write(to: staging.path)

        // Move the old corpus (ours, checked above, and no writer can change it while we hold the lock)
        // out of the way, then rename the new one in.
        var retired: URL? = nil
        if fm.fileExists(atPath: target.path) {
            let old = parent.appendingPathComponent(".\(target.lastPathComponent).old-\(unique)")
            if (try? fm.moveItem(at: target, to: old)) != nil { retired = old }
        }
        defer { if let retired { Self.removeCorpus(at: retired.path) } }
        if rename(staging.path, target.path) != 0 {
            let reason = String(cString: strerror(errno))
            // Put the old corpus back rather than delete it with nothing in its place.
            if let old = retired, rename(old.path, target.path) == 0 { retired = nil }
            throw SyntheticCorpusError(path: dir, message: "cannot move the generated corpus into place: \(reason)")
        }
        return (dir, replacing ? .replaced : .created)
    }

    /// Checks the corpus parameters, throwing an error that names `path` and the allowed range.
    public static func validate(actors: Int, sampleRate: Int, path: String) throws {
        guard (1...24).contains(actors) else {
            throw SyntheticCorpusError(path: path, message: "actors must be 1…24 (RAVDESS numbering), got \(actors)")
        }
        guard (8000...48000).contains(sampleRate) else {
            throw SyntheticCorpusError(path: path, message: "sample rate must be 8000…48000 Hz, got \(sampleRate)")
        }
    }

    /// Every path, relative to a corpus folder, that a synthetic corpus of any size may hold: the marker, the
    /// parameters table, the actor folders and their WAV files.
    static let corpusEntries: (files: Set<String>, folders: [String]) = {
        let ids = SyntheticCorpus(actors: 24).utterances
        let paths = DatasetLayout.allCases.flatMap { layout in ids.compactMap { $0.relativePath(in: layout) } }
        let folders = Set(paths.map { ($0 as NSString).deletingLastPathComponent }.filter { !$0.isEmpty })
        return (Set(paths + [markerName, parametersName, manifestName]), folders.sorted())
    }()

    /// The first entry of `dir` (relative path) that a synthetic corpus does not hold: a file of another
    /// name, a link, a folder other than `Actor_NN`. Nil when everything there is ser's.
    static func foreignEntry(in dir: String) -> String? {
        let fm = FileManager.default
        func kind(_ relative: String) -> mode_t? {
            var info = stat()
            guard lstat((dir as NSString).appendingPathComponent(relative), &info) == 0 else { return nil }
            return info.st_mode & S_IFMT
        }
        for name in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
            if corpusEntries.folders.contains(name), kind(name) == S_IFDIR {
                let inside = (try? fm.contentsOfDirectory(atPath: (dir as NSString).appendingPathComponent(name)))
                for file in (inside ?? []).sorted() {
                    let relative = "\(name)/\(file)"
                    guard corpusEntries.files.contains(relative), kind(relative) == S_IFREG else { return relative }
                }
            } else if !corpusEntries.files.contains(name) || kind(name) != S_IFREG {
                return name
            }
        }
        return nil
    }

    /// Removes a corpus folder file by file: only the names a corpus holds, then the folders if empty, so a
    /// file that is not ser's is never deleted (its folder then stays).
    static func removeCorpus(at dir: String) {
        for relative in corpusEntries.files { unlink((dir as NSString).appendingPathComponent(relative)) }
        for folder in corpusEntries.folders { rmdir((dir as NSString).appendingPathComponent(folder)) }
        rmdir(dir)
    }

    /// Whether `dir` holds this corpus completely: a matching marker and every WAV file present.
    public func isComplete(at dir: String) -> Bool {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        guard let data = try? Data(contentsOf: root.appendingPathComponent(Self.markerName)),
            let found = try? JSONDecoder().decode(SyntheticCorpusMarker.self, from: data), found == marker
        else { return false }
        let fm = FileManager.default
        return utterances.allSatisfy {
            fm.fileExists(atPath: root.appendingPathComponent($0.relativePath(in: layout) ?? $0.relativePath).path)
        }
    }
}

/// An exclusive advisory lock (`flock`) on a directory, held until ``unlock()``. Each lock opens the
/// directory afresh, so two threads of one process exclude each other as two processes do.
struct DirectoryLock {
    private let descriptor: Int32

    /// Blocks until the lock on `path` is granted.
    /// - Throws: ``SyntheticCorpusError`` with the system's reason when the directory cannot be opened or locked.
    init(_ path: String) throws {
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SyntheticCorpusError(
                path: path, message: "cannot open to lock it: \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw SyntheticCorpusError(path: path, message: "cannot lock: \(reason)")
            }
        }
    }

    func unlock() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
