import CFFTW
import Foundation

/// A forward real-to-complex FFT of a fixed size `n` (single precision, FFTW's `r2c` transform).
///
/// FFTW plans are created once per size and shared process-wide: plan *creation* is not
/// thread-safe in FFTW, so it happens under a lock; plan *execution* with the new-array interface
/// (`fftwf_execute_dft_r2c`) is thread-safe. Each `RealFFT` value owns its own 16-byte-aligned
/// input and output buffers (`fftwf_malloc`), so use one instance per thread and reuse it for
/// every frame.
///
/// Plans use `FFTW_ESTIMATE` after importing ``EmbeddedWisdom`` (patiently measured plans for
/// 512, 1024 and 2048 points): the algorithm then depends only on `n` and this fixed wisdom, so
/// results are bit-identical from run to run (plans measured in-process can differ between runs).
public final class RealFFT {
    /// Transform length (number of real input samples).
    public let size: Int
    /// Number of complex output bins, `size / 2 + 1`.
    public var binCount: Int { size / 2 + 1 }

    /// The `size` real inputs. Write a frame here before ``forward()``.
    public let input: UnsafeMutableBufferPointer<Float>
    /// The `binCount` complex outputs, interleaved as (re, im) pairs: `2 · binCount` floats.
    public let output: UnsafeMutableBufferPointer<Float>

    private let plan: SharedPlan

    /// Creates buffers for a transform of `size` samples, making the FFTW plan on first use of `size`.
    /// - Precondition: `size >= 1`.
    public init(size: Int) {
        precondition(size >= 1, "FFT size must be positive, got \(size)")
        self.size = size
        plan = PlanCache.shared.plan(size: size)
        let inRaw = fftwf_malloc(MemoryLayout<Float>.stride * size)!
        let outRaw = fftwf_malloc(MemoryLayout<Float>.stride * 2 * (size / 2 + 1))!
        input = UnsafeMutableBufferPointer(start: inRaw.bindMemory(to: Float.self, capacity: size), count: size)
        output = UnsafeMutableBufferPointer(
            start: outRaw.bindMemory(to: Float.self, capacity: 2 * (size / 2 + 1)), count: 2 * (size / 2 + 1))
        input.initialize(repeating: 0)
        output.initialize(repeating: 0)
    }

    deinit {
        fftwf_free(input.baseAddress)
        fftwf_free(output.baseAddress)
    }

    /// Transforms ``input`` into ``output``. Unnormalised: `X[k] = Σ x[n]·e^{-2πikn/size}`.
    /// - Complexity: O(size · log size).
    @inline(__always)
    public func forward() {
        output.baseAddress!.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) { out in
            fftwf_execute_dft_r2c(plan.plan, input.baseAddress, out)
        }
    }

    /// Number of distinct plans made so far in this process (one per size).
    public static var planCount: Int { PlanCache.shared.count }

    /// Whether FFTW accepted ``EmbeddedWisdom`` (false on other CPUs/FFTW builds; known after the first plan).
    public static var wisdomAccepted: Bool { PlanCache.shared.accepted }

    /// The plan FFTW uses for `size`, in FFTW's notation (e.g. to check that the wisdom applies).
    public static func planDescription(size: Int) -> String {
        let plan = PlanCache.shared.plan(size: size)
        guard let text = fftwf_sprint_plan(plan.plan) else { return "" }
        defer { free(text) }
        return String(cString: text)
    }
}

/// An FFTW plan kept for the life of the process.
final class SharedPlan: @unchecked Sendable {
    let plan: fftwf_plan
    init(plan: fftwf_plan) { self.plan = plan }
}

/// One plan per transform size, made under a lock because FFTW's planner is not thread-safe.
final class PlanCache: @unchecked Sendable {
    static let shared = PlanCache()
    private let lock = NSLock()
    private var plans: [Int: SharedPlan] = [:]
    private var wisdomImported = false
    private(set) var wisdomAccepted = false

    var count: Int { lock.withLock { plans.count } }
    var accepted: Bool { lock.withLock { wisdomAccepted } }

    func plan(size: Int) -> SharedPlan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[size] { return plan }
        if !wisdomImported {
            wisdomAccepted = EmbeddedWisdom.importOnce()
            wisdomImported = true
        }
        // Plan on scratch buffers with the same alignment as every RealFFT's buffers (fftwf_malloc).
        let scratchIn = fftwf_malloc(MemoryLayout<Float>.stride * size)!.bindMemory(to: Float.self, capacity: size)
        let scratchOut = fftwf_malloc(MemoryLayout<fftwf_complex>.stride * (size / 2 + 1))!
            .bindMemory(to: fftwf_complex.self, capacity: size / 2 + 1)
        defer {
            fftwf_free(scratchIn)
            fftwf_free(scratchOut)
        }
        guard let raw = fftwf_plan_dft_r2c_1d(Int32(size), scratchIn, scratchOut, FFTW_ESTIMATE) else {
            fatalError("FFTW could not plan a real FFT of size \(size)")
        }
        let plan = SharedPlan(plan: raw)
        plans[size] = plan
        return plan
    }
}
