import Foundation

/// A dense Float32 tensor in row-major (for images: NCHW) layout, with value semantics.
///
/// Storage is copy-on-write over a 64-byte-aligned buffer that comes from ``BufferPool``: when the
/// last tensor referring to a buffer goes away, the buffer returns to the pool and the next tensor of
/// the same size reuses it, so a training step allocates no fresh pages after the first one.
/// Reading is free; the first write to a shared buffer copies it (O(count)).
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    /// Extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// A tensor whose contents are unspecified (every kernel that uses this overwrites all elements).
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A tensor filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(uninitializedShape: shape)
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    /// A tensor with the given elements (row-major); `scalars.count` must equal the shape's product.
    public init(shape: [Int], scalars: [Float]) {
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: scalars.count) }
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }

    /// The elements, row-major (a copy).
    public var scalars: [Float] {
        get { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }
        set {
            precondition(newValue.count == count, "expected \(count) scalars, got \(newValue.count)")
            newValue.withUnsafeBufferPointer { mutablePointer.update(from: $0.baseAddress!, count: count) }
        }
    }

    /// Element at a flat index.
    @inlinable public subscript(index: Int) -> Float {
        get { storage.pointer[index] }
        set { mutablePointer[index] = newValue }
    }

    /// The same elements viewed with another shape of equal element count (shares storage).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Calls `body` with read-only access to the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: storage.pointer, count: count)) }
    }

    /// Calls `body` with mutable access to the elements (copies first when the buffer is shared).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R)
        rethrows -> R
    {
        let p = mutablePointer
        return try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: p, count: count)) }
    }

    /// Read-only pointer; valid while this tensor (or a copy of it) is alive and unmodified.
    @inlinable var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// Mutable pointer after making the storage unique; valid while this tensor is alive.
    @inlinable var mutablePointer: UnsafeMutablePointer<Float> {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            return storage.pointer
        }
    }

    /// Whether no other tensor shares this tensor's buffer (so writing in place costs nothing).
    @inlinable public mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&storage) }

    /// Sets every element to zero.
    public mutating func zero() { mutablePointer.update(repeating: 0, count: count) }

    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }

    // 4-D accessors (NCHW).
    @inlinable var n: Int { shape[0] }
    @inlinable var c: Int { shape[1] }
    @inlinable var h: Int { shape[2] }
    @inlinable var w: Int { shape[3] }
}

/// A reference-counted, pooled buffer of Float32.
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int

    @usableFromInline init(count: Int) {
        self.count = count
        pointer = BufferPool.shared.take(count)
    }

    @usableFromInline func copy() -> TensorStorage {
        let s = TensorStorage(count: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    deinit { BufferPool.shared.give(pointer, count: count) }
}

/// A cache of freed large buffers, keyed by element count.
///
/// A training step makes the same allocations every time; recycling them avoids glibc's
/// mmap/munmap of large blocks (and the page faults that would follow) on every step.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    /// Buffers smaller than this many elements go straight to malloc/free.
    static let minimumPooledCount = 16_384
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0
    private let lock = NSLock()
    /// Upper bound on memory kept for reuse.
    public var capacityBytes = 8 << 30

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumPooledCount {
            lock.lock()
            if let p = free[count]?.popLast() {
                pooledBytes -= count * 4
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, max(1, count) * MemoryLayout<Float>.stride)
        precondition(status == 0 && raw != nil, "out of memory allocating \(count) floats")
        return raw!.bindMemory(to: Float.self, capacity: max(1, count))
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count >= Self.minimumPooledCount {
            lock.lock()
            if pooledBytes + count * 4 <= capacityBytes {
                free[count, default: []].append(pointer)
                pooledBytes += count * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(pointer)
    }

    /// Releases every cached buffer to the system.
    public func drain() {
        lock.lock()
        for (_, list) in free { for p in list { Foundation.free(p) } }
        free = [:]
        pooledBytes = 0
        lock.unlock()
    }

    /// Bytes currently held for reuse.
    public var cachedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return pooledBytes
    }
}
