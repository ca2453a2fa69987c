import BLAS

/// The Winograd F(2×2, 3×3) paths of ``Conv2d`` for 3×3 stride-1 padding-1 kernels (see `Winograd`),
/// chosen when ``Engine/usesWinograd`` is on: forward, input gradient and weight gradient. Samples are
/// split over ``Engine/sampleLanes(batch:)`` lanes as on the im2col path; a single sample splits the
/// 16 products over ``Engine/productLanes`` instead.
extension Conv2d {
    /// Whether this convolution takes the Winograd path for input geometry `g`: ``Engine/usesWinograd``,
    /// a 3×3 stride-1 padding-1 kernel, and at least ``Engine/winogradMinimumColumns`` tiles per
    /// product (each lane's samples are grouped as on the im2col path). Very few tiles (batch-1
    /// inference on the last stage's 4×21 maps: 22) make 16 thin products that stream 16 transformed
    /// weight planes (1.8× the kernel's size) for little work; one im2col product is faster there.
    func usesWinograd(_ g: ConvGeometry, batch: Int, lanes: Int) -> Bool {
        guard Engine.usesWinograd && Winograd.applies(g) else { return false }
        let perLane = (batch + lanes - 1) / lanes
        let tiles = Winograd.tiles(height: g.outH, width: g.outW)
        return Self.groupSize(batch: perLane, plane: tiles, target: Engine.winogradColumnTarget) * tiles
            >= Engine.winogradMinimumColumns
    }

    /// Forward pass of a 3×3 stride-1 padding-1 convolution by Winograd F(2×2, 3×3) into `y`
    /// (`[N, O, H, W]`, without bias): the weights are transformed once, then each lane convolves its
    /// samples in groups of ≥ ``Engine/winogradColumnTarget`` tiles per product. In eval mode the
    /// transformed weights are cached until the weights change. Complexity
    /// O(16·O·C·N·⌈H/2⌉·⌈W/2⌉) in sgemm plus O((C + O)·N·H·W) transforms.
    mutating func forwardWinograd(
        _ input: Tensor, _ g: ConvGeometry, into yp: UnsafeMutablePointer<Float>, training: Bool, lanes: Int,
        productLanes: Int
    ) {
        let batch = input.n, outC = outputChannels, cin = inputChannels
        let imageSize = cin * g.height * g.width, outSize = outC * g.outH * g.outW
        var u: Tensor
        if !training, let cache = winogradCache, cache.source === weight.value.storage {
            u = cache.u
        } else {
            u = Tensor(uninitializedShape: [Winograd.weightCount(outputChannels: outC, inputChannels: cin)])
            Winograd.transformWeights(
                weight.value.pointer, outputChannels: outC, inputChannels: cin, into: u.mutablePointer)
            // Training changes the weights every step: keep no cache (it would also make the
            // optimizer's in-place update copy the weights).
            winogradCache = training ? nil : (weight.value.storage, u)
        }
        let up = u.pointer, xp = input.pointer
        let group = Self.groupSize(
            batch: (batch + lanes - 1) / lanes, plane: Winograd.tiles(height: g.outH, width: g.outW),
            target: Engine.winogradColumnTarget)
        forEachLane(lanes) { lane in
            var scratch = Tensor(
                uninitializedShape: [
                    Winograd.scratchCount(
                        samples: group, inputChannels: cin, outputChannels: outC, height: g.height, width: g.width)
                ])
            let sp = scratch.mutablePointer
            forEachSampleGroup(lane: lane, of: lanes, batch: batch, group: group) { n0, s, _ in
                Winograd.convolve(
                    xp + n0 * imageSize, samples: s, channels: cin, height: g.height, width: g.width, weights: up,
                    outputChannels: outC, yp + n0 * outSize, scratch: sp, parallel: lanes == 1,
                    productLanes: productLanes)
            }
            withExtendedLifetime(scratch) {}
        }
        withExtendedLifetime((input, u, weight)) {}
    }

