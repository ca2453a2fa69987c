import XCTest

/// Finite-difference gradient checks for layers, losses and whole networks.
///
/// The function under test maps a flat Float32 vector to a scalar (accumulated in Double); its
/// numerical gradient is taken by central differences `(f(x + εeᵢ) − f(x − εeᵢ)) / 2ε` at selected
/// coordinates and compared with the analytic gradient by the norm-wise relative error
/// `‖a − n‖ / (‖a‖ + ‖n‖)`, which is robust to individual tiny components.
public enum GradientChecker {
    /// Central-difference gradient of `f` at `x`, at `indices` (all coordinates when nil).
    public static func numericalGradient(
        at x: [Float], indices: [Int]? = nil, epsilon: Float = 1e-2, _ f: ([Float]) -> Double
    ) -> [Double] {
        var point = x
        return (indices ?? Array(x.indices)).map { i in
            let original = point[i]
            point[i] = original + epsilon
            let plus = f(point)
            point[i] = original - epsilon
            let minus = f(point)
            point[i] = original
            // Use the actually representable step so rounding of x ± ε does not bias the slope.
            let step = Double(original + epsilon) - Double(original - epsilon)
            return (plus - minus) / step
        }
    }

    /// Norm-wise relative error between two gradient vectors (0 when both are zero).
    public static func relativeError(_ analytic: [Double], _ numerical: [Double]) -> Double {
        var diff = 0.0, a = 0.0, n = 0.0
        for i in analytic.indices {
            diff += (analytic[i] - numerical[i]) * (analytic[i] - numerical[i])
            a += analytic[i] * analytic[i]
            n += numerical[i] * numerical[i]
        }
        let scale = a.squareRoot() + n.squareRoot()
        return scale == 0 ? 0 : diff.squareRoot() / scale
    }

    /// Asserts that `analytic` (the full gradient, indexed like `x`) matches central differences of `f`
    /// at `indices` (up to `sampleCount` evenly spread coordinates when nil).
    public static func assertGradient(
        _ label: String, at x: [Float], analytic: [Float], indices: [Int]? = nil, sampleCount: Int = 48,
        epsilon: Float = 1e-2, tolerance: Double = 1e-2, file: StaticString = #filePath, line: UInt = #line,
        _ f: ([Float]) -> Double
    ) {
        XCTAssertEqual(analytic.count, x.count, "\(label): analytic gradient has \(analytic.count) entries for \(x.count) inputs", file: file, line: line)
        guard analytic.count == x.count, !x.isEmpty else { return }
        let chosen = indices ?? spread(count: x.count, samples: sampleCount)
        let numerical = numericalGradient(at: x, indices: chosen, epsilon: epsilon, f)
        let a = chosen.map { Double(analytic[$0]) }
        let error = relativeError(a, numerical)
        XCTAssertLessThan(
            error, tolerance,
            "\(label): relative gradient error \(error); analytic \(a.prefix(6)) vs numerical \(numerical.prefix(6))",
            file: file, line: line)
    }

    /// `samples` indices spread over 0..<count (all of them when count ≤ samples).
    public static func spread(count: Int, samples: Int) -> [Int] {
        if count <= samples { return Array(0..<count) }
        return (0..<samples).map { $0 * count / samples + ($0 * 7919) % max(1, count / samples) }
    }

    /// Σ yᵢ·rᵢ in Double: the scalar whose gradient w.r.t. y is r (a random projection of an output).
    public static func dot(_ y: [Float], _ r: [Float]) -> Double {
        var s = 0.0
        for i in y.indices { s += Double(y[i]) * Double(r[i]) }
        return s
    }
}
