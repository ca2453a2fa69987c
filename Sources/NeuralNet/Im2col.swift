/// Geometry of a 2-D convolution or pooling window over an NCHW input.
@usableFromInline
struct ConvGeometry: Equatable {
    var channels, height, width: Int
    var kernelH, kernelW, strideH, strideW, padH, padW: Int

    var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the column matrix: C·kh·kw.
    var patch: Int { channels * kernelH * kernelW }
    var isPointwise: Bool { kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 }

    /// Range of output x whose input x = ox·sw − pw + j lies inside [0, W).
    @inline(__always) func validX(_ j: Int) -> Range<Int> {
        let lo = max(0, (padW - j + strideW - 1) / strideW)
        let hi = min(outW, (width + padW - j + strideW - 1) / strideW)
        return lo..<max(lo, hi)
    }
}

/// Unfolds `samples` consecutive images (starting at `x`) into the column matrix `col`:
/// row (c, i, j), column (s, oy, ox) holds x[s, c, oy·sh−ph+i, ox·sw−pw+j] (zero outside).
/// `col` is `patch × (samples·outH·outW)`, row-major. Complexity O(patch · samples · outH · outW).
func im2col(
    _ x: UnsafePointer<Float>, samples: Int, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>,
    parallel: Bool = true
) {
    let outH = g.outH, outW = g.outW, plane = outH * outW
    let rowLength = samples * plane
    let kk = g.kernelH * g.kernelW
    let imageSize = g.channels * g.height * g.width
    let sameWidth = g.strideW == 1 && g.strideH == 1 && outW == g.width
    parallelFor(g.channels, costPerItem: parallel ? kk * rowLength : 0) { c in
        for i in 0..<g.kernelH {
            for j in 0..<g.kernelW {
                let row = col + (c * kk + i * g.kernelW + j) * rowLength
                let valid = g.validX(j)
                if sameWidth {
                    // Stride 1 and outW == W: the valid rows are one shifted copy of the channel
                    // (a single memcpy), after which the columns that wrapped around are zeroed.
                    let shift = (i - g.padH) * g.width + (j - g.padW)
                    let oyLo = max(0, g.padH - i), oyHi = min(outH, g.height + g.padH - i)
                    let channelSize = g.height * g.width
                    for s in 0..<samples {
                        let channel = x + s * imageSize + c * channelSize
                        let dst = row + s * plane
                        if oyLo >= oyHi || valid.isEmpty {
                            dst.update(repeating: 0, count: plane)
                            continue
                        }
                        if oyLo > 0 { dst.update(repeating: 0, count: oyLo * outW) }
                        if oyHi < outH { (dst + oyHi * outW).update(repeating: 0, count: (outH - oyHi) * outW) }
                        let qLo = max(oyLo * outW, -shift), qHi = min(oyHi * outW, channelSize - shift)
                        (dst + qLo).update(from: channel + qLo + shift, count: qHi - qLo)
                        if qLo > oyLo * outW { (dst + oyLo * outW).update(repeating: 0, count: qLo - oyLo * outW) }
                        if qHi < oyHi * outW { (dst + qHi).update(repeating: 0, count: oyHi * outW - qHi) }
                        if valid.lowerBound > 0 || valid.upperBound < outW {
                            for oy in oyLo..<oyHi {
                                let r = dst + oy * outW
                                for ox in 0..<valid.lowerBound { r[ox] = 0 }
                                for ox in valid.upperBound..<outW { r[ox] = 0 }
                            }
                        }
                    }
                    continue
                }
                for s in 0..<samples {
                    let channel = x + s * imageSize + c * g.height * g.width
                    for oy in 0..<outH {
                        let dst = row + s * plane + oy * outW
                        let iy = oy * g.strideH - g.padH + i
                        if iy < 0 || iy >= g.height || valid.isEmpty {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        let src = channel + iy * g.width - g.padW + j
                        if valid.lowerBound > 0 { dst.update(repeating: 0, count: valid.lowerBound) }
                        if g.strideW == 1 {
                            (dst + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                        } else {
                            let sw = g.strideW
                            for ox in valid { dst[ox] = src[ox * sw] }
                        }
                        if valid.upperBound < outW {
                            (dst + valid.upperBound).update(repeating: 0, count: outW - valid.upperBound)
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of ``im2col``: sums every column-matrix entry back into the image position it came
/// from. `x` (samples × C × H × W) is overwritten. Complexity O(patch · samples · outH · outW).
func col2im(
    _ col: UnsafePointer<Float>, samples: Int, _ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>,
    parallel: Bool = true
) {
    let outH = g.outH, outW = g.outW, plane = outH * outW
    let rowLength = samples * plane
    let kk = g.kernelH * g.kernelW
    let imageSize = g.channels * g.height * g.width
    parallelFor(g.channels, costPerItem: parallel ? kk * rowLength : 0) { c in
        for s in 0..<samples {
            (x + s * imageSize + c * g.height * g.width).update(repeating: 0, count: g.height * g.width)
        }
        for i in 0..<g.kernelH {
            for j in 0..<g.kernelW {
                let row = col + (c * kk + i * g.kernelW + j) * rowLength
                let valid = g.validX(j)
                if valid.isEmpty { continue }
                for s in 0..<samples {
                    let channel = x + s * imageSize + c * g.height * g.width
                    for oy in 0..<outH {
                        let iy = oy * g.strideH - g.padH + i
                        if iy < 0 || iy >= g.height { continue }
                        let src = row + s * plane + oy * outW
                        let dst = channel + iy * g.width - g.padW + j
                        if g.strideW == 1 {
                            for ox in valid { dst[ox] += src[ox] }
                        } else {
                            let sw = g.strideW
                            for ox in valid { dst[ox * sw] += src[ox] }
                        }
                    }
                }
            }
        }
    }
}
