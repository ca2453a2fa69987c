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
    ///
    /// Piecewise-linear layers (ReLU, max-pool) make f non-differentiable at kinks; a coordinate whose
    /// step crosses one gives a meaningless difference quotient. Each coordinate is therefore
    /// differenced with ε and ε/2: when the two disagree by more than 5 % the coordinate is skipped as
    /// straddling a kink (a smooth function gives matching quotients). At most half may be skipped.
    public static func assertGradient(
        _ label: String, at x: [Float], analytic: [Float], indices: [Int]? = nil, sampleCount: Int = 48,
        epsilon: Float = 1e-2, tolerance: Double = 1e-2, file: StaticString = #filePath, line: UInt = #line,
        _ f: ([Float]) -> Double
    ) {
        XCTAssertEqual(
            analytic.count, x.count, "\(label): analytic gradient has \(analytic.count) entries for \(x.count) inputs",
            file: file, line: line)
        guard analytic.count == x.count, !x.isEmpty else { return }
        let chosen = indices ?? spread(count: x.count, samples: sampleCount)
        let coarse = numericalGradient(at: x, indices: chosen, epsilon: epsilon, f)
        let fine = numericalGradient(at: x, indices: chosen, epsilon: epsilon / 2, f)
        var a: [Double] = [], numerical: [Double] = [], skipped = 0
        let typical = max(1e-6, fine.map(abs).reduce(0, +) / Double(fine.count))
        for k in chosen.indices {
            if abs(coarse[k] - fine[k]) > 0.05 * (abs(coarse[k]) + abs(fine[k])) + 1e-3 * typical {
                skipped += 1
                continue
            }
            a.append(Double(analytic[chosen[k]]))
            numerical.append(fine[k])
        }
        XCTAssertLessThanOrEqual(
            skipped * 2, chosen.count, "\(label): \(skipped) of \(chosen.count) coordinates straddle kinks", file: file,
            line: line)
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
