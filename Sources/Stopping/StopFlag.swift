import Foundation

/// A request to stop, set from a signal handler, a test or another thread (`stop()` of a live source) and
/// read by the working thread at every batch, file or chunk. Thread-safe.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var requestedReason: String?
    private var count = 0

    public init() {}

    /// Asks the work to stop; `reason` (e.g. "interrupted by Ctrl-C") is recorded with a run. The first
    /// reason is kept. Returns how many times a stop has been requested, this one included.
    @discardableResult
    public func request(reason: String = "interrupted") -> Int {
        lock.withLock {
            if requestedReason == nil { requestedReason = reason }
            count += 1
            return count
        }
    }

    public var isRequested: Bool { lock.withLock { requestedReason != nil } }
    public var reason: String? { lock.withLock { requestedReason } }

    /// Clears the request (before the next run of a plan).
    public func reset() {
        lock.withLock {
            requestedReason = nil
            count = 0
        }
    }
}
