/// Vectorised reductions over contiguous Float32 runs. The compiler does not reorder a scalar
/// floating-point sum, so these accumulate in 16-lane SIMD registers explicitly (results differ
/// from a sequential sum only by rounding, and are the same on every run).
@inline(__always)
func simdSum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 16 <= count {
        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var s = acc.sum()
    while i < count { s += p[i]; i += 1 }
    return s
}

/// Σ (p[i] − mean)².
@inline(__always)
func simdSumSquaredDeviations(_ p: UnsafePointer<Float>, _ count: Int, mean: Float) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    let m = SIMD16<Float>(repeating: mean)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 16 <= count {
        let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - m
        acc += d * d
        i += 16
    }
    var s = acc.sum()
    while i < count { let d = p[i] - mean; s += d * d; i += 1 }
    return s
}

/// Masks `g` in place where `mask` ≤ 0 (when `mask` is given), then returns (Σ g, Σ g·(x − mean)).
@inline(__always)
func simdMaskedSums(
    _ g: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?, x: UnsafePointer<Float>, _ count: Int, mean: Float
) -> (Float, Float) {
    var a = SIMD16<Float>(repeating: 0), b = SIMD16<Float>(repeating: 0)
    let m = SIMD16<Float>(repeating: mean)
    let zero = SIMD16<Float>(repeating: 0)
    var i = 0
    let graw = UnsafeMutableRawPointer(g), xraw = UnsafeRawPointer(x)
    if let mask {
        let mraw = UnsafeRawPointer(mask)
        while i + 16 <= count {
            var gv = graw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let mv = mraw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            gv.replace(with: zero, where: mv .<= zero)
            graw.storeBytes(of: gv, toByteOffset: i * 4, as: SIMD16<Float>.self)
            a += gv
            b += gv * (xraw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - m)
            i += 16
        }
    } else {
        while i + 16 <= count {
            let gv = graw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            a += gv
            b += gv * (xraw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - m)
            i += 16
        }
    }
    var sa = a.sum(), sb = b.sum()
    while i < count {
        if let mask, !(mask[i] > 0) { g[i] = 0 }
        sa += g[i]
        sb += g[i] * (x[i] - mean)
        i += 1
    }
    return (sa, sb)
}
