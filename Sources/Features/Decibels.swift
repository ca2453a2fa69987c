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
        case .max:
            var peak = p[0]
            for i in 1..<n { peak = Swift.max(peak, p[i]) }
            refValue = peak
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
                peaks = pointwiseMax(peaks, db)
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
            for i in 0..<n { p[i] = Swift.max(p[i], floor) }
        }
    }
}
