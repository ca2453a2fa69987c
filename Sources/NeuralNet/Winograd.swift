import BLAS

/// Winograd F(2×2, 3×3) convolution for 3×3, stride-1, padding-1 kernels (Lavin & Gray 2016).
///
/// Each 2×2 output tile is computed from a 4×4 input tile as `Aᵀ[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]A`. Over
/// channels the element-wise product becomes 16 independent matrix products (one per transform-domain
/// position ξ): `M[ξ] = U[ξ] · V[ξ]` with `U[ξ]` the transformed weights `[O × C]` and `V[ξ]` the
/// transformed input tiles `[C × tiles]`. That is 16·O·C multiply-adds per tile of 4 outputs instead of
/// 9·O·C per output with im2col: 2.25× fewer. The transforms are O((C + O)·tiles) additions.
/// Rounding differs from im2col + sgemm by a few ulps (the transforms add and halve exactly-scaled
/// values); tests compare the two paths to 1e-5 relative.
///
/// Layouts: input `[samples, C, H, W]`, output `[samples, O, H, W]` (any H, W ≥ 1; odd sizes get
/// partial tiles), `U` as 16 planes `[O, C]`, `V` as 16 planes `[C, samples·tiles]`, `M` as 16 planes
/// `[O, samples·tiles]`, each set of planes ``planeStride(_:)`` apart.
enum Winograd {
    /// Whether a convolution geometry can use this path: 3×3 kernel, stride 1, padding 1.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.padH == 1 && g.padW == 1
    }

    /// Tiles per sample for an `height × width` output: ⌈H/2⌉·⌈W/2⌉.
    static func tiles(height: Int, width: Int) -> Int { ((height + 1) / 2) * ((width + 1) / 2) }

    /// Distance in floats between the 16 transform-domain planes of a matrix of `count` floats:
    /// rounded up to 4 KiB plus one cache line, so plane k starts at 64·k bytes modulo 4 KiB. Planes a
    /// multiple of 4 KiB apart (as power-of-two channel counts give) would all map to the same L1
    /// sets, and the transforms, which touch all 16 planes per tile, would thrash the cache.
    static func planeStride(_ count: Int) -> Int { (count + 1023) / 1024 * 1024 + 16 }

    /// Floats of a transformed weight tensor for `outputChannels × inputChannels` kernels.
    static func weightCount(outputChannels: Int, inputChannels: Int) -> Int {
        16 * planeStride(outputChannels * inputChannels)
    }

    /// Transforms the 3×3 kernels `w` (`[O, C, 3, 3]`) into `u` (16 planes `[O, C]`, ``planeStride(_:)``
    /// apart, ``weightCount(outputChannels:inputChannels:)`` floats): `U = G·g·Gᵀ` with
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    /// With `transposedFlipped`, transforms the kernel of the input gradient instead,
    /// `g'[c, o] = rot180(g[o, c])`, into planes `[C, O]`. Complexity O(16·O·C).
    static func transformWeights(
        _ w: UnsafePointer<Float>, outputChannels: Int, inputChannels: Int, transposedFlipped: Bool = false,
        into u: UnsafeMutablePointer<Float>
    ) {
        let rows = transposedFlipped ? inputChannels : outputChannels
        let columns = transposedFlipped ? outputChannels : inputChannels
        let stride = planeStride(outputChannels * inputChannels)
        parallelFor(rows, costPerItem: 64 * columns) { r in
            for q in 0..<columns {
                let kernel = transposedFlipped ? (q * inputChannels + r) : (r * inputChannels + q)
                let k = w + kernel * 9
                // g[i][j], rotated by 180° for the input gradient.
                let g0 = transposedFlipped ? k[8] : k[0], g1 = transposedFlipped ? k[7] : k[1]
                let g2 = transposedFlipped ? k[6] : k[2], g3 = transposedFlipped ? k[5] : k[3]
                let g4 = k[4], g5 = transposedFlipped ? k[3] : k[5]
                let g6 = transposedFlipped ? k[2] : k[6], g7 = transposedFlipped ? k[1] : k[7]
                let g8 = transposedFlipped ? k[0] : k[8]
                // t = G·g (4×3), row by row.
                let t00 = g0, t01 = g1, t02 = g2
                let t10 = 0.5 * (g0 + g3 + g6), t11 = 0.5 * (g1 + g4 + g7), t12 = 0.5 * (g2 + g5 + g8)
                let t20 = 0.5 * (g0 - g3 + g6), t21 = 0.5 * (g1 - g4 + g7), t22 = 0.5 * (g2 - g5 + g8)
                let t30 = g6, t31 = g7, t32 = g8
                // U = t·Gᵀ (4×4), ξ = 4·i + l.
                let p = u + r * columns + q
                p[0 * stride] = t00
                p[1 * stride] = 0.5 * (t00 + t01 + t02)
                p[2 * stride] = 0.5 * (t00 - t01 + t02)
                p[3 * stride] = t02
                p[4 * stride] = t10
                p[5 * stride] = 0.5 * (t10 + t11 + t12)
                p[6 * stride] = 0.5 * (t10 - t11 + t12)
                p[7 * stride] = t12
                p[8 * stride] = t20
                p[9 * stride] = 0.5 * (t20 + t21 + t22)
                p[10 * stride] = 0.5 * (t20 - t21 + t22)
                p[11 * stride] = t22
                p[12 * stride] = t30
                p[13 * stride] = 0.5 * (t30 + t31 + t32)
                p[14 * stride] = 0.5 * (t30 - t31 + t32)
                p[15 * stride] = t32
            }
        }
    }

    /// Scratch floats a ``convolve`` call needs for `samples` samples: V and M.
    static func scratchCount(samples: Int, inputChannels: Int, outputChannels: Int, height: Int, width: Int) -> Int {
        let columns = samples * tiles(height: height, width: width)
        return 16 * (planeStride(inputChannels * columns) + planeStride(outputChannels * columns))
    }

    /// Convolves `samples` images `x` (`[samples, C, H, W]`) with the transformed weights `u`
    /// (16 planes `[O, C]`, see ``transformWeights(_:outputChannels:inputChannels:transposedFlipped:into:)``)
    /// into `y` (`[samples, O, H, W]`, overwritten), 3×3 kernel, stride 1, padding 1.
    /// `scratch` holds ``scratchCount(samples:inputChannels:outputChannels:height:width:)`` floats.
    /// `productLanes` > 1 runs the 16 products on that many concurrent lanes (single-threaded BLAS,
    /// batch 1); `parallel` splits the transforms over ``Engine/threadCount`` threads.
    /// Complexity O(16·O·C·samples·tiles) in sgemm plus O((C + O)·samples·H·W) for the transforms.
    static func convolve(
        _ x: UnsafePointer<Float>, samples: Int, channels: Int, height: Int, width: Int,
        weights u: UnsafePointer<Float>, outputChannels: Int, _ y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>, parallel: Bool, productLanes: Int = 1
    ) {
        let perSample = tiles(height: height, width: width)
        let columns = samples * perSample
        let vStride = planeStride(channels * columns), mStride = planeStride(outputChannels * columns)
        let uStride = planeStride(outputChannels * channels)
        let v = scratch, m = scratch + 16 * vStride
        transformInput(x, samples: samples, channels: channels, height: height, width: width, v, parallel: parallel)
        let cin = channels, cout = outputChannels
        Engine.countFLOPs(2 * 16 * cout * cin * columns)
        forEachLane(productLanes) { lane in
            for xi in (16 * lane / productLanes)..<(16 * (lane + 1) / productLanes) {
                gemm(
                    .none, .none, m: cout, n: columns, k: cin, a: u + xi * uStride, lda: cin,
                    b: v + xi * vStride, ldb: columns, c: m + xi * mStride, ldc: columns)
            }
        }
        transformOutput(m, samples: samples, channels: cout, height: height, width: width, y, parallel: parallel)
    }

    /// `V[ξ][c][s·tiles + t] = (Bᵀ·d·B)[ξ]` for every 4×4 input tile d (rows 2ty−1…2ty+2, columns
    /// 2tx−1…2tx+2, zero outside the image), Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0],
    /// [0, 1, 0, −1]]. Complexity O(samples·C·H·W).
    static func transformInput(
        _ x: UnsafePointer<Float>, samples: Int, channels: Int, height: Int, width: Int,
        _ v: UnsafeMutablePointer<Float>, parallel: Bool
    ) {
        let tilesH = (height + 1) / 2, tilesW = (width + 1) / 2
        let perSample = tilesH * tilesW, columns = samples * perSample
        let stride = planeStride(channels * columns)  // between ξ planes
        // Each of the four input rows of a tile row is split into even and odd columns of the
        // zero-padded row (padded column j = image column j − 1), so that tile tx reads
        // d0…d3 = even[tx], odd[tx], even[tx + 1], odd[tx + 1]: contiguous in tx, eight tiles at a time.
        let half = tilesW + 1
        parallelFor(channels, costPerItem: parallel ? 8 * samples * height * width : 0) { c in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * half) { buffer in
                let rows = buffer.baseAddress!
                rows.initialize(repeating: 0, count: 8 * half)
                for s in 0..<samples {
                    let channel = x + (s * channels + c) * height * width
                    let base = v + c * columns + s * perSample
                    for ty in 0..<tilesH {
                        for r in 0..<4 {
                            let iy = 2 * ty - 1 + r
                            let even = rows + 2 * r * half, odd = even + half
                            if iy >= 0 && iy < height {
                                let src = channel + iy * width
                                let pairs = width / 2
                                var k = 0
                                while k + 8 <= pairs {
                                    let v = UnsafeRawPointer(src + 2 &* k).loadUnaligned(as: SIMD16<Float>.self)
                                    UnsafeMutableRawPointer(odd + k).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                                    UnsafeMutableRawPointer(even + (k &+ 1)).storeBytes(
                                        of: v.oddHalf, as: SIMD8<Float>.self)
                                    k &+= 8
                                }
                                while k < pairs {
                                    odd[k] = src[2 &* k]
                                    even[k &+ 1] = src[2 &* k &+ 1]
                                    k &+= 1
                                }
                                if width % 2 == 1 { odd[pairs] = src[width - 1] }
                            } else {
                                even.update(repeating: 0, count: half)
                                odd.update(repeating: 0, count: half)
                            }
                        }
                        let out = base + ty * tilesW
                        let e0 = rows, o0 = rows + half, e1 = rows + 2 * half, o1 = rows + 3 * half
                        let e2 = rows + 4 * half, o2 = rows + 5 * half, e3 = rows + 6 * half, o3 = rows + 7 * half
                        var tx = 0
                        while tx + 8 <= tilesW {
                            @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
                                UnsafeRawPointer(p + tx).loadUnaligned(as: SIMD8<Float>.self)
                            }
                            let a0 = load(e0) - load(e0 + 1), a1 = load(o0) + load(e0 + 1)
                            let a2 = load(e0 + 1) - load(o0), a3 = load(o0) - load(o0 + 1)
                            let b0 = load(e1) - load(e1 + 1), b1 = load(o1) + load(e1 + 1)
                            let b2 = load(e1 + 1) - load(o1), b3 = load(o1) - load(o1 + 1)
                            let c0 = load(e2) - load(e2 + 1), c1 = load(o2) + load(e2 + 1)
                            let c2 = load(e2 + 1) - load(o2), c3 = load(o2) - load(o2 + 1)
                            let d0 = load(e3) - load(e3 + 1), d1 = load(o3) + load(e3 + 1)
                            let d2 = load(e3 + 1) - load(o3), d3 = load(o3) - load(o3 + 1)
                            let p = UnsafeMutableRawPointer(out + tx)
                            @inline(__always) func store(_ xi: Int, _ value: SIMD8<Float>) {
                                (p + 4 * xi * stride).storeBytes(of: value, as: SIMD8<Float>.self)
                            }
                            store(0, a0 - c0)
                            store(1, a1 - c1)
                            store(2, a2 - c2)
                            store(3, a3 - c3)
                            store(4, b0 + c0)
                            store(5, b1 + c1)
                            store(6, b2 + c2)
                            store(7, b3 + c3)
                            store(8, c0 - b0)
                            store(9, c1 - b1)
                            store(10, c2 - b2)
                            store(11, c3 - b3)
                            store(12, b0 - d0)
                            store(13, b1 - d1)
                            store(14, b2 - d2)
                            store(15, b3 - d3)
                            tx += 8
                        }
                        while tx < tilesW {
                            // Columns: t[r][j] = (d[r]·B)[j]
                            let a0 = e0[tx] - e0[tx + 1], a1 = o0[tx] + e0[tx + 1]
                            let a2 = e0[tx + 1] - o0[tx], a3 = o0[tx] - o0[tx + 1]
                            let b0 = e1[tx] - e1[tx + 1], b1 = o1[tx] + e1[tx + 1]
                            let b2 = e1[tx + 1] - o1[tx], b3 = o1[tx] - o1[tx + 1]
                            let c0 = e2[tx] - e2[tx + 1], c1 = o2[tx] + e2[tx + 1]
                            let c2 = e2[tx + 1] - o2[tx], c3 = o2[tx] - o2[tx + 1]
                            let d0 = e3[tx] - e3[tx + 1], d1 = o3[tx] + e3[tx + 1]
                            let d2 = e3[tx + 1] - o3[tx], d3 = o3[tx] - o3[tx + 1]
                            // Rows: Bᵀ·t
                            let p = out + tx
                            p[0 * stride] = a0 - c0
                            p[1 * stride] = a1 - c1
                            p[2 * stride] = a2 - c2
                            p[3 * stride] = a3 - c3
                            p[4 * stride] = b0 + c0
                            p[5 * stride] = b1 + c1
                            p[6 * stride] = b2 + c2
                            p[7 * stride] = b3 + c3
                            p[8 * stride] = c0 - b0
                            p[9 * stride] = c1 - b1
                            p[10 * stride] = c2 - b2
                            p[11 * stride] = c3 - b3
                            p[12 * stride] = b0 - d0
                            p[13 * stride] = b1 - d1
                            p[14 * stride] = b2 - d2
                            p[15 * stride] = b3 - d3
                            tx += 1
                        }
                    }
                }
            }
        }
    }

    /// `y[s][o]` tile (ty, tx) = `Aᵀ·m·A` with m[ξ] = `M[ξ][o][s·tiles + t]`,
    /// Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; the last row/column of tiles is cut for odd sizes.
    /// Complexity O(samples·O·H·W).
    static func transformOutput(
        _ m: UnsafePointer<Float>, samples: Int, channels: Int, height: Int, width: Int,
        _ y: UnsafeMutablePointer<Float>, parallel: Bool
    ) {
        let tilesH = (height + 1) / 2, tilesW = (width + 1) / 2
        let perSample = tilesH * tilesW, columns = samples * perSample
        let stride = planeStride(channels * columns)
        let fullW = width / 2  // tiles whose both columns are inside
        parallelFor(channels, costPerItem: parallel ? 8 * samples * height * width : 0) { o in
            for s in 0..<samples {
                let plane = y + (s * channels + o) * height * width
                let base = m + o * columns + s * perSample
                for ty in 0..<tilesH {
                    let row0 = plane + 2 * ty * width
                    let hasRow1 = 2 * ty + 1 < height
                    let row1 = hasRow1 ? row0 + width : row0
                    let q = base + ty * tilesW
                    @inline(__always) func tile(_ tx: Int) -> (Float, Float, Float, Float) {
                        let p = q + tx
                        let m0 = p[0], m1 = p[stride], m2 = p[2 * stride], m3 = p[3 * stride]
                        let m4 = p[4 * stride], m5 = p[5 * stride], m6 = p[6 * stride], m7 = p[7 * stride]
                        let m8 = p[8 * stride], m9 = p[9 * stride], m10 = p[10 * stride], m11 = p[11 * stride]
                        let m12 = p[12 * stride], m13 = p[13 * stride], m14 = p[14 * stride], m15 = p[15 * stride]
                        // Rows: Aᵀ·m (2×4)
                        let s0 = m0 + m4 + m8, s1 = m1 + m5 + m9, s2 = m2 + m6 + m10, s3 = m3 + m7 + m11
                        let t0 = m4 - m8 - m12, t1 = m5 - m9 - m13, t2 = m6 - m10 - m14, t3 = m7 - m11 - m15
                        // Columns: ·A
                        return (s0 + s1 + s2, s1 - s2 - s3, t0 + t1 + t2, t1 - t2 - t3)
                    }
                    var start = 0
                    if hasRow1 {
                        // Eight tiles at a time; the results are interleaved into the rows through `staged`.
                        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 4) { staged in
                            let sp = UnsafeMutableRawPointer(staged.baseAddress!).assumingMemoryBound(to: Float.self)
                            while start + 8 <= fullW {
                                @inline(__always) func load(_ xi: Int) -> SIMD8<Float> {
                                    UnsafeRawPointer(q + start + xi * stride).loadUnaligned(as: SIMD8<Float>.self)
                                }
                                let s0 = load(0) + load(4) + load(8), s1 = load(1) + load(5) + load(9)
                                let s2 = load(2) + load(6) + load(10), s3 = load(3) + load(7) + load(11)
                                let t0 = load(4) - load(8) - load(12), t1 = load(5) - load(9) - load(13)
                                let t2 = load(6) - load(10) - load(14), t3 = load(7) - load(11) - load(15)
                                staged[0] = s0 + s1 + s2
                                staged[1] = s1 - s2 - s3
                                staged[2] = t0 + t1 + t2
                                staged[3] = t1 - t2 - t3
                                let r0 = row0 + 2 * start, r1 = row1 + 2 * start
                                for i in 0..<8 {
                                    r0[2 * i] = sp[i]
                                    r0[2 * i + 1] = sp[8 + i]
                                    r1[2 * i] = sp[16 + i]
                                    r1[2 * i + 1] = sp[24 + i]
                                }
                                start += 8
                            }
                        }
                        for tx in start..<fullW {
                            let (y00, y01, y10, y11) = tile(tx)
                            row0[2 * tx] = y00
                            row0[2 * tx + 1] = y01
                            row1[2 * tx] = y10
                            row1[2 * tx + 1] = y11
                        }
                    } else {
                        for tx in 0..<fullW {
                            let (y00, y01, _, _) = tile(tx)
                            row0[2 * tx] = y00
                            row0[2 * tx + 1] = y01
                        }
                    }
                    if fullW < tilesW {
                        let (y00, _, y10, _) = tile(fullW)
                        row0[2 * fullW] = y00
                        if hasRow1 { row1[2 * fullW] = y10 }
                    }
                }
            }
        }
    }

    // MARK: - Weight gradient

    /// Adds the transform-domain weight gradient of `samples` images to `du` (16 planes `[O, C]`,
    /// as ``transformWeights(_:outputChannels:inputChannels:transposedFlipped:into:)`` lays out U;
    /// overwritten when `accumulate` is false): `dU[ξ] (+)= dM[ξ] · V[ξ]ᵀ`, with V the transformed
    /// input tiles of `x` (`[samples, C, H, W]`) and `dM = A·dy·Aᵀ` the transformed output-gradient
    /// tiles of `dy` (`[samples, O, H, W]`). ``transformWeightGradient(_:outputChannels:inputChannels:into:)``
    /// then maps dU to the 3×3 kernels' gradient. `scratch` as for ``convolve``.
    /// Complexity O(16·O·C·samples·tiles) in sgemm plus O((C + O)·samples·H·W) transforms.
    static func accumulateWeightGradient(
        input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, samples: Int, channels: Int,
        outputChannels: Int, height: Int, width: Int, into du: UnsafeMutablePointer<Float>, accumulate: Bool,
        scratch: UnsafeMutablePointer<Float>, parallel: Bool, productLanes: Int = 1
    ) {
        let columns = samples * tiles(height: height, width: width)
        let vStride = planeStride(channels * columns), mStride = planeStride(outputChannels * columns)
        let uStride = planeStride(outputChannels * channels)
        let v = scratch, m = scratch + 16 * vStride
        transformInput(x, samples: samples, channels: channels, height: height, width: width, v, parallel: parallel)
        transformOutputGradient(
            dy, samples: samples, channels: outputChannels, height: height, width: width, m, parallel: parallel)
        let cin = channels, cout = outputChannels
        Engine.countFLOPs(2 * 16 * cout * cin * columns)
        forEachLane(productLanes) { lane in
            for xi in (16 * lane / productLanes)..<(16 * (lane + 1) / productLanes) {
                gemm(
                    .none, .transposed, m: cout, n: cin, k: columns, a: m + xi * mStride, lda: columns,
                    b: v + xi * vStride, ldb: columns, beta: accumulate ? 1 : 0, c: du + xi * uStride, ldc: cin)
            }
        }
    }

    /// `dM[ξ][o][s·tiles + t] = (A·dy·Aᵀ)[ξ]` for every 2×2 output-gradient tile dy (zero outside
    /// the image), A = [[1, 0], [1, 1], [1, −1], [0, −1]]: the adjoint of ``transformOutput``.
    /// Complexity O(samples·O·H·W).
    static func transformOutputGradient(
        _ dy: UnsafePointer<Float>, samples: Int, channels: Int, height: Int, width: Int,
        _ m: UnsafeMutablePointer<Float>, parallel: Bool
    ) {
        let tilesH = (height + 1) / 2, tilesW = (width + 1) / 2
        let perSample = tilesH * tilesW, columns = samples * perSample
        let stride = planeStride(channels * columns)
        let rowLength = 2 * tilesW
        parallelFor(channels, costPerItem: parallel ? 8 * samples * height * width : 0) { o in
            // Two output-gradient rows, zero-padded to an even width.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * rowLength) { buffer in
                let rows = buffer.baseAddress!
                rows.initialize(repeating: 0, count: 2 * rowLength)
                for s in 0..<samples {
                    let plane = dy + (s * channels + o) * height * width
                    let base = m + o * columns + s * perSample
                    for ty in 0..<tilesH {
                        for r in 0..<2 {
                            let iy = 2 * ty + r
                            if iy < height {
                                (rows + r * rowLength).update(from: plane + iy * width, count: width)
                            } else {
                                (rows + r * rowLength).update(repeating: 0, count: width)
                            }
                        }
                        let r0 = rows, r1 = rows + rowLength
                        let out = base + ty * tilesW
                        for tx in 0..<tilesW {
                            let y00 = r0[2 * tx], y01 = r0[2 * tx + 1], y10 = r1[2 * tx], y11 = r1[2 * tx + 1]
                            // P = A·dy (4×2), then P·Aᵀ row by row.
                            let p00 = y00, p01 = y01
                            let p10 = y00 + y10, p11 = y01 + y11
                            let p20 = y00 - y10, p21 = y01 - y11
                            let p30 = -y10, p31 = -y11
                            let p = out + tx
                            p[0 * stride] = p00
                            p[1 * stride] = p00 + p01
                            p[2 * stride] = p00 - p01
                            p[3 * stride] = -p01
                            p[4 * stride] = p10
                            p[5 * stride] = p10 + p11
                            p[6 * stride] = p10 - p11
                            p[7 * stride] = -p11
                            p[8 * stride] = p20
                            p[9 * stride] = p20 + p21
                            p[10 * stride] = p20 - p21
                            p[11 * stride] = -p21
                            p[12 * stride] = p30
                            p[13 * stride] = p30 + p31
                            p[14 * stride] = p30 - p31
                            p[15 * stride] = -p31
                        }
                    }
                }
            }
        }
    }

    /// Maps the transform-domain gradient `du` (16 planes `[O, C]`) to the gradient of the 3×3
    /// kernels, `dw` (`[O, C, 3, 3]`, overwritten): `dg = Gᵀ·dU·G`, the adjoint of `U = G·g·Gᵀ`.
    /// Complexity O(16·O·C).
    static func transformWeightGradient(
        _ du: UnsafePointer<Float>, outputChannels: Int, inputChannels: Int, into dw: UnsafeMutablePointer<Float>
    ) {
        let count = outputChannels * inputChannels
        let stride = planeStride(count)
        parallelFor(outputChannels, costPerItem: 64 * inputChannels) { o in
            for c in 0..<inputChannels {
                let p = du + o * inputChannels + c
                // r = Gᵀ·dU (3×4), column by column.
                var r0 = SIMD4<Float>(), r1 = SIMD4<Float>(), r2 = SIMD4<Float>()
                for j in 0..<4 {
                    let d0 = p[j * stride], d1 = p[(4 + j) * stride]
                    let d2 = p[(8 + j) * stride], d3 = p[(12 + j) * stride]
                    r0[j] = d0 + 0.5 * (d1 + d2)
                    r1[j] = 0.5 * (d1 - d2)
                    r2[j] = 0.5 * (d1 + d2) + d3
                }
                // dg = r·G (3×3).
                let k = dw + (o * inputChannels + c) * 9
                k[0] = r0[0] + 0.5 * (r0[1] + r0[2])
                k[1] = 0.5 * (r0[1] - r0[2])
                k[2] = 0.5 * (r0[1] + r0[2]) + r0[3]
                k[3] = r1[0] + 0.5 * (r1[1] + r1[2])
                k[4] = 0.5 * (r1[1] - r1[2])
                k[5] = 0.5 * (r1[1] + r1[2]) + r1[3]
                k[6] = r2[0] + 0.5 * (r2[1] + r2[2])
                k[7] = 0.5 * (r2[1] - r2[2])
                k[8] = 0.5 * (r2[1] + r2[2]) + r2[3]
            }
        }
    }
}
