import Foundation

/// What `ser` does when its standard output is a pipe nobody reads any more (`ser runs | head -1`).
///
/// A listing has nothing left to do once its reader is gone, so the process ends at once, quietly, with
/// status 0, as `head` expects of the commands it cuts short. This is the one place that decides it:
/// `main.swift` calls ``endQuietly()`` before any command runs, so every `print`, `FileHandle.standardOutput`
/// write and the buffered output flushed at exit are covered without per-command code.
///
/// Only standard output counts: a broken pipe elsewhere (a closed standard error) still ends the process
/// with SIGPIPE, as before. `ser run` and `ser resume` opt out with ``dieOfSIGPIPE()``: a training run cut
/// short by a closed pipe has not succeeded, so it must not report status 0. `ser listen` ignores SIGPIPE to
/// stop its audio source cleanly and ends quietly on ``Live/LiveError/outputClosed(_:)`` itself.
public enum ClosedOutput {
    /// Installs the SIGPIPE handler that ends the process with status 0 when standard output is closed.
    /// SIGPIPE is unblocked first: a blocked signal, inherited from whatever started `ser`, would turn a broken
    /// pipe into a write error instead.
    public static func endQuietly() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGPIPE, onBrokenPipe)
    }

    /// SIGPIPE's default action again: a closed pipe ends the process by the signal (status 141 in a shell).
    static func dieOfSIGPIPE() {
        signal(SIGPIPE, SIG_DFL)
    }

    /// Whether standard output is a pipe (or socket) whose reading end is closed: Linux reports POLLERR for
    /// the writing end of a pipe without readers. Async-signal-safe (`poll` only).
    static func standardOutputIsClosed() -> Bool {
        var descriptor = pollfd(fd: STDOUT_FILENO, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, 0) == 1 else { return false }
        return descriptor.revents & Int16(POLLERR | POLLHUP) != 0
    }
}

/// The SIGPIPE handler: only async-signal-safe calls (`poll`, `_exit`, `signal`, `raise`).
private func onBrokenPipe(_: Int32) {
    if ClosedOutput.standardOutputIsClosed() { _exit(0) }
    // Another pipe broke: die of SIGPIPE as without the handler (delivered when this handler returns).
    signal(SIGPIPE, SIG_DFL)
    raise(SIGPIPE)
}
