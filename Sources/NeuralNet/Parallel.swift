import BLAS
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

    /// Whether 3×3 stride-1 padding-1 convolutions use Winograd F(2×2, 3×3) for the forward pass and
    /// the input gradient (see `Winograd`); otherwise im2col + sgemm. On unless the environment sets
    /// `SER_WINOGRAD=0`.
    nonisolated(unsafe) public static var usesWinograd: Bool =
        ProcessInfo.processInfo.environment["SER_WINOGRAD"] != "0"

    /// Winograd convolutions group samples until each of their 16 products has at least this many
    /// columns (tiles); `SER_WINOGRAD_COLUMNS` overrides it.
    nonisolated(unsafe) public static var winogradColumnTarget: Int =
        Int(ProcessInfo.processInfo.environment["SER_WINOGRAD_COLUMNS"] ?? "") ?? 1024

    /// Convolutions take the Winograd path only when each of its 16 products has at least this many
    /// columns (tiles); `SER_WINOGRAD_MIN_COLUMNS` overrides it.
    nonisolated(unsafe) public static var winogradMinimumColumns: Int =
        Int(ProcessInfo.processInfo.environment["SER_WINOGRAD_MIN_COLUMNS"] ?? "") ?? 32

    /// Floating-point operations issued to sgemm since the last reset (2·m·n·k per product).
    nonisolated(unsafe) public static var gemmFLOPs: Int = 0
    private static let flopLock = NSLock()

    static func countFLOPs(_ n: Int) {
        flopLock.lock()
        gemmFLOPs &+= n
        flopLock.unlock()
    }

    /// Sets up `threads` threads the fastest way measured on 2 cores: OpenBLAS single-threaded,
    /// and convolutions run `threads` lanes of samples concurrently (each with single-threaded sgemm
    /// and its own buffers), which avoids OpenBLAS's per-call thread hand-offs (~20 % of CPU time).
    /// Element-wise loops still split over `threads`. Results are deterministic for a given `threads`
    /// (weight gradients of the lanes are summed in lane order) but differ in rounding between
    /// thread counts.
    public static func configure(threads: Int) {
        threadCount = max(1, threads)
        BLASKernels.setThreadCount(1)
    }

    /// Lanes a convolution over `batch` samples uses: ``threadCount`` when OpenBLAS is
    /// single-threaded (see ``configure(threads:)``), else 1 (OpenBLAS parallelises each product).
    static func sampleLanes(batch: Int) -> Int {
        threadCount > 1 && BLASKernels.threadCount == 1 ? min(threadCount, batch) : 1
    }
}

extension Engine {
    /// Lanes one matrix product is split over when a convolution has a single sample (batch-1
    /// inference): ``threadCount`` when OpenBLAS is single-threaded (see ``configure(threads:)``),
    /// else 1 (OpenBLAS threads the product itself).
    static var productLanes: Int { threadCount > 1 && BLASKernels.threadCount == 1 ? threadCount : 1 }
}

/// `C = A·B` (row-major, no transposes; A is m×k, B is k×n) as `lanes` concurrent single-threaded
/// products over contiguous blocks of C: blocks of rows when m ≥ n, else of columns (block edges at
/// multiples of 16). Every element of C is computed by one lane in BLAS's usual order, so the
/// result does not depend on timing. Complexity O(m·n·k).
func laneGemm(
    lanes: Int, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if lanes <= 1 {
        gemm(.none, .none, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        return
    }
    let byRows = m >= n
    let extent = byRows ? m : n
    let blocks = (extent + 15) / 16
    forEachLane(lanes) { lane in
        let lo = min(extent, blocks * lane / lanes * 16), hi = min(extent, blocks * (lane + 1) / lanes * 16)
        if lo >= hi { return }
        if byRows {
            gemm(
                .none, .none, m: hi - lo, n: n, k: k, a: a + lo * lda, lda: lda, b: b, ldb: ldb, c: c + lo * ldc,
                ldc: ldc)
        } else {
            gemm(.none, .none, m: m, n: hi - lo, k: k, a: a, lda: lda, b: b + lo, ldb: ldb, c: c + lo, ldc: ldc)
        }
    }
}

/// Runs `body(lane)` for every lane, concurrently when there is more than one.
@inline(__always)
func forEachLane(_ lanes: Int, _ body: (Int) -> Void) {
    if lanes <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in DispatchQueue.concurrentPerform(iterations: lanes, execute: body) }
}

/// Walks lane `lane`'s share of a batch of `batch` samples (the contiguous range
/// `batch·lane/lanes ..< batch·(lane+1)/lanes`, the split ``forEachLane(_:_:)`` callers use) in groups
/// of at most `group` samples, in order: `body(first, count, isLaneStart)` with `isLaneStart` true for
/// the lane's first group (where a lane's running sum starts instead of adding on).
@inline(__always)
func forEachSampleGroup(
    lane: Int, of lanes: Int, batch: Int, group: Int, _ body: (_ first: Int, _ count: Int, _ isLaneStart: Bool) -> Void
) {
    let start = batch * lane / lanes, end = batch * (lane + 1) / lanes
    var n0 = start
    while n0 < end {
        let s = min(group, end - n0)
        body(n0, s, n0 == start)
        n0 += s
    }
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
