import BLAS
import Dispatch
import Foundation

/// Threading, convolution paths and operation counting shared by the layers.
///
/// The knobs are one value, ``Settings``, read by every layer and changed only for the length of a scope:
///
///     try Engine.with(threads: 2) { try learner.fit(plan) }     // one lane per thread, single-threaded BLAS
///     Engine.with(Engine.settings.with(\.usesWinograd, false)) { … }
///
/// Scopes nest and restore what was there before, OpenBLAS's own thread count included. Scopes on different
/// threads are serialised (the settings are process-wide), so a scope is meant to wrap a whole job.
public enum Engine {
    /// Every knob of the engine.
    public struct Settings: Equatable, Sendable {
        /// Threads used for element-wise loops and im2col/col2im, and lanes of samples when OpenBLAS is
        /// single-threaded. Results do not depend on it for element-wise work (each output element is
        /// computed by one thread in a fixed order); lanes change the rounding of summed weight gradients.
        public var threads: Int
        /// Threads OpenBLAS uses for one call.
        public var blasThreads: Int
        /// Convolutions batch samples into one sgemm until it has at least this many columns (output
        /// pixels), so small late-stage feature maps still make well-shaped products.
        public var gemmColumnTarget: Int
        /// Whether 3×3 stride-1 padding-1 convolutions use Winograd F(2×2, 3×3) for the forward pass and the
        /// input gradient (see `Winograd`); otherwise im2col + sgemm.
        public var usesWinograd: Bool
        /// Winograd convolutions group samples until each of their 16 products has at least this many
        /// columns (tiles).
        public var winogradColumnTarget: Int
        /// Convolutions take the Winograd path only when each of its 16 products has at least this many
        /// columns (tiles).
        public var winogradMinimumColumns: Int

        public init(
            threads: Int, blasThreads: Int, gemmColumnTarget: Int = 1024, usesWinograd: Bool = true,
            winogradColumnTarget: Int = 1024, winogradMinimumColumns: Int = 32
        ) {
            self.threads = max(1, threads)
            self.blasThreads = max(1, blasThreads)
            self.gemmColumnTarget = gemmColumnTarget
            self.usesWinograd = usesWinograd
            self.winogradColumnTarget = winogradColumnTarget
            self.winogradMinimumColumns = winogradMinimumColumns
        }

        /// The settings a process starts with: one thread per core with OpenBLAS threading each product,
        /// and the convolution knobs from `SER_GEMM_COLUMNS`, `SER_WINOGRAD=0`, `SER_WINOGRAD_COLUMNS` and
        /// `SER_WINOGRAD_MIN_COLUMNS` where set.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) -> Settings {
            func int(_ name: String, _ fallback: Int) -> Int { environment[name].flatMap { Int($0) } ?? fallback }
            return Settings(
                threads: ProcessInfo.processInfo.activeProcessorCount, blasThreads: BLASKernels.threadCount,
                gemmColumnTarget: int("SER_GEMM_COLUMNS", 1024), usesWinograd: environment["SER_WINOGRAD"] != "0",
                winogradColumnTarget: int("SER_WINOGRAD_COLUMNS", 1024),
                winogradMinimumColumns: int("SER_WINOGRAD_MIN_COLUMNS", 32))
        }

        /// These settings with `threads` lanes, each with single-threaded OpenBLAS: batches split their
        /// samples over the lanes (training, evaluation) and a single sample splits each product (live
        /// windows), which avoids OpenBLAS's per-call thread hand-offs (~20 % of CPU time on 2 cores).
        /// Results are deterministic for a given `threads` but differ in rounding between thread counts.
        public func lanes(_ threads: Int) -> Settings {
            var copy = self
            copy.threads = max(1, threads)
            copy.blasThreads = 1
            return copy
        }

        /// These settings with one knob changed.
        public func with<Value>(_ key: WritableKeyPath<Settings, Value>, _ value: Value) -> Settings {
            var copy = self
            copy[keyPath: key] = value
            return copy
        }
    }

    /// The settings in force (read on every layer call; written only by ``with(_:_:)``).
    nonisolated(unsafe) private static var current = Settings.fromEnvironment()
    private static let scopeLock = NSRecursiveLock()

    /// The settings in force.
    public static var settings: Settings { current }

    /// Runs `body` with `settings` in force and restores the previous settings afterwards, also when `body`
    /// throws.
    public static func with<T>(_ settings: Settings, _ body: () throws -> T) rethrows -> T {
        scopeLock.lock()
        defer { scopeLock.unlock() }
        let previous = current
        apply(settings)
        defer { apply(previous) }
        return try body()
    }

    /// Runs `body` with `threads` lanes of single-threaded OpenBLAS (``Settings/lanes(_:)``), the fastest
    /// setting `ser bench train` and `ser bench listen` measure on 2 cores.
    public static func with<T>(threads: Int, _ body: () throws -> T) rethrows -> T {
        try with(current.lanes(threads), body)
    }

    private static func apply(_ settings: Settings) {
        current = settings
        if BLASKernels.threadCount != settings.blasThreads { BLASKernels.setThreadCount(settings.blasThreads) }
    }

    static var threadCount: Int { current.threads }
    static var gemmColumnTarget: Int { current.gemmColumnTarget }
    static var usesWinograd: Bool { current.usesWinograd }
    static var winogradColumnTarget: Int { current.winogradColumnTarget }
    static var winogradMinimumColumns: Int { current.winogradMinimumColumns }

    /// Runs `body` and returns its result with the floating-point operations it issued to sgemm (2·m·n·k per
    /// product). Not meaningful when other threads use the engine at the same time.
    public static func countingFLOPs<T>(_ body: () throws -> T) rethrows -> (result: T, flops: Int) {
        let start = flops.value
        let result = try body()
        return (result, flops.value &- start)
    }

    private static let flops = FLOPCounter()

    static func countFLOPs(_ n: Int) { flops.add(n) }

    /// Lanes a convolution over `batch` samples uses: ``Settings/threads`` when OpenBLAS is single-threaded
    /// (see ``Settings/lanes(_:)``), else 1 (OpenBLAS parallelises each product).
    static func sampleLanes(batch: Int) -> Int {
        current.threads > 1 && current.blasThreads == 1 ? min(current.threads, batch) : 1
    }
}

/// A running total of sgemm operations, added to from any thread.
private final class FLOPCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    var value: Int { lock.withLock { total } }
    func add(_ n: Int) { lock.withLock { total &+= n } }
}

extension Engine {
    /// Lanes one matrix product is split over when a convolution has a single sample (batch-1
    /// inference): ``Settings/threads`` when OpenBLAS is single-threaded (see ``Settings/lanes(_:)``),
    /// else 1 (OpenBLAS threads the product itself).
    static var productLanes: Int { current.threads > 1 && current.blasThreads == 1 ? current.threads : 1 }
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
