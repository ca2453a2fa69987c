import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A request to stop training, set from a signal handler or a test and read by the training thread at
/// every batch. Thread-safe.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var requestedReason: String?
    private var count = 0

    public init() {}

    /// Asks the run to stop; `reason` (e.g. "interrupted by Ctrl-C") is recorded with the run. The first
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

/// Turns SIGINT (Ctrl-C) and SIGTERM into stop requests: the default action (exit at once) is ignored
/// and a dispatch source sets `flag` instead, so the run stops at the end of the current epoch, with
/// that epoch's metrics and checkpoint recorded. A second signal calls `onRepeat` (which marks the run
/// interrupted and exits). `cancel()` restores the default actions.
public final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let signals: [Int32] = [SIGINT, SIGTERM]

    public init(flag: StopFlag, onFirst: @escaping @Sendable (Int32) -> Void, onRepeat: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "ser.signals")
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let reason = number == SIGINT ? "interrupted by Ctrl-C" : "interrupted by SIGTERM"
                if flag.request(reason: reason) == 1 { onFirst(number) } else { onRepeat(number) }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops listening and restores the default signal actions.
    public func cancel() {
        for source in sources { source.cancel() }
        sources = []
        for number in signals { signal(number, SIG_DFL) }
    }

    deinit { cancel() }
}
