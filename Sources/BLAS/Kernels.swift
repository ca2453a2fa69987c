import CBLAS
import Foundation

/// Which OpenBLAS compute kernels are in use, and the machinery that picks the right ones.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent Intel CPUs and falls back to its
/// "Prescott" (SSE3) kernels, which run sgemm about 5× slower than the SkylakeX (AVX-512)
/// kernels the CPU supports, with the same results. OpenBLAS reads `OPENBLAS_CORETYPE` when the
/// library loads, before `main`, so setting the variable from inside the process is too late.
///
/// `BLASKernels` fixes that before the first BLAS call made through this module: when the user
/// has not set `OPENBLAS_CORETYPE` and OpenBLAS reports an older core than the CPU's features
/// support, it sets the variable and asks OpenBLAS to run its dynamic-architecture
/// initialisation again (`gotoblas_dynamic_quit` + `gotoblas_dynamic_init`, exported by every
/// DYNAMIC_ARCH build). When those symbols are missing, ``selection`` reports
/// ``Selection/Source/restartNeeded`` and the `ser` executable re-executes itself once with the
/// variable set.
public enum BLASKernels {
    /// The outcome of kernel selection.
    public struct Selection: Sendable, Equatable {
        public enum Source: String, Sendable {
            /// `OPENBLAS_CORETYPE` was set by the user (or a parent `ser`); left alone.
            case environment
            /// OpenBLAS's own detection was already the best the CPU supports.
            case library
            /// `ser` switched OpenBLAS to better kernels in-process.
            case switched
            /// Better kernels exist but this OpenBLAS cannot switch in-process; re-execute with
            /// ``Selection/recommendedCore`` in `OPENBLAS_CORETYPE`.
            case restartNeeded
        }
        /// The core OpenBLAS chose when it loaded.
        public var detectedCore: String
        /// The core whose kernels run now.
        public var activeCore: String
        /// The best core this CPU's features support (nil when the CPU is not one we rank).
        public var recommendedCore: String?
        public var source: Source
    }

    /// Selects the kernels once (thread-safe, on first access) and returns what happened.
    /// Also shortens how long idle OpenBLAS threads spin (see ``limitIdleSpinning()``).
    public static let selection: Selection = {
        let selection = select(environment: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
        limitIdleSpinning()
        return selection
    }()

    /// Makes idle OpenBLAS worker threads sleep almost at once instead of spinning with
    /// `sched_yield` for ~2²⁸ cycles after each call (OpenBLAS's default `OPENBLAS_THREAD_TIMEOUT`
    /// of 28). Between matrix products the engine runs its own element-wise loops on the same
    /// cores; spinning BLAS threads steal those cores (measured: ResNet inference up to 2× slower on
    /// 2 cores). Leaves a user-set `OPENBLAS_THREAD_TIMEOUT` alone. Restarts OpenBLAS's thread pool
    /// in-process with `openblas_read_env` + `blas_thread_shutdown_` + `blas_thread_init`, exported
    /// by pthread builds; does nothing when they are missing.
    static func limitIdleSpinning() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == nil,
            let readEnvironment = symbol("openblas_read_env"), let shutdown = intSymbol("blas_thread_shutdown_"),
            let start = intSymbol("blas_thread_init")
        else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)  // OpenBLAS's minimum: 2⁴ cycles
        readEnvironment()
        _ = shutdown()
        _ = start()
    }

    /// Call before the first BLAS operation; every wrapper in this module does.
    @inline(__always)
    public static func ensureSelected() { _ = selection }

    /// The OpenBLAS core name in use now, e.g. "SkylakeX".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ...".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The OpenBLAS version number parsed from ``configuration``, e.g. "0.3.21".
    public static var version: String {
        let words = configuration.split(separator: " ")
        if let i = words.firstIndex(of: "OpenBLAS"), i + 1 < words.count { return String(words[i + 1]) }
        return configuration
    }

    /// Number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        get { ensureSelected(); return Int(openblas_get_num_threads()) }
    }

    /// Sets the number of threads OpenBLAS uses for one call.
    public static func setThreadCount(_ n: Int) {
        ensureSelected()
        openblas_set_num_threads(Int32(max(1, n)))
    }

    // MARK: - Selection

    /// x86 cores that OpenBLAS knows, weakest first. Only cores on this ladder are upgraded.
    static let intelLadder = [
        "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
        "Dunnington", "Nehalem", "Sandybridge", "Haswell", "SkylakeX", "Cooperlake",
    ]

    /// The best OpenBLAS core for a CPU with these `/proc/cpuinfo` flags.
    static func recommendedCore(flags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        if avx512.allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// Whether `core` is weaker than `recommended` on the ladder (unknown cores are left alone).
    public static func isUpgrade(from core: String, to recommended: String) -> Bool {
        func rank(_ name: String) -> Int? {
            intelLadder.firstIndex { $0.caseInsensitiveCompare(name) == .orderedSame }
        }
        guard let a = rank(core), let b = rank(recommended) else { return false }
        return a < b
    }

    static func select(environment userCore: String?) -> Selection {
        let detected = coreName
        let recommended = recommendedCore(flags: CPUInfo.flags())
        if let userCore, !userCore.isEmpty {
            return Selection(
                detectedCore: detected, activeCore: detected, recommendedCore: recommended, source: .environment)
        }
        guard let recommended, isUpgrade(from: detected, to: recommended) else {
            return Selection(
                detectedCore: detected, activeCore: detected, recommendedCore: recommended, source: .library)
        }
        guard let quit = symbol("gotoblas_dynamic_quit"), let initialise = symbol("gotoblas_dynamic_init") else {
            return Selection(
                detectedCore: detected, activeCore: detected, recommendedCore: recommended, source: .restartNeeded)
        }
        setenv("OPENBLAS_CORETYPE", recommended, 1)
        quit()
        initialise()
        let active = coreName
        return Selection(
            detectedCore: detected, activeCore: active, recommendedCore: recommended,
            source: active.caseInsensitiveCompare(recommended) == .orderedSame ? .switched : .library)
    }

    private typealias VoidFunction = @convention(c) () -> Void
    private typealias IntFunction = @convention(c) () -> Int32

    private static func intSymbol(_ name: String) -> IntFunction? {
        #if canImport(Glibc)
            guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
            return unsafeBitCast(pointer, to: IntFunction.self)
        #else
            return nil
        #endif
    }

    private static func symbol(_ name: String) -> VoidFunction? {
        #if canImport(Glibc)
            // RTLD_DEFAULT is ((void *) 0) on glibc.
            guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
            return unsafeBitCast(pointer, to: VoidFunction.self)
        #else
            return nil
        #endif
    }
}

/// CPU feature flags, read from `/proc/cpuinfo` on Linux (empty elsewhere).
enum CPUInfo {
    static func flags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
