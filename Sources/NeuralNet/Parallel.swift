import Dispatch
import Foundation

/// Threading and operation counting shared by the layers.
public enum Engine {
    /// Threads used for element-wise loops and im2col/col2im (BLAS threads are set in `BLASKernels`).
    /// Results do not depend on this number: work is split so every output element is computed by
    /// exactly one thread in a fixed order.
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Convolutions batch samples into one sgemm until it has at least this many columns
    /// (output pixels): small late-stage feature maps then still make well-shaped products.
    nonisolated(unsafe) public static var gemmColumnTarget: Int =
        Int(ProcessInfo.processInfo.environment["SER_GEMM_COLUMNS"] ?? "") ?? 1024

    /// Floating-point operations issued to sgemm since the last reset (2·m·n·k per product).
    nonisolated(unsafe) public static var gemmFLOPs: Int = 0
}

/// Runs `body(i)` for i in 0..<count, split over ``Engine/threadCount`` threads in contiguous
/// chunks when `count · costPerItem` is large enough to pay for the hand-off (~1e5 element ops).
@inline(__always)
func parallelFor(_ count: Int, costPerItem: Int = 1, _ body: (Int) -> Void) {
    let threads = min(Engine.threadCount, count)
    if threads <= 1 || count * costPerItem < 100_000 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let start = count * t / threads
            let end = count * (t + 1) / threads
            for i in start..<end { body(i) }
        }
    }
}
