/// A fixed-capacity circular buffer of samples that keeps the most recent `capacity` samples.
///
/// Appending is O(n) in the samples appended and never allocates; copying out the latest `n` samples is O(n).
public struct RingBuffer {
    public let capacity: Int
    private var storage: [Float]
    /// Index in `storage` where the next sample goes.
    private var head = 0
    /// Samples held (≤ capacity).
    public private(set) var count = 0
    /// Samples appended since creation (including overwritten ones).
    public private(set) var totalAppended = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        storage = [Float](repeating: 0, count: capacity)
    }

    /// Appends `samples`, overwriting the oldest when full.
    public mutating func append(_ samples: UnsafeBufferPointer<Float>) {
        totalAppended += samples.count
        var input = samples
        if input.count > capacity { input = UnsafeBufferPointer(rebasing: input[(input.count - capacity)...]) }
        let n = input.count
        guard n > 0 else { return }
        storage.withUnsafeMutableBufferPointer { store in
            let first = min(n, capacity - head)
            (store.baseAddress! + head).update(from: input.baseAddress!, count: first)
            if first < n { store.baseAddress!.update(from: input.baseAddress! + first, count: n - first) }
        }
        head = (head + n) % capacity
        count = min(capacity, count + n)
    }

    public mutating func append(_ samples: [Float]) {
        samples.withUnsafeBufferPointer { append($0) }
    }

    /// Copies the most recent `n` samples (n ≤ ``count``), oldest first, into `out[0..<n]`.
    public func copyLatest(_ n: Int, into out: UnsafeMutableBufferPointer<Float>) {
        copy(n, fromBack: n, into: out)
    }

    /// Copies `n` samples starting `back` samples before the end (n ≤ back ≤ ``count``) into `out[0..<n]`:
    /// `back == n` gives the latest `n`; larger `back` reaches older samples.
    public func copy(_ n: Int, fromBack back: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(
            n <= back && back <= count && n <= out.count,
            "asked for \(n) samples \(back) back; \(count) held, room for \(out.count)")
        guard n > 0 else { return }
        let start = (head - back + capacity) % capacity
        storage.withUnsafeBufferPointer { store in
            let first = min(n, capacity - start)
            out.baseAddress!.update(from: store.baseAddress! + start, count: first)
            if first < n { (out.baseAddress! + first).update(from: store.baseAddress!, count: n - first) }
        }
    }

    /// The most recent `n` samples, oldest first.
    public func latest(_ n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { copyLatest(n, into: $0) }
        return out
    }
}

/// Where the sliding windows fall in a stream: window `k` covers samples `[k·hop, k·hop + length)`.
public struct WindowSchedule: Equatable, Sendable {
    /// Samples per window.
    public let length: Int
    /// Samples between the starts of consecutive windows.
    public let hop: Int

    public init(length: Int, hop: Int) throws {
        guard length > 0, hop > 0 else {
            throw LiveError.invalidConfiguration(
                "window and hop must hold at least one sample (window \(length), hop \(hop))")
        }
        self.length = length
        self.hop = hop
    }

    /// Window and hop in seconds at `sampleRate`, rounded to whole samples.
    public init(windowSeconds: Double, hopSeconds: Double, sampleRate: Int) throws {
        guard windowSeconds.isFinite, windowSeconds > 0, hopSeconds.isFinite, hopSeconds > 0 else {
            throw LiveError.invalidConfiguration(
                "--window and --hop must be positive (got \(windowSeconds) s and \(hopSeconds) s)")
        }
        try self.init(
            length: Int((windowSeconds * Double(sampleRate)).rounded()),
            hop: Int((hopSeconds * Double(sampleRate)).rounded()))
    }

    /// First sample of window `k`.
    public func start(_ k: Int) -> Int { k * hop }
    /// One past the last sample of window `k`.
    public func end(_ k: Int) -> Int { k * hop + length }

    /// How many windows are complete once `samples` samples have arrived: `⌊(samples − length) / hop⌋ + 1`, or 0.
    public func completeWindows(after samples: Int) -> Int {
        samples < length ? 0 : (samples - length) / hop + 1
    }
}
