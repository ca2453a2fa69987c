#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `librosa.power_to_db`: `10·log10(max(amin, S)) − 10·log10(max(amin, ref))`, then values more
/// than `topDB` below the peak are raised to `peak − topDB`.
///
/// - Parameters:
///   - reference: `.max` uses the largest value of `matrix` (`ref=np.max`).
/// - Complexity: O(rows · frames).
public func powerToDB(
    _ matrix: FeatureMatrix, reference: DecibelReference = .value(1), amin: Float = 1e-10, topDB: Float? = 80
) -> FeatureMatrix {
    var out = matrix
    convertPowerToDB(&out.values, reference: reference, amin: amin, topDB: topDB)
    return out
}

/// ``powerToDB(_:reference:amin:topDB:)`` in place on raw values.
public func convertPowerToDB(
    _ values: inout [Float], reference: DecibelReference = .value(1), amin: Float = 1e-10, topDB: Float? = 80
) {
    values.withUnsafeMutableBufferPointer { v in
        guard let p = v.baseAddress, v.count > 0 else { return }
        let n = v.count
        let refValue: Float
        switch reference {
        case .max: refValue = maximum(p, n)
        case .value(let r): refValue = Float(r)
        }
        // 10·log10(x) as (10 / ln 10)·ln(x): glibc's logf is several times faster than its log10f.
        let scale: Float = 10 / logf(10)
        let offset = scale * logf(Swift.max(amin, abs(refValue)))
        var peak = -Float.infinity
        if amin >= Float.leastNormalMagnitude {
            // Eight at a time with vectorLog; the tail goes through the same code, padded.
            typealias F = SIMD8<Float>
            let floorValue = F(repeating: amin)
            var peaks = F(repeating: -.infinity)
            let raw = UnsafeMutableRawPointer(p)
            var i = 0
            while i + 8 <= n {
                var v = raw.loadUnaligned(fromByteOffset: i * 4, as: F.self)
                v.replace(with: floorValue, where: .!(v .>= floorValue))  // also maps NaN to amin
                let db = scale * vectorLog(v) - offset
                raw.storeBytes(of: db, toByteOffset: i * 4, as: F.self)
                peaks.replace(with: db, where: db .> peaks)
                i += 8
            }
            peak = peaks.max()
            if i < n {
                var v = floorValue
                for j in 0..<(n - i) { v[j] = Swift.max(amin, p[i + j]) }
                let db = scale * vectorLog(v) - offset
                for j in 0..<(n - i) {
                    p[i + j] = db[j]
                    peak = Swift.max(peak, db[j])
                }
            }
        } else {
            for i in 0..<n {
                let db = scale * logf(Swift.max(amin, p[i])) - offset
                p[i] = db
                peak = Swift.max(peak, db)
            }
        }
        if let topDB {
            let floor = peak - topDB
            let floors = SIMD8<Float>(repeating: floor)
            let raw = UnsafeMutableRawPointer(p)
            var i = 0
            while i + 8 <= n {
                var v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                v.replace(with: floors, where: v .< floors)
                raw.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            while i < n {
                if p[i] < floor { p[i] = floor }
                i += 1
            }
        }
    }
}

/// The largest of `n ≥ 1` values (NaNs ignored unless all are NaN), eight lanes at a time.
@inline(__always)
func maximum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    let raw = UnsafeRawPointer(p)
    var peaks = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        peaks.replace(with: v, where: v .> peaks)
        i += 8
    }
    var peak = peaks.max()
    while i < n {
        if p[i] > peak { peak = p[i] }
        i += 1
    }
    return peak == -.infinity && n > 0 && p[0].isNaN ? p[0] : peak
}
