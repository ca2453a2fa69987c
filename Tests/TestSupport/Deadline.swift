import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body` on its own thread and waits at most `seconds` for it, so that code which would block for
/// ever (opening a FIFO) fails its test instead of hanging the suite.
///
/// - Parameter fifos: FIFOs the code might block on. On a timeout each is opened for reading and writing
///   and closed again, which releases a thread blocked opening or reading it.
/// - Returns: what `body` returned or threw; nil when it did not finish in time.
public func finishing<T>(
    within seconds: Double, releasing fifos: [String] = [], _ body: @escaping () throws -> T
) -> Result<T, any Error>? {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.set(Result { try body() })
        done.signal()
    }
    thread.start()
    if done.wait(timeout: .now() + seconds) == .success { return box.value }
    for fifo in fifos {
        let descriptor = open(fifo, O_RDWR | O_NONBLOCK)
        if descriptor >= 0 {
            usleep(100_000)
            close(descriptor)
        }
    }
    _ = done.wait(timeout: .now() + 5)
    return nil
}

/// Makes a FIFO (named pipe) at `path`.
public func makeFIFO(_ path: String) throws {
    guard mkfifo(path, 0o644) == 0 else {
        throw NSError(
            domain: "mkfifo", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "mkfifo \(path) failed"])
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<T, any Error>?

    var value: Result<T, any Error>? { lock.withLock { stored } }
    func set(_ result: Result<T, any Error>) { lock.withLock { stored = result } }
}
