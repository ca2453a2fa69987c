import BLAS
import SeededRandom

/// 2-D convolution over NCHW input with weight `[outputChannels, inputChannels, kH, kW]`
/// (PyTorch layout and names: `weight`, `bias`).
///
/// 3×3 stride-1 padding-1 kernels use Winograd F(2×2, 3×3) for forward and backward when
/// ``Engine/usesWinograd`` is on (Conv2dWinograd.swift). Everything else is im2col + sgemm: samples
/// are grouped so each product has at least ~1024 columns (small late-stage feature maps batch
/// several samples into one product); 1×1 stride-1 convolutions of single samples use the input
/// directly. Complexity O(N·O·C·kH·kW·outH·outW).
/// The forward pass caches only the input; backward recomputes the column matrix.
public struct Conv2d: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    public let padding: (height: Int, width: Int)
    public var weight: Parameter
    public var bias: Parameter?
    /// When false, `backward` returns an empty tensor (for the first layer, whose input needs no gradient).
    public var computesInputGradient = true

    private var cachedInput: Tensor?
    /// Winograd-transformed weights kept between inference (eval-mode) calls, with the weight
    /// storage they were made from: any change to the weights gives them new storage (copy on write).
    var winogradCache: (source: TensorStorage, u: Tensor)?

    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), bias: Bool = true, initialization: WeightInitialization = .pytorchDefault,
        using rng: inout some RandomNumberGenerator
    ) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize.0 > 0 && kernelSize.1 > 0)
        precondition(stride.0 > 0 && stride.1 > 0 && padding.0 >= 0 && padding.1 >= 0)
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inputChannels * kernelSize.0 * kernelSize.1
        let fanOut = outputChannels * kernelSize.0 * kernelSize.1
        weight = Parameter(
            initialWeights(
                shape: [outputChannels, inputChannels, kernelSize.0, kernelSize.1], fanIn: fanIn, fanOut: fanOut,
                initialization, using: &rng),
            decays: true)
        self.bias = bias ? Parameter(uniformBias(count: outputChannels, fanIn: fanIn, using: &rng), decays: false) : nil
    }

    /// Square kernel, equal strides and padding in both directions.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
        initialization: WeightInitialization = .pytorchDefault, using rng: inout some RandomNumberGenerator
    ) {
        self.init(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: (kernelSize, kernelSize),
            stride: (stride, stride), padding: (padding, padding), bias: bias, initialization: initialization,
            using: &rng)
    }

    func geometry(_ x: Tensor) -> ConvGeometry {
        precondition(
            x.shape.count == 4 && x.c == inputChannels, "Conv2d expects [N, \(inputChannels), H, W], got \(x.shape)")
        return ConvGeometry(
            channels: inputChannels, height: x.h, width: x.w, kernelH: kernelSize.height, kernelW: kernelSize.width,
            strideH: stride.height, strideW: stride.width, padH: padding.height, padW: padding.width)
    }

    /// Output shape for an input shape `[N, C, H, W]`.
    public func outputShape(for input: [Int]) -> [Int] {
        let oh = (input[2] + 2 * padding.height - kernelSize.height) / stride.height + 1
        let ow = (input[3] + 2 * padding.width - kernelSize.width) / stride.width + 1
        return [input[0], outputChannels, oh, ow]
    }

    /// The column matrix of `samples` consecutive samples starting at `x`: the input itself for a
    /// pointwise convolution of one sample, else its im2col written to `col` (`patch × samples·plane`).
    static func columnMatrix(
        _ x: UnsafePointer<Float>, samples: Int, _ g: ConvGeometry, pointwise: Bool,
        into col: UnsafeMutablePointer<Float>, parallel: Bool
    ) -> UnsafePointer<Float> {
        if pointwise { return x }
        im2col(x, samples: samples, g, col, parallel: parallel)
        return UnsafePointer(col)
    }

    /// Samples per sgemm: enough for ``Engine/gemmColumnTarget`` columns, at most the batch.
    static func groupSize(batch: Int, plane: Int, target: Int = Engine.gemmColumnTarget) -> Int {
        max(1, min(batch, (target + plane - 1) / plane))
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        let g = geometry(input)
        precondition(g.outH > 0 && g.outW > 0, "Conv2d kernel larger than padded input \(input.shape)")
        let batch = input.n, plane = g.outH * g.outW, outC = outputChannels, patch = g.patch
        var y = Tensor(uninitializedShape: [batch, outC, g.outH, g.outW])
        let yp = y.mutablePointer
        let xp = input.pointer, wp = weight.value.pointer
        let imageSize = g.channels * g.height * g.width
        let lanes = Engine.sampleLanes(batch: batch)
        let parallel = lanes == 1
        // Batch 1 with single-threaded BLAS: each product is split over the lanes instead.
        let productLanes = lanes == 1 ? Engine.productLanes : 1
        if usesWinograd(g, batch: batch, lanes: lanes) {
            forwardWinograd(input, g, into: yp, training: training, lanes: lanes, productLanes: productLanes)
        } else {
            let group = Self.groupSize(batch: (batch + lanes - 1) / lanes, plane: plane)
            let pointwise = g.isPointwise && group == 1
            Engine.countFLOPs(2 * outC * patch * plane * batch)
            // Each lane convolves its own range of samples with its own scratch buffers.
            forEachLane(lanes) { lane in
                var col = Tensor(uninitializedShape: pointwise ? [0] : [patch * group * plane])
                var staging = Tensor(uninitializedShape: group > 1 ? [outC * group * plane] : [0])
                let colp = col.mutablePointer, stp = staging.mutablePointer
                forEachSampleGroup(lane: lane, of: lanes, batch: batch, group: group) { n0, s, _ in
                    let columns = s * plane
                    let b = Self.columnMatrix(
                        xp + n0 * imageSize, samples: s, g, pointwise: pointwise, into: colp, parallel: parallel)
                    if group == 1 {
                        laneGemm(
                            lanes: productLanes, m: outC, n: columns, k: patch, a: wp, lda: patch, b: b, ldb: columns,
                            c: yp + n0 * outC * plane, ldc: columns)
                    } else {
                        gemm(
                            .none, .none, m: outC, n: columns, k: patch, a: wp, lda: patch, b: b, ldb: columns, c: stp,
                            ldc: columns)
                        // [O, s, P] → [s, O, P]
                        parallelFor(outC, costPerItem: parallel ? columns : 0) { o in
                            for k in 0..<s {
                                (yp + ((n0 + k) * outC + o) * plane).update(
                                    from: stp + o * columns + k * plane, count: plane)
                            }
                        }
                    }
                }
                withExtendedLifetime((col, staging)) {}
            }
        }
        if let bias {
            let bp = bias.value.pointer
            for n in 0..<batch {
                for o in 0..<outC {
                    let row = yp + (n * outC + o) * plane
                    let v = bp[o]
                    for i in 0..<plane { row[i] += v }
                }
            }
        }
        withExtendedLifetime((input, weight)) {}
        if training { cachedInput = input }
        return y
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("Conv2d.backward without a training-mode forward") }
        cachedInput = nil
        let g = geometry(input)
        let batch = input.n, plane = g.outH * g.outW, outC = outputChannels, patch = g.patch
        precondition(
            gradOutput.shape == [batch, outC, g.outH, g.outW], "Conv2d.backward: gradient shape \(gradOutput.shape)")
        if usesWinograd(g, batch: batch, lanes: Engine.sampleLanes(batch: batch)) {
            let dx = backwardWinograd(input, gradOutput, g)
            computeBiasGradient(gradOutput)
            return dx
        }
        let lanes = Engine.sampleLanes(batch: batch)
        let group = Self.groupSize(batch: (batch + lanes - 1) / lanes, plane: plane)
        let pointwise = g.isPointwise && group == 1
        let parallel = lanes == 1
        var dx = Tensor(uninitializedShape: computesInputGradient ? input.shape : [0])
        let dxp = dx.mutablePointer
        let xp = input.pointer, gp = gradOutput.pointer, wp = weight.value.pointer
        let dwp = weight.gradient.mutablePointer
        let imageSize = g.channels * g.height * g.width, imagePlane = g.height * g.width
        // Stride-1 convolutions whose output has the input's size take the flipped-kernel path.
        let transposedGeometry = ConvGeometry(
            channels: outC, height: g.outH, width: g.outW, kernelH: g.kernelH, kernelW: g.kernelW, strideH: 1,
            strideW: 1, padH: g.kernelH - 1 - g.padH, padW: g.kernelW - 1 - g.padW)
        let useFlipped =
            computesInputGradient && !pointwise && g.strideH == 1 && g.strideW == 1
            && transposedGeometry.padH >= 0 && transposedGeometry.padW >= 0
            && transposedGeometry.outH == g.height && transposedGeometry.outW == g.width
            && transposedGeometry.patch * imagePlane <= patch * plane * 2
        var flipped = Tensor(uninitializedShape: [0])
        if useFlipped {
            // W'[c, o, i, j] = W[o, c, kH−1−i, kW−1−j], stored as [C, O·kH·kW].
            flipped = Tensor(uninitializedShape: [g.channels, outC * g.kernelH * g.kernelW])
            let fp = flipped.mutablePointer
            let kh = g.kernelH, kw = g.kernelW, cin = g.channels
            for o in 0..<outC {
                for c in 0..<cin {
                    for i in 0..<kh {
                        for j in 0..<kw {
                            fp[((c * outC + o) * kh + i) * kw + j] =
                                wp[((o * cin + c) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
                        }
                    }
                }
            }
        }
        let fwp = UnsafePointer(flipped.mutablePointer)
        Engine.countFLOPs(2 * outC * patch * plane * batch * (computesInputGradient ? 2 : 1))
        // Lanes after the first accumulate their weight gradient separately; summed in lane order below.
        var partials = Tensor(uninitializedShape: [max(0, lanes - 1) * outC * patch])
        let partialp = partials.mutablePointer
        forEachLane(lanes) { lane in
            let dwLane = lane == 0 ? dwp : partialp + (lane - 1) * outC * patch
            let colCount = max(patch * group * plane, useFlipped ? transposedGeometry.patch * group * imagePlane : 0)
            var col = Tensor(uninitializedShape: pointwise ? [0] : [colCount])
            var staging = Tensor(uninitializedShape: group > 1 ? [outC * group * plane] : [0])
            var dxStaging = Tensor(
                uninitializedShape: useFlipped && group > 1 ? [g.channels * group * imagePlane] : [0])
            let colp = col.mutablePointer, stp = staging.mutablePointer, dstp = dxStaging.mutablePointer
            forEachSampleGroup(lane: lane, of: lanes, batch: batch, group: group) { n0, s, isLaneStart in
                let columns = s * plane
                let dy: UnsafePointer<Float>
                if group == 1 {
                    dy = gp + n0 * outC * plane
                } else {
                    parallelFor(outC, costPerItem: parallel ? columns : 0) { o in
                        for k in 0..<s {
                            (stp + o * columns + k * plane).update(
                                from: gp + ((n0 + k) * outC + o) * plane, count: plane)
                        }
                    }
                    dy = UnsafePointer(stp)
                }
                let b = Self.columnMatrix(
                    xp + n0 * imageSize, samples: s, g, pointwise: pointwise, into: colp, parallel: parallel)
                // dW (+)= dY · colᵀ
                gemm(
                    .none, .transposed, m: outC, n: patch, k: columns, a: dy, lda: columns, b: b, ldb: columns,
                    beta: isLaneStart ? 0 : 1, c: dwLane, ldc: patch)
                if computesInputGradient {
                    if pointwise {
                        gemm(
                            .transposed, .none, m: patch, n: columns, k: outC, a: wp, lda: patch, b: dy, ldb: columns,
                            c: dxp + n0 * imageSize, ldc: columns)
                    } else if useFlipped {
                        // Stride 1: dX is a stride-1 convolution of dY with the flipped, transposed kernel:
                        // im2col(dY) and one well-shaped sgemm (K = O·kH·kW) instead of a K = O sgemm + col2im.
                        im2col(gp + n0 * outC * plane, samples: s, transposedGeometry, colp, parallel: parallel)
                        let cols = s * imagePlane
                        let k = transposedGeometry.patch
                        if s == 1 {
                            gemm(
                                .none, .none, m: g.channels, n: cols, k: k, a: fwp, lda: k, b: colp, ldb: cols,
                                c: dxp + n0 * imageSize, ldc: cols)
                        } else {
                            gemm(
                                .none, .none, m: g.channels, n: cols, k: k, a: fwp, lda: k, b: colp, ldb: cols,
                                c: dstp, ldc: cols)
                            parallelFor(g.channels, costPerItem: parallel ? cols : 0) { c in
                                for k in 0..<s {
                                    (dxp + (n0 + k) * imageSize + c * imagePlane).update(
                                        from: dstp + c * cols + k * imagePlane, count: imagePlane)
                                }
                            }
                        }
                    } else {
                        gemm(
                            .transposed, .none, m: patch, n: columns, k: outC, a: wp, lda: patch, b: dy, ldb: columns,
                            c: colp, ldc: columns)
                        col2im(colp, samples: s, g, dxp + n0 * imageSize, parallel: parallel)
                    }
                }
            }
            withExtendedLifetime((col, staging, dxStaging)) {}
        }
        for lane in 1..<max(1, lanes) {
            let partial = partialp + (lane - 1) * outC * patch
            for i in 0..<(outC * patch) { dwp[i] += partial[i] }
        }
        computeBiasGradient(gradOutput)
        withExtendedLifetime((input, gradOutput, weight, flipped, partials)) {}
        return dx
    }

    /// bias.gradient[o] = Σ over samples and positions of dY[·, o, ·, ·] (Double accumulation).
    private mutating func computeBiasGradient(_ gradOutput: Tensor) {
        let batch = gradOutput.n, outC = outputChannels, plane = gradOutput.h * gradOutput.w
        let gp = gradOutput.pointer
        if bias != nil {
            let dbp = bias!.gradient.mutablePointer
            for o in 0..<outC {
                var sum: Double = 0
                for n in 0..<batch {
                    let row = gp + (n * outC + o) * plane
                    var partial: Float = 0
                    for i in 0..<plane { partial += row[i] }
                    sum += Double(partial)
                }
                dbp[o] = Float(sum)
            }
        }
        withExtendedLifetime(gradOutput) {}
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        body(join(prefix, "weight"), &weight)
        if bias != nil { body(join(prefix, "bias"), &bias!) }
    }
}
