import Features
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Feature matrices of one item set in one contiguous float32 file, read back one item at a time, so that
/// training holds a batch of examples instead of every matrix.
///
/// The file is made by ``write(count:in:matrix:)`` in a directory (the feature cache's): a unique
/// temporary name that is unlinked as soon as it is open, so it never shows up as a file, is never left
/// behind (not even by a crash or `kill -9`) and its space returns when the process ends. Items keep
/// their full length (`rows × frames`, row-major, one after the other), so crops, padding and statistics
/// read exactly the floats the in-memory path reads: batches and results are bit-identical.
///
/// Items are read with `pread` into a temporary buffer (served from the kernel's page cache while memory
/// allows), not through a memory map: with a map, every page fault also maps the neighbouring cached pages
/// ("fault-around"), and over an epoch of random reads the whole file became resident in the process even
/// with each item's pages released after use (measured: 385 MB of a 586 MB file after two-thirds of an epoch).
///
/// Thread-safe (`pread` has no shared file position).
public final class StreamedFeatures: @unchecked Sendable {
    /// Rows of every matrix.
    public let rows: Int
    /// Frames of each item.
    public let frames: [Int]
    /// Float offset of each item in the file, and the total at the end (`count + 1` entries).
    let offsets: [Int]
    let descriptor: Int32
    private let directory: String

    public var count: Int { frames.count }
    /// Bytes of the file.
    public var byteCount: Int { (offsets.last ?? 0) * 4 }

    private init(rows: Int, frames: [Int], descriptor: Int32, directory: String) {
        self.rows = rows
        self.frames = frames
        var offsets = [0]
        offsets.reserveCapacity(frames.count + 1)
        for f in frames { offsets.append(offsets.last! + rows * f) }
        self.offsets = offsets
        self.descriptor = descriptor
        self.directory = directory
    }

    deinit { close(descriptor) }

    /// Calls `body` with item `index`'s values (`rows × frames`, row-major, in a buffer valid during the call)
    /// and its frame count.
    ///
    /// - Throws: ``StreamedFeaturesError`` with the system's message when the process's own unlinked file cannot
    ///   be read back (a failing disk, a truncated file), so the run fails with that reason instead of crashing;
    ///   or what `body` throws.
    public func withMatrix<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>, Int) throws -> R) throws -> R {
        let start = offsets[index], count = offsets[index + 1] - start
        guard count > 0 else { return try body(UnsafeBufferPointer(start: nil, count: 0), frames[index]) }
        return try withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { buffer in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var done = 0
            while done < raw.count {
                let n = pread(descriptor, raw.baseAddress! + done, raw.count - done, off_t(start * 4 + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let reason = n == 0 ? "unexpected end of file" : Self.systemMessage()
                    throw StreamedFeaturesError(
                        path: directory, reason: "cannot read the streamed features of item \(index) back: \(reason)")
                }
                done += n
            }
            return try body(UnsafeBufferPointer(buffer), frames[index])
        }
    }

    /// Item `index` as a matrix (a copy).
    public func matrix(_ index: Int) throws -> FeatureMatrix {
        try withMatrix(index) { FeatureMatrix(rows: rows, frames: $1, values: Array($0)) }
    }

    /// Writes `count` matrices (`matrix(i)`, in order) to an unlinked temporary file in `directory`. Only one
    /// matrix is held at a time. An item whose `matrix` is nil (one the caller reports as failed) is stored
    /// empty; every other matrix must have the first one's row count.
    /// - Throws: what `matrix` throws, or ``StreamedFeaturesError`` naming the directory and the system's
    ///   message (no space, not writable, …), or naming the item whose row count differs.
    public static func write(
        count: Int, in directory: URL, matrix: (Int) throws -> FeatureMatrix?
    ) throws -> StreamedFeatures {
        var template = Array(directory.appendingPathComponent(".items.XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw StreamedFeaturesError(path: directory.path, reason: Self.systemMessage()) }
        var keep = false
        defer { if !keep { close(fd) } }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        unlink(path)
        var frames: [Int] = []
        frames.reserveCapacity(count)
        var rows: Int?
        for i in 0..<count {
            guard let m = try matrix(i) else {
                frames.append(0)
                continue
            }
            let expected = rows ?? m.rows
            rows = expected
            guard m.rows == expected || m.values.isEmpty else {
                throw StreamedFeaturesError(path: "item \(i)", reason: "\(m.rows) feature rows, expected \(expected)")
            }
            try m.values.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else {
                        throw StreamedFeaturesError(
                            path: directory.path, reason: "cannot write features: \(systemMessage())")
                    }
                    done += n
                }
            }
            frames.append(m.values.isEmpty ? 0 : m.frames)
        }
        keep = true
        return StreamedFeatures(rows: rows ?? 0, frames: frames, descriptor: fd, directory: directory.path)
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

/// The streamed features' file could not be written or read back.
public struct StreamedFeaturesError: Error, CustomStringConvertible, LocalizedError {
    public var path: String
    public var reason: String
    public var description: String {
        "\(path): \(reason) (training streams features through a temporary file beside the feature cache; free space there or move the store)"
    }
    public var errorDescription: String? { description }
}
