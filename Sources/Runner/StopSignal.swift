import Dispatch
import Foundation
import Stopping

#if canImport(Glibc)
    import Glibc
#endif

/// The write end of the pipe the C signal handler writes the signal number to (-1: no trap installed).
/// Only `write(2)` happens in the handler, which is async-signal-safe.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Turns SIGINT (Ctrl-C) and SIGTERM into stop requests: a C handler replaces the default action (exit at
/// once) and passes the signal through a pipe to a listener thread, which sets `flag`, so the run stops at
/// the end of the current epoch with that epoch's metrics and checkpoint recorded. A second signal calls
/// `onRepeat` (which marks the run interrupted and exits). `cancel()` restores the default actions.
///
/// (Not a `DispatchSource`: on Linux it reads a signalfd, which only sees signals blocked in every thread,
/// and BLAS and dispatch threads already exist when a run starts.) One trap at a time per process.
public final class SignalTrap: @unchecked Sendable {
    private let signals: [Int32] = [SIGINT, SIGTERM]
    private var readEnd: Int32 = -1
    private var writeEnd: Int32 = -1
    private let lock = NSLock()
    private var cancelled = false

    public init(
        flag: StopFlag, onFirst: @escaping @Sendable (Int32) -> Void, onRepeat: @escaping @Sendable (Int32) -> Void
    ) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        readEnd = fds[0]
        writeEnd = fds[1]
        signalPipeWriteEnd = writeEnd
        let reader = readEnd
        let thread = Thread {
            var byte: UInt8 = 0
            while read(reader, &byte, 1) == 1 {
                let number = Int32(byte)
                if number == 0 { break }  // cancel()
                let reason = number == SIGINT ? "interrupted by Ctrl-C" : "interrupted by SIGTERM"
                if flag.request(reason: reason) == 1 { onFirst(number) } else { onRepeat(number) }
            }
            close(reader)
        }
        thread.name = "ser.signals"
        thread.start()
        for number in signals {
            signal(number) { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
        }
    }

    /// Stops listening and restores the default signal actions (idempotent).
    public func cancel() {
        lock.lock()
        defer { lock.unlock() }
        guard !cancelled, writeEnd >= 0 else { return }
        cancelled = true
        for number in signals { signal(number, SIG_DFL) }
        signalPipeWriteEnd = -1
        var zero: UInt8 = 0
        _ = write(writeEnd, &zero, 1)
        close(writeEnd)
    }

    deinit { cancel() }
}
