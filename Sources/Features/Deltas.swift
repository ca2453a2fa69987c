/// `librosa.feature.delta(data, width, order, axis=-1, mode='interp')`: a Savitzky–Golay estimate
/// of the `order`-th time derivative of every row (polynomial order = derivative order).
///
/// Interior frames use the least-squares polynomial over the `width` frames centred on them. In
/// `interp` mode the first and last `width/2` frames take the derivative of the polynomial fitted
/// to the first (last) `width` frames; because the polynomial's degree equals the derivative order,
/// that derivative is constant and equals the value at frame `width/2` (`frames − 1 − width/2`).
/// When a matrix has fewer frames than `width` (librosa raises), the largest odd width that fits
/// is used; with fewer than 3 frames (order 1) or 3 frames (order 2), the result is 0.
///
/// - Complexity: O(rows · frames · width).
public func delta(_ matrix: FeatureMatrix, width: Int = 9, order: Int = 1) -> FeatureMatrix {
    precondition(order == 1 || order == 2, "delta order must be 1 or 2")
    precondition(width >= 3 && width % 2 == 1, "delta width must be odd and ≥ 3")
    let frames = matrix.frames
    var w = Swift.min(width, frames % 2 == 1 ? frames : frames - 1)
    var out = FeatureMatrix(rows: matrix.rows, frames: frames)
    if w < 3 || (order == 2 && w < 3) { return out }
    w = Swift.max(w, 3)
    let half = w / 2
    // Filter taps for offsets j = −half…half.
    let js = (-half...half).map(Double.init)
    var taps: [Float]
    if order == 1 {
        let denominator = js.reduce(0) { $0 + $1 * $1 }
        taps = js.map { Float($0 / denominator) }
    } else {
        let meanSquare = js.reduce(0) { $0 + $1 * $1 } / Double(w)
        let centred = js.map { $0 * $0 - meanSquare }
        let denominator = centred.reduce(0) { $0 + $1 * $1 }
        taps = centred.map { Float(2 * $0 / denominator) }
    }
    matrix.values.withUnsafeBufferPointer { x in
        out.values.withUnsafeMutableBufferPointer { y in
            for r in 0..<matrix.rows {
                let xr = x.baseAddress! + r * frames
                let yr = y.baseAddress! + r * frames
                for t in half..<(frames - half) {
                    var acc: Float = 0
                    for (i, tap) in taps.enumerated() { acc += tap * xr[t - half + i] }
                    yr[t] = acc
                }
                for t in 0..<half {
                    yr[t] = yr[half]
                    yr[frames - 1 - t] = yr[frames - 1 - half]
                }
            }
        }
    }
    return out
}
