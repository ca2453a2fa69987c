import Audio
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Finding audio files in a folder tree: the one walker every command uses to list a corpus.
public enum AudioFiles {
    /// Extensions (lower-cased) treated as audio; compared case-insensitively.
    public static let extensions: Set<String> = ["wav", "flac", "ogg"]

    /// At most this many folder entries are read in one walk (hidden ones included); a larger tree is not a
    /// corpus folder but a folder above one (a home folder, a disk), and the walk ends with
    /// ``DatasetError/tooManyEntries(path:limit:)``.
    public static let maximumEntries = 1_000_000

    /// Folders deeper than this many levels below the root are not searched (they are listed as skipped).
    public static let maximumDepth = 32

    /// True when `name`'s extension is wav, flac or ogg in any letter case.
    public static func isAudio(_ name: String) -> Bool {
        extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// `path` made absolute (against the working directory) and standardised.
    static func absolute(_ path: String) -> String {
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }

    /// Lists the audio files under `root` (made absolute), visiting each real file and folder once.
    ///
    /// The folder tree itself is searched first, then the symbolic links found in it (so a file reached both
    /// directly and through a link is listed under its own path). Files and folders are identified by device
    /// and inode: a second path to one already seen (hard link, symbolic link, a link back up the tree) is
    /// skipped and listed with the path it duplicates, so loops end at once. Hidden entries (names starting
    /// with ".") are skipped silently. FIFOs, sockets and devices are never opened; they, dangling links,
    /// links to themselves, unreadable folders, folders named like audio files and folders deeper than
    /// ``maximumDepth`` are listed in ``AudioFileWalk/skipped`` with the reason. O(entries) `lstat` calls.
    ///
    /// - Parameters:
    ///   - limit: the most folder entries read (``maximumEntries``).
    ///   - shouldStop: asked before every entry; when it returns true the walk ends with
    ///     ``DatasetError/stopped(path:)``.
    /// - Throws: ``DatasetError/systemFolder(path:folder:)`` when `root` is `/` or in `/proc`, `/sys` or `/dev`;
    ///   ``DatasetError/tooManyEntries(path:limit:)``; ``DatasetError/stopped(path:)``.
    public static func walk(
        _ root: String, limit: Int = maximumEntries, shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> AudioFileWalk {
        let root = absolute(root)
        if let real = realPath(root), let folder = systemFolder(real) {
            throw DatasetError.systemFolder(path: root, folder: folder)
        }
        var walker = Walker(root: root, limit: limit, shouldStop: shouldStop)
        try walker.run()
        return AudioFileWalk(
            root: root, audio: walker.audio.sorted(), otherFiles: walker.otherFiles,
            skipped: walker.skipped.sorted { $0.path < $1.path }, entries: walker.entries)
    }

    /// The canonical path of `path` (links resolved), or nil when it cannot be resolved.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The system folder `realPath` is or lies in (`/`, `/proc`, `/sys`, `/dev`; `/dev/shm`, a RAM disk,
    /// is allowed), or nil.
    static func systemFolder(_ realPath: String) -> String? {
        if realPath == "/" { return "/" }
        if realPath == "/dev/shm" || realPath.hasPrefix("/dev/shm/") { return nil }
        return ["/proc", "/sys", "/dev"].first { realPath == $0 || realPath.hasPrefix($0 + "/") }
    }
}

/// What ``AudioFiles/walk(_:limit:shouldStop:)`` found.
public struct AudioFileWalk: Sendable, Equatable {
    /// The absolute root searched (symbolic links in it kept as given).
    public var root: String
    /// Audio files' paths relative to ``root``, sorted; each real file once.
    public var audio: [String]
    /// Regular, non-hidden files that are not audio (README.md, …).
    public var otherFiles: Int
    /// Entries not searched or not listed, with the reason, sorted by path.
    public var skipped: [SkippedEntry]
    /// Folder entries read (hidden ones included).
    public var entries: Int

    /// The absolute paths of the audio files.
    public var audioPaths: [String] { audio.map { root + "/" + $0 } }
}

/// An entry of a corpus folder that the walk did not use, and why.
public struct SkippedEntry: Sendable, Hashable, CustomStringConvertible {
    /// Relative to the walk's root ("." for the root itself).
    public var path: String
    public var reason: SkipReason

    public init(path: String, reason: SkipReason) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// The same entry as a ``DatasetProblem`` (path and reason text), for reports.
    public var problem: DatasetProblem { DatasetProblem(path: path, reason: reason.description) }
}

/// Why the walk skipped an entry.
public enum SkipReason: Sendable, Hashable, CustomStringConvertible {
    /// A FIFO, socket or device: never opened (opening a FIFO blocks until a writer appears).
    case specialFile(FileKind)
    /// A folder whose name ends in .wav, .flac or .ogg: not searched.
    case folderNamedLikeAudio
    /// A symbolic link whose target does not exist.
    case danglingLink(target: String)
    /// A symbolic link to itself, or a chain of links the system gives up on (ELOOP).
    case linkLoop(target: String)
    /// A link to a folder above it (`ancestor`, relative; "" is the root): following it would loop.
    case folderLoop(ancestor: String)
    /// A folder already searched under the path `as` (relative).
    case sameFolder(as: String)
    /// A file already listed under the path `as` (relative): a hard or symbolic link to it.
    case sameFile(as: String)
    /// A link into `/`, `/proc`, `/sys` or `/dev` (the system folder named).
    case systemFolder(String)
    /// A folder more than `limit` levels below the root.
    case tooDeep(limit: Int)
    /// The system could not read it; its message (e.g. "Permission denied").
    case unreadable(String)
    /// A name that is not valid UTF-8 (its path shows the invalid bytes as U+FFFD).
    case invalidName

    public var description: String {
        switch self {
        case .specialFile(let kind):
            return "\(kind.name), not a regular file or folder; not opened"
        case .folderNamedLikeAudio:
            return "a folder named like an audio file; not searched (rename it if it holds audio files)"
        case .danglingLink(let target):
            return "a symbolic link to \(target), which does not exist"
        case .linkLoop(let target):
            return "a symbolic link to \(target) that leads back to itself; not followed"
        case .folderLoop(let ancestor):
            let folder = ancestor.isEmpty ? "the corpus folder itself" : "the folder \(ancestor) above it"
            return "a link to \(folder); not followed (it would loop)"
        case .sameFolder(let other):
            return "the same folder as \(other); searched once"
        case .sameFile(let other):
            return "the same file as \(other) (a hard or symbolic link); listed once"
        case .systemFolder(let folder):
            return "a link into the system folder \(folder); not followed"
        case .tooDeep(let limit):
            return "a folder more than \(limit) levels deep; not searched"
        case .unreadable(let message):
            return "cannot be read (\(message))"
        case .invalidName:
            return "a name that is not valid UTF-8; rename it"
        }
    }
}

/// The state of one walk.
private struct Walker {
    /// A file or folder, by device and inode.
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64

        init(_ status: stat) {
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
        }
    }

    let root: String
    let limit: Int
    let shouldStop: @Sendable () -> Bool
    var audio: [String] = []
    var otherFiles = 0
    var skipped: [SkippedEntry] = []
    var entries = 0
    /// Searched folders and listed files, with the relative path they were first reached by.
    var folders: [Identity: String] = [:]
    var files: [Identity: String] = [:]
    /// Symbolic links found, followed after the folder tree itself (relative paths, in the order found).
    var links: [String] = []

    init(root: String, limit: Int, shouldStop: @escaping @Sendable () -> Bool) {
        self.root = root
        self.limit = limit
        self.shouldStop = shouldStop
    }

    func full(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    static var systemMessage: String { String(cString: strerror(errno)) }

    mutating func skip(_ relative: String, _ reason: SkipReason) {
        skipped.append(SkippedEntry(path: relative.isEmpty ? "." : relative, reason: reason))
    }

    mutating func run() throws {
        if shouldStop() { throw DatasetError.stopped(path: root) }
        var status = stat()
        guard stat(root, &status) == 0 else {
            skip("", .unreadable(Self.systemMessage))
            return
        }
        try search("", identity: Identity(status))
        var next = 0
        while next < links.count {
            try follow(links[next])
            next += 1
        }
    }

    /// Reads the folder at `relative` and visits its entries (symbolic links are queued).
    mutating func search(_ relative: String, identity: Identity) throws {
        folders[identity] = relative
        guard let names = try read(relative) else { return }
        for name in names.sorted() where !name.hasPrefix(".") {
            let child = relative.isEmpty ? name : relative + "/" + name
            var status = stat()
            guard lstat(full(child), &status) == 0 else {
                skip(child, .unreadable(Self.systemMessage))
                continue
            }
            let kind = FileKind(mode: status.st_mode)
            switch kind {
            case .symbolicLink: links.append(child)
            case .directory: try visitFolder(child, identity: Identity(status))
            case .regular: visitFile(child, identity: Identity(status))
            default: skip(child, .specialFile(kind))
            }
        }
    }

    /// The names in the folder at `relative` (without "." and ".."), or nil when it cannot be opened
    /// (listed as skipped). Names that are not UTF-8 are listed as skipped and left out.
    mutating func read(_ relative: String) throws -> [String]? {
        guard let folder = opendir(full(relative)) else {
            skip(relative, .unreadable(Self.systemMessage))
            return nil
        }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            if shouldStop() { throw DatasetError.stopped(path: full(relative)) }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { characters in
                    (text: String(validatingCString: characters), bytes: String(cString: characters))
                }
            }
            if name.bytes == "." || name.bytes == ".." { continue }
            entries += 1
            if entries > limit { throw DatasetError.tooManyEntries(path: root, limit: limit) }
            guard let text = name.text else {
                let child = relative.isEmpty ? name.bytes : relative + "/" + name.bytes
                if !name.bytes.hasPrefix(".") { skip(child, .invalidName) }
                continue
            }
            names.append(text)
        }
        return names
    }

