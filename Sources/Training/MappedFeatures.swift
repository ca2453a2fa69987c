import Features
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Feature matrices of one item set in one contiguous float32 file, memory-mapped read-only, so that
/// training reads each example from the page cache instead of holding every matrix in memory.
///
/// The file is made by ``write(count:in:matrix:)`` in a directory (the feature cache's): a unique
/// temporary name that is unlinked as soon as it is open, so it never shows up as a file, is never left
/// behind (not even by a crash or `kill -9`) and its space returns when the process ends. Items keep
/// their full length (`rows × frames`, row-major, one after the other), so crops, padding and statistics
/// read exactly the floats the in-memory path reads: batches and results are bit-identical.
///
/// After each read (``withMatrix(_:_:)``) the item's pages are dropped from the process (`madvise
/// MADV_DONTNEED`; the kernel keeps them in its page cache while memory allows), so the resident set stays
/// at a batch, not at the corpus.
///
/// Thread-safe (read-only after it is made).
public final class MappedFeatures: @unchecked Sendable {
    /// Rows of every matrix.
    public let rows: Int
    /// Frames of each item.
    public let frames: [Int]
    /// Float offset of each item in the file, and the total at the end (`count + 1` entries).
    let offsets: [Int]
    private let base: UnsafeMutableRawPointer?
    private let length: Int
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    public var count: Int { frames.count }
    /// Bytes of the mapped file.
    public var byteCount: Int { length }

    private init(rows: Int, frames: [Int], base: UnsafeMutableRawPointer?, length: Int) {
        self.rows = rows
        self.frames = frames
        var offsets = [0]
        offsets.reserveCapacity(frames.count + 1)
        for f in frames { offsets.append(offsets.last! + rows * f) }
        self.offsets = offsets
        self.base = base
        self.length = length
    }

    deinit {
        if let base { munmap(base, length) }
    }

    /// Calls `body` with item `index`'s values (`rows × frames`, row-major) and its frame count, then
    /// drops the item's pages from the process's resident set.
    public func withMatrix<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>, Int) throws -> R) rethrows -> R {
        let start = offsets[index], end = offsets[index + 1]
        guard let base, end > start else { return try body(UnsafeBufferPointer(start: nil, count: 0), frames[index]) }
        let pointer = (base + start * 4).assumingMemoryBound(to: Float.self)
        defer {
            let page = Self.pageSize
            let from = (start * 4) / page * page
            let to = min(length, (end * 4 + page - 1) / page * page)
            // Read-only file pages: dropping them only means the next read faults them in from the page cache.
            _ = madvise(base + from, to - from, Int32(MADV_DONTNEED))
        }
        return try body(UnsafeBufferPointer(start: pointer, count: end - start), frames[index])
    }

    /// Item `index` as a matrix (a copy).
    public func matrix(_ index: Int) -> FeatureMatrix {
        withMatrix(index) { FeatureMatrix(rows: rows, frames: $1, values: Array($0)) }
    }

    /// Writes `count` matrices (`matrix(i)`, in order) to an unlinked temporary file in `directory` and maps
    /// it. Only one matrix is held at a time. An item whose `matrix` is nil (one the caller reports as
    /// failed) is stored empty; every other matrix must have the first one's row count.
    /// - Throws: what `matrix` throws, or ``MappedFeaturesError`` naming the directory and the system's
    ///   message (no space, not writable, …), or naming the item whose row count differs.
    public static func write(
        count: Int, in directory: URL, matrix: (Int) throws -> FeatureMatrix?
    ) throws -> MappedFeatures {
        var template = Array(directory.appendingPathComponent(".items.XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw MappedFeaturesError(path: directory.path, reason: Self.systemMessage()) }
        defer { close(fd) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        unlink(path)
        var frames: [Int] = []
        frames.reserveCapacity(count)
        var length = 0
        var rows: Int?
        for i in 0..<count {
            guard let m = try matrix(i) else {
                frames.append(0)
                continue
            }
            let expected = rows ?? m.rows
            rows = expected
            guard m.rows == expected || m.values.isEmpty else {
                throw MappedFeaturesError(path: "item \(i)", reason: "\(m.rows) feature rows, expected \(expected)")
            }
            try m.values.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else {
                        throw MappedFeaturesError(
                            path: directory.path, reason: "cannot write features: \(systemMessage())")
                    }
                    done += n
                }
            }
            length += m.values.count * 4
            frames.append(m.values.isEmpty ? 0 : m.frames)
        }
        guard length > 0 else { return MappedFeatures(rows: rows ?? 0, frames: frames, base: nil, length: 0) }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw MappedFeaturesError(path: directory.path, reason: "cannot map the features: \(systemMessage())")
        }
        return MappedFeatures(rows: rows ?? 0, frames: frames, base: mapped, length: length)
    }

    private static func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
            Glibc.write(fd, bytes, count)
        #else
            Darwin.write(fd, bytes, count)
        #endif
    }

    private static func systemMessage() -> String { String(cString: strerror(errno)) }
}

/// The streamed features' file could not be written or mapped.
public struct MappedFeaturesError: Error, CustomStringConvertible, LocalizedError {
    public var path: String
    public var reason: String
    public var description: String {
        "\(path): \(reason) (training streams features through a temporary file beside the feature cache; free space there or move the store)"
    }
    public var errorDescription: String? { description }
}
