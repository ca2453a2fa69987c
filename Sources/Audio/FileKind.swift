import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a path names on the file system: a regular file, a folder, or a special file that must never be
/// opened as audio (opening a FIFO blocks until a writer appears; a device may never end).
public enum FileKind: Sendable, Equatable {
    case regular
    case directory
    case symbolicLink
    case fifo
    case socket
    case characterDevice
    case blockDevice
    /// A type `stat` reports that none of the above covers.
    case other

    /// The kind of `path` (following symbolic links unless `followingLinks` is false); nil when `stat`
    /// fails (e.g. the path does not exist), so that the caller's own open reports that failure.
    public init?(atPath path: String, followingLinks: Bool = true) {
        var status = stat()
        let result = followingLinks ? stat(path, &status) : lstat(path, &status)
        guard result == 0 else { return nil }
        self.init(mode: status.st_mode)
    }

    /// The kind encoded in a `stat` mode's `S_IFMT` bits.
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .other
        }
    }

    /// "a FIFO", "a folder", … for messages.
    public var name: String {
        switch self {
        case .regular: return "a regular file"
        case .directory: return "a folder"
        case .symbolicLink: return "a symbolic link"
        case .fifo: return "a FIFO (named pipe)"
        case .socket: return "a socket"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .other: return "a special file"
        }
    }

    /// Whether opening the path could block or never end (FIFOs, sockets, devices, unknown types).
    public var isSpecial: Bool {
        switch self {
        case .regular, .directory, .symbolicLink: return false
        case .fifo, .socket, .characterDevice, .blockDevice, .other: return true
        }
    }
}
