import Foundation

/// Progress of a long job on stderr: a redrawn bar (`[#####.....] 120/1200  45.2 files/s  ETA 24 s`)
/// when stderr is a terminal, otherwise a plain line at most every `interval` seconds and at the end.
/// Thread-safe.
public final class ProgressReporter: @unchecked Sendable {
    public let total: Int
    public let label: String
    private let isTerminal: Bool
    private let interval: Double
    private let lock = NSLock()
    private var done = 0
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastPrint: UInt64 = 0
    private let output: (String) -> Void

    /// - Parameters:
    ///   - terminal: draw a bar (default: whether stderr is a TTY).
    ///   - output: where text goes (default: stderr).
    public init(
        total: Int, label: String, terminal: Bool? = nil, interval: Double = 5,
        output: ((String) -> Void)? = nil
    ) {
        self.total = total
        self.label = label
        self.isTerminal = terminal ?? (isatty(2) == 1)
        self.interval = interval
        self.output = output ?? { FileHandle.standardError.write(Data($0.utf8)) }
    }

    /// Marks one more item done.
    public func advance() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        let now = DispatchTime.now().uptimeNanoseconds
        let minimumGap = isTerminal ? 0.1 : interval
        if Double(now - lastPrint) / 1e9 >= minimumGap || (isTerminal && done == total) {
            lastPrint = now
            emit(now: now, final: false)
        }
    }

    /// Prints the final state (and a newline after a bar).
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        emit(now: DispatchTime.now().uptimeNanoseconds, final: true)
    }

    private func emit(now: UInt64, final: Bool) {
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let stats = String(format: "%d/%d  %.1f files/s", done, total, rate)
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let tail = final ? String(format: "  %.1f s\n", seconds) : String(format: "  ETA %.0f s", eta)
            output("\r\(label) [\(bar)] \(stats)\(tail)\u{1B}[K")
        } else if final {
            output("\(label): done, \(stats), \(String(format: "%.1f", seconds)) s\n")
        } else {
            output("\(label): \(stats), ETA \(String(format: "%.0f", eta)) s\n")
        }
    }
}
