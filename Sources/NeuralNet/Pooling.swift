/// Max pooling over NCHW input (padding counts as −∞, like PyTorch). Backward routes each output
/// gradient to the position of its maximum (the first one on ties). Complexity O(N·C·outH·outW·k²).
public struct MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    private var cache: (inputShape: [Int], argmax: [Int32])?

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(
            kernelSize > 0 && padding >= 0 && padding * 2 <= kernelSize,
            "MaxPool2d: invalid kernel \(kernelSize) / padding \(padding)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4, "MaxPool2d expects NCHW, got \(input.shape)")
        let h = input.h, w = input.w
        let oh = (h + 2 * padding - kernelSize) / stride + 1, ow = (w + 2 * padding - kernelSize) / stride + 1
        var y = Tensor(uninitializedShape: [input.n, input.c, oh, ow])
        var argmax = [Int32](repeating: 0, count: training ? y.count : 0)
        let yp = y.mutablePointer, xp = input.pointer
        let k = kernelSize, s = stride, p = padding
        argmax.withUnsafeMutableBufferPointer { ap in
            let fast = k == 3 && s == 2 && p == 1 && w >= 2
            parallelFor(input.n * input.c, costPerItem: oh * ow * k * k) { nc in
                let src = xp + nc * h * w, dst = yp + nc * oh * ow
                if fast && ap.isEmpty {
                    // Inference (no argmax to record): the same maxima without index bookkeeping.
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: w + 2) { row in
                        let rp = row.baseAddress!
                        for oy in 0..<oh {
                            let y0 = max(0, 2 * oy - 1), y1 = min(h, 2 * oy + 2)
                            rp[0] = -.infinity
                            rp[w + 1] = -.infinity
                            (rp + 1).update(from: src + y0 * w, count: w)
                            for iy in (y0 + 1)..<y1 {
                                let r = src + iy * w, m = rp + 1
                                var x = 0
                                while x + 8 <= w {
                                    let v = UnsafeRawPointer(r + x).loadUnaligned(as: SIMD8<Float>.self)
                                    let old = UnsafeRawPointer(m + x).loadUnaligned(as: SIMD8<Float>.self)
                                    UnsafeMutableRawPointer(m + x).storeBytes(
                                        of: old.replacing(with: v, where: v .> old), as: SIMD8<Float>.self)
                                    x += 8
                                }
                                while x < w {
                                    if r[x] > m[x] { m[x] = r[x] }
                                    x += 1
                                }
                            }
                            let out = dst + oy * ow
                            for ox in 0..<ow {
                                let c = 2 * ox + 1
                                var best = rp[c - 1]
                                if rp[c] > best { best = rp[c] }
                                if rp[c + 1] > best { best = rp[c + 1] }
                                out[ox] = best
                            }
                        }
                    }
                    return
                }
                if fast {
                    // 3×3 stride 2 pad 1 (ResNet's stem): column maxima of the three rows, then maxima
                    // of three neighbouring columns. Ties go to the smallest flat index, i.e. the first
                    // maximum in row-major order, like the general path.
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: w + 2) { row in
                        withUnsafeTemporaryAllocation(of: Int32.self, capacity: w + 2) { at in
                            for oy in 0..<oh {
                                let y0 = max(0, 2 * oy - 1), y1 = min(h, 2 * oy + 2)
                                row[0] = -.infinity
                                row[w + 1] = -.infinity
                                at[0] = Int32.max
                                at[w + 1] = Int32.max
                                let first = src + y0 * w
                                (row.baseAddress! + 1).update(from: first, count: w)
                                var index = Int32(truncatingIfNeeded: y0 * w)
                                for x in 0..<w {
                                    at[x + 1] = index
                                    index &+= 1
                                }
                                for iy in (y0 + 1)..<y1 {
                                    let r = src + iy * w
                                    let rp = row.baseAddress! + 1, ip = at.baseAddress! + 1
                                    let base = Int32(truncatingIfNeeded: iy * w)
                                    // Eight columns at a time (explicit SIMD: the scalar loop does not vectorise).
                                    let offsets = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
                                    var x = 0
                                    while x + 8 <= w {
                                        let v = UnsafeRawPointer(r + x).loadUnaligned(as: SIMD8<Float>.self)
                                        let old = UnsafeRawPointer(rp + x).loadUnaligned(as: SIMD8<Float>.self)
                                        let oldIndex = UnsafeRawPointer(ip + x).loadUnaligned(as: SIMD8<Int32>.self)
                                        let better = v .> old
                                        let index =
                                            SIMD8<Int32>(repeating: base &+ Int32(truncatingIfNeeded: x)) &+ offsets
                                        UnsafeMutableRawPointer(rp + x).storeBytes(
                                            of: old.replacing(with: v, where: better), as: SIMD8<Float>.self)
                                        UnsafeMutableRawPointer(ip + x).storeBytes(
                                            of: oldIndex.replacing(with: index, where: better), as: SIMD8<Int32>.self)
                                        x += 8
                                    }
                                    while x < w {
                                        if r[x] > rp[x] {
                                            rp[x] = r[x]
                                            ip[x] = base &+ Int32(truncatingIfNeeded: x)
                                        }
                                        x += 1
                                    }
                                }
                                let out = dst + oy * ow
                                for ox in 0..<ow {
                                    let c = 2 * ox + 1  // padded index of input column 2·ox
                                    var best = row[c - 1], index = at[c - 1]
                                    if row[c] > best || (row[c] == best && at[c] < index) {
                                        best = row[c]
                                        index = at[c]
                                    }
                                    if row[c + 1] > best || (row[c + 1] == best && at[c + 1] < index) {
                                        best = row[c + 1]
                                        index = at[c + 1]
                                    }
                                    out[ox] = best
                                    if !ap.isEmpty { ap[nc * oh * ow + oy * ow + ox] = index }
                                }
                            }
                        }
                    }
                    return
                }
                for oy in 0..<oh {
                    let y0 = max(0, oy * s - p), y1 = min(h, oy * s - p + k)
                    for ox in 0..<ow {
                        let x0 = max(0, ox * s - p), x1 = min(w, ox * s - p + k)
                        var best = -Float.infinity, at = y0 * w + x0
                        for iy in y0..<y1 {
                            let r = src + iy * w
                            for ix in x0..<x1 where r[ix] > best {
                                best = r[ix]
                                at = iy * w + ix
                            }
                        }
                        dst[oy * ow + ox] = best
                        if !ap.isEmpty { ap[nc * oh * ow + oy * ow + ox] = Int32(at) }
                    }
                }
            }
        }
        withExtendedLifetime(input) {}
        if training { cache = (input.shape, argmax) }
        return y
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard let cache else { preconditionFailure("MaxPool2d.backward without a training-mode forward") }
        self.cache = nil
        let shape = cache.inputShape
        let plane = shape[2] * shape[3]
        let outPlane = gradOutput.h * gradOutput.w
        var dx = Tensor(uninitializedShape: shape)
        let dxp = dx.mutablePointer, gp = gradOutput.pointer
        cache.argmax.withUnsafeBufferPointer { ap in
            parallelFor(shape[0] * shape[1], costPerItem: plane) { nc in
                let dst = dxp + nc * plane
                dst.update(repeating: 0, count: plane)
                for i in 0..<outPlane { dst[Int(ap[nc * outPlane + i])] += gp[nc * outPlane + i] }
            }
        }
        withExtendedLifetime(gradOutput) {}
        return dx
    }
}

