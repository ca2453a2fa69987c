import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a write does with a regular file already at its target.
public enum ExistingFile: Sendable, Equatable {
    /// Refuse (``OutputFileError/exists(_:)``): the user did not ask for it to be replaced (no `--force`).
    case refuse
    /// Replace it (`--force`, or ser's own files in a run folder).
    case replace
}

/// A file's identity on disk: its device and inode. Two spellings of one path (`runs/../runs/1/x`) and
/// hard links share it, so comparing identities catches what comparing paths misses.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the file at `path`, following symbolic links; nil when nothing is there.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// A file no command may write over, with what it is (for the error message).
public struct ProtectedFile: Sendable, Equatable {
    public var identity: FileIdentity
    /// What the file is, e.g. "the run store" or "the weights of run 3".
    public var role: String

    public init(identity: FileIdentity, role: String) {
        self.identity = identity
        self.role = role
    }

    /// The file at `path` (following links) as `role`; nil when nothing is there (nothing to protect).
    public init?(path: String, role: String) {
        guard let identity = FileIdentity(path: path) else { return nil }
        self.init(identity: identity, role: role)
    }
}

/// What is at a path that is not a regular file, in words.
public enum FileKind: String, Sendable, Equatable, CustomStringConvertible {
    case folder = "a folder"
    case symbolicLink = "a symbolic link"
    case characterDevice = "a character device"
    case blockDevice = "a block device"
    case fifo = "a FIFO (named pipe)"
    case socket = "a socket"
    case other = "not a regular file"

    public var description: String { rawValue }

    /// The kind of a non-regular `st_mode`; nil for a regular file.
    init?(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: self = .folder
        case S_IFLNK: self = .symbolicLink
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }
}