    mutating func visitFolder(_ relative: String, identity: Identity) throws {
        if AudioFiles.isAudio(relative) {
            skip(relative, .folderNamedLikeAudio)
        } else if let seen = folders[identity] {
            let isAncestor = seen.isEmpty || relative.hasPrefix(seen + "/")
            skip(relative, isAncestor ? .folderLoop(ancestor: seen) : .sameFolder(as: seen))
        } else if relative.split(separator: "/").count >= AudioFiles.maximumDepth {
            skip(relative, .tooDeep(limit: AudioFiles.maximumDepth))
        } else {
            try search(relative, identity: identity)
        }
    }

    mutating func visitFile(_ relative: String, identity: Identity) {
        if let seen = files[identity] {
            skip(relative, .sameFile(as: seen))
            return
        }
        files[identity] = relative
        if AudioFiles.isAudio(relative) {
            audio.append(relative)
        } else {
            otherFiles += 1
        }
    }

    /// Visits what the symbolic link at `relative` points to.
    mutating func follow(_ relative: String) throws {
        if shouldStop() { throw DatasetError.stopped(path: full(relative)) }
        let path = full(relative)
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            switch code {
            case ENOENT: skip(relative, .danglingLink(target: target))
            case ELOOP: skip(relative, .linkLoop(target: target))
            default: skip(relative, .unreadable(String(cString: strerror(code))))
            }
            return
        }
        let kind = FileKind(mode: status.st_mode)
        switch kind {
        case .directory:
            if !AudioFiles.isAudio(relative), folders[Identity(status)] == nil,
                let real = AudioFiles.realPath(path), let folder = AudioFiles.systemFolder(real)
            {
                skip(relative, .systemFolder(folder))
            } else {
                try visitFolder(relative, identity: Identity(status))
            }
        case .regular: visitFile(relative, identity: Identity(status))
        default: skip(relative, .specialFile(kind))
        }
    }
}
