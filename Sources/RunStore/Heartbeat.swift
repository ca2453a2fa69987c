import Dispatch
import Foundation

/// Stamps a running run's heartbeat on a background timer, so `ser runs` can tell a live run whose epoch
/// takes long from a dead one. Stops when `stop()` is called or the value is deinitialised.
///
///     let heartbeat = store.startHeartbeat(runID)   // every 30 s
///     defer { heartbeat.stop() }
public final class Heartbeat: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    private let lock = NSLock()
    private var stopped = false

    init(store: RunStore, runID: Int64, interval: TimeInterval) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ser.heartbeat.\(runID)"))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        timer.setEventHandler { try? store.heartbeat(runID) }
        timer.resume()
    }

    /// Stops the timer (idempotent).
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        if stopped { return }
        stopped = true
        timer.cancel()
    }

    deinit { stop() }
}

extension RunStore {
    /// Starts stamping `runID`'s heartbeat every `interval` seconds (failures to write are ignored: the next
    /// beat retries).
    public func startHeartbeat(_ runID: Int64, every interval: TimeInterval = 30) -> Heartbeat {
        Heartbeat(store: self, runID: runID, interval: interval)
    }
}