/// Mean over H and W: `[N, C, H, W]` → `[N, C]` (adaptive average pooling to 1×1, then flatten).
public struct GlobalAvgPool2d: Layer {
    private var inputShape: [Int]?

    public init() {}

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4, "GlobalAvgPool2d expects NCHW, got \(input.shape)")
        let plane = input.h * input.w
        var y = Tensor(uninitializedShape: [input.n, input.c])
        let yp = y.mutablePointer, xp = input.pointer
        for nc in 0..<(input.n * input.c) {
            var s: Float = 0
            let row = xp + nc * plane
            for i in 0..<plane { s += row[i] }
            yp[nc] = s / Float(plane)
        }
        withExtendedLifetime(input) {}
        if training { inputShape = input.shape }
        return y
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard let shape = inputShape else {
            preconditionFailure("GlobalAvgPool2d.backward without a training-mode forward")
        }
        inputShape = nil
        let plane = shape[2] * shape[3]
        var dx = Tensor(uninitializedShape: shape)
        let dxp = dx.mutablePointer, gp = gradOutput.pointer
        for nc in 0..<(shape[0] * shape[1]) {
            let v = gp[nc] / Float(plane)
            (dxp + nc * plane).update(repeating: v, count: plane)
        }
        withExtendedLifetime(gradOutput) {}
        return dx
    }
}

/// `[N, …]` → `[N, product of the rest]` (shares storage).
public struct Flatten: Layer {
    private var inputShape: [Int]?

    public init() {}

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        if training { inputShape = input.shape }
        return input.reshaped([input.shape[0], input.count / max(1, input.shape[0])])
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("Flatten.backward without a training-mode forward") }
        inputShape = nil
        return gradOutput.reshaped(shape)
    }
}
