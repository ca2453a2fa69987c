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
    let refValue: Float
    switch reference {
    case .max: refValue = matrix.values.max() ?? 0
    case .value(let v): refValue = Float(v)
    }
    let offset = 10 * _log10f(Swift.max(amin, abs(refValue)))
    var peak = -Float.infinity
    out.values.withUnsafeMutableBufferPointer { v in
        for i in v.indices {
            let db = 10 * _log10f(Swift.max(amin, v[i])) - offset
            v[i] = db
            peak = Swift.max(peak, db)
        }
        if let topDB {
            let floor = peak - topDB
            for i in v.indices where v[i] < floor { v[i] = floor }
        }
    }
    return out
}
