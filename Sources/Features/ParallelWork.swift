import Foundation

/// Runs indexed work items on a fixed number of threads, each thread pulling the next index,
/// so slow items do not leave other threads idle.
public enum ParallelWork {
    /// Calls `body(i)` once for every `i` in `0..<count`, on `threads` threads (at least 1).
    public static func forEach(count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let next = Counter()
        let workers = Swift.max(1, Swift.min(threads, count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.increment()
                if i >= count { break }
                body(i)
            }
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value - 1
        }
    }
}