/// Why a file could not be written. Nothing at the target was changed; messages name the path.
public enum OutputFileError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The target is a folder, device, FIFO, socket or symbolic link: only regular files are written.
    case notRegular(path: String, kind: FileKind)
    /// The target is a regular file and replacing was not asked for.
    case exists(path: String)
    /// The target is a file ser must not overwrite (the run store, a run's artifact).
    case protected(path: String, role: String)
    /// The path is empty or ends in `/`: it names no file.
    case noFileName(path: String)
    /// A system call failed; `reason` is the system's message.
    case io(path: String, action: String, reason: String)

    public var description: String {
        switch self {
        case .notRegular(let path, .folder):
            return "\(path) is a folder; name a file to write (e.g. \(path)/NAME), nothing was written."
        case .notRegular(let path, .symbolicLink):
            return "\(path) is a symbolic link; name the file itself, or remove the link first (nothing was written)."
        case .notRegular(let path, let kind):
            return "\(path) is \(kind), not a regular file; name a regular file to write (nothing was written)."
        case .exists(let path):
            return "\(path) exists; pass --force to replace it."
        case .protected(let path, let role):
            return "\(path) is \(role); write somewhere else (it was left as is)."
        case .noFileName(let path):
            return "'\(path)' names no file (it is empty or ends in /); give the path of the file to write."
        case .io(let path, let action, let reason):
            return "\(path): cannot \(action): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// The one way ser writes a file a user names: into a temporary file created exclusively in the target's
/// folder, flushed to disk, then renamed into place. A failure removes only that temporary file. The target
/// must be missing or a regular file (checked with `lstat`, so symbolic links are refused too); an existing
/// file is replaced only with ``ExistingFile/replace``; ``ProtectedFile``s are refused by device and inode.
public enum OutputFile {
    /// Mode of the files written (before the umask).
    public static let mode: mode_t = 0o644

    /// Checks that `path` may be written, without writing: call it before long work so a bad target fails early.
    /// - Throws: ``OutputFileError``.
    public static func check(_ path: String, existing: ExistingFile, protected: [ProtectedFile] = []) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            // Nothing there (or a missing folder on the way, created by the write): nothing to check.
            guard errno == ENOENT || errno == ENOTDIR else {
                throw OutputFileError.io(path: path, action: "inspect it", reason: systemMessage())
            }
            if path.isEmpty || path.hasSuffix("/") { throw OutputFileError.noFileName(path: path) }
            return
        }
        if let kind = FileKind(mode: info.st_mode) { throw OutputFileError.notRegular(path: path, kind: kind) }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if let hit = protected.first(where: { $0.identity == identity }) {
            throw OutputFileError.protected(path: path, role: hit.role)
        }
        if existing == .refuse { throw OutputFileError.exists(path: path) }
    }

    /// Writes `data` to `path` (see ``OutputFile``), creating missing parent folders.
    /// - Throws: ``OutputFileError``.
    public static func write(
        _ data: Data, to path: String, existing: ExistingFile, protected: [ProtectedFile] = []
    ) throws {
        try write(to: path, existing: existing, protected: protected) { try $0.write(data) }
    }

    /// Writes what `body` gives the ``OutputWriter`` to `path` (see ``OutputFile``). When `body` throws,
    /// the temporary file is removed, the target is left as it was and `body`'s error is rethrown.
    public static func write(
        to path: String, existing: ExistingFile, protected: [ProtectedFile] = [],
        _ body: (OutputWriter) throws -> Void
    ) throws {
        try check(path, existing: existing, protected: protected)
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent().path
        let created = try createFolders(folder, for: path)
        var done = false
        defer { if !done { removeFolders(created) } }

        let temporary = try createTemporary(in: folder, name: target.lastPathComponent, for: path)
        let writer = OutputWriter(descriptor: temporary.descriptor, path: path)
        do {
            try body(writer)
            try writer.finish()
            // The target may have changed while the body ran: check it again just before the rename.
            try check(path, existing: existing, protected: protected)
            guard rename(temporary.path, path) == 0 else {
                throw OutputFileError.io(
                    path: path, action: "move the written file into place", reason: systemMessage())
            }
        } catch {
            writer.closeQuietly()
            unlink(temporary.path)
            throw error
        }
        done = true
        syncFolder(folder)
    }

    // MARK: - Steps

    static func systemMessage(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Creates the missing folders of `folder`, outermost first; returns those it created (to remove on failure).
    static func createFolders(_ folder: String, for path: String) throws -> [String] {
        var missing: [String] = []
        var url = URL(fileURLWithPath: folder)
        var info = stat()
        while lstat(url.path, &info) != 0 && errno == ENOENT && url.path != "/" {
            missing.append(url.path)
            url = url.deletingLastPathComponent()
        }
        var created: [String] = []
        for dir in missing.reversed() {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                let reason = systemMessage()
                removeFolders(created)
                throw OutputFileError.io(path: path, action: "create the folder \(dir)", reason: reason)
            }
            created.append(dir)
        }
        return created
    }

    /// Removes folders made by ``createFolders(_:for:)``, innermost first, each only if still empty.
    static func removeFolders(_ created: [String]) {
        for dir in created.reversed() { rmdir(dir) }
    }

    /// Creates `.<name>.<pid>.<random>.tmp` in `folder` with `O_CREAT | O_EXCL`: it never opens an existing file.
    static func createTemporary(in folder: String, name: String, for path: String) throws
        -> (path: String, descriptor: Int32)
    {
        for _ in 0..<16 {
            let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let temporary = (folder as NSString).appendingPathComponent(".\(name).\(getpid()).\(random).tmp")
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 { return (temporary, fd) }
            if errno != EEXIST {
                throw OutputFileError.io(
                    path: path, action: "create a temporary file in \(folder)", reason: systemMessage())
            }
        }
        throw OutputFileError.io(
            path: path, action: "create a temporary file in \(folder)", reason: "every name tried exists")
    }

    /// Flushes the folder entry of the rename to disk (best effort: some file systems refuse it).
    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// Where ``OutputFile/write(to:existing:protected:_:)``'s body puts the bytes (a temporary file).
public final class OutputWriter {
    private var descriptor: Int32
    /// The target path (for error messages).
    public let path: String
    /// Bytes written so far.
    public private(set) var bytes: Int64 = 0

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Appends `buffer`. - Throws: ``OutputFileError/io(path:action:reason:)`` with the system's message.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard var next = buffer.baseAddress else { return }
        var left = buffer.count
        while left > 0 {
            let n = systemWrite(descriptor, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputFileError.io(path: path, action: "write", reason: OutputFile.systemMessage())
            }
            next += n
            left -= n
            bytes += Int64(n)
        }
    }

    /// Appends `data`.
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Flushes to disk and closes; a failure here (a full disk, for one) fails the write.
    func finish() throws {
        if fsync(descriptor) != 0 && errno != EINVAL {
            throw OutputFileError.io(path: path, action: "flush to disk", reason: OutputFile.systemMessage())
        }
        let fd = descriptor
        descriptor = -1
        if close(fd) != 0 {
            throw OutputFileError.io(path: path, action: "close", reason: OutputFile.systemMessage())
        }
    }

    func closeQuietly() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }
}

/// `write(2)` under a name the writer's own `write` methods do not hide.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
