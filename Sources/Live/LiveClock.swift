import Foundation

/// A monotonic clock in seconds, injectable so tests can replay files without waiting.
public protocol LiveClock {
    /// Seconds since an arbitrary fixed origin; never goes backwards.
    func now() -> Double
    /// Sleeps for `seconds` (≤ 0 returns at once).
    func sleep(_ seconds: Double)
}

/// `CLOCK_MONOTONIC` and `nanosleep`.
public struct SystemClock: LiveClock {
    public init() {}

    public func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    public func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&ts, &remaining) != 0 && errno == EINTR { ts = remaining }
    }
}

/// Parses durations written as "3", "3s", "0.5s" or "500ms" into seconds; nil when malformed or not > 0.
public func parseSeconds(_ text: String) -> Double? {
    let t = text.trimmingCharacters(in: .whitespaces).lowercased()
    let value: Double?
    if t.hasSuffix("ms") {
        value = Double(t.dropLast(2)).map { $0 / 1000 }
    } else if t.hasSuffix("s") {
        value = Double(t.dropLast())
    } else {
        value = Double(t)
    }
    guard let value, value.isFinite, value > 0 else { return nil }
    return value
}