    /// Backward pass by Winograd: the weight gradient as 16 transform-domain products
    /// `dU[ξ] = dM[ξ]·V[ξ]ᵀ` summed over samples (lanes add theirs in lane order) and mapped back by
    /// `Gᵀ·dU·G`; the input gradient as the Winograd convolution of dY with the flipped, transposed
    /// kernel. Writes `weight.gradient`; returns dX (empty without ``computesInputGradient``).
    /// Complexity O(2·16·O·C·N·⌈H/2⌉·⌈W/2⌉) in sgemm plus O((C + O)·N·H·W) transforms.
    mutating func backwardWinograd(_ input: Tensor, _ gradOutput: Tensor, _ g: ConvGeometry) -> Tensor {
        let batch = input.n, outC = outputChannels, cin = inputChannels
        let imageSize = cin * g.height * g.width, outSize = outC * g.outH * g.outW
        let lanes = Engine.sampleLanes(batch: batch)
        let parallel = lanes == 1
        let productLanes = lanes == 1 ? Engine.productLanes : 1
        let group = Self.groupSize(
            batch: (batch + lanes - 1) / lanes, plane: Winograd.tiles(height: g.outH, width: g.outW),
            target: Engine.winogradColumnTarget)
        let weightCount = Winograd.weightCount(outputChannels: outC, inputChannels: cin)
        var dx = Tensor(uninitializedShape: computesInputGradient ? input.shape : [0])
        var flipped = Tensor(uninitializedShape: [computesInputGradient ? weightCount : 0])
        if computesInputGradient {
            Winograd.transformWeights(
                weight.value.pointer, outputChannels: outC, inputChannels: cin, transposedFlipped: true,
                into: flipped.mutablePointer)
        }
        var du = Tensor(uninitializedShape: [lanes * weightCount])
        let dxp = dx.mutablePointer, fp = flipped.pointer, dup = du.mutablePointer
        let xp = input.pointer, gp = gradOutput.pointer
        let computesInputGradient = computesInputGradient
        forEachLane(lanes) { lane in
            // The weight-gradient and input-gradient steps need the same scratch size; they share it.
            var scratch = Tensor(
                uninitializedShape: [
                    Winograd.scratchCount(
                        samples: group, inputChannels: cin, outputChannels: outC, height: g.height, width: g.width)
                ])
            let sp = scratch.mutablePointer
            forEachSampleGroup(lane: lane, of: lanes, batch: batch, group: group) { n0, s, isLaneStart in
                Winograd.accumulateWeightGradient(
                    input: xp + n0 * imageSize, outputGradient: gp + n0 * outSize, samples: s, channels: cin,
                    outputChannels: outC, height: g.height, width: g.width, into: dup + lane * weightCount,
                    accumulate: !isLaneStart, scratch: sp, parallel: parallel, productLanes: productLanes)
                if computesInputGradient {
                    Winograd.convolve(
                        gp + n0 * outSize, samples: s, channels: outC, height: g.outH, width: g.outW, weights: fp,
                        outputChannels: cin, dxp + n0 * imageSize, scratch: sp, parallel: parallel,
                        productLanes: productLanes)
                }
            }
            withExtendedLifetime(scratch) {}
        }
        // Lanes' sums in lane order (deterministic), then back to the 3×3 kernels.
        // Only the [O, C] part of each plane is written; the padding between planes is skipped.
        let planeStride = Winograd.planeStride(outC * cin)
        for lane in 1..<max(1, lanes) {
            for xi in 0..<16 {
                let sum = dup + xi * planeStride, partial = sum + lane * weightCount
                for i in 0..<(outC * cin) { sum[i] += partial[i] }
            }
        }
        Winograd.transformWeightGradient(
            dup, outputChannels: outC, inputChannels: cin, into: weight.gradient.mutablePointer)
        withExtendedLifetime((input, gradOutput, flipped, du)) {}
        return dx
    }
}
