import SeededRandom

/// A residual block's shortcut: the identity, or conv1×1 (with the block's stride) + BN when the block
/// changes the shape. Parameters are named like torchvision's `downsample.0` / `downsample.1` under the
/// block's prefix. Shapes: `[N, C, H, W]` → `[N, O, H/s, W/s]`.
public struct Shortcut: Layer {
    public var downsample: (conv: Conv2d, bn: BatchNorm2d)?

    /// The identity when `stride` is 1 and the channel counts agree, else a projection.
    public init(inputChannels: Int, outputChannels: Int, stride: Int, using rng: inout some RandomNumberGenerator) {
        if stride != 1 || inputChannels != outputChannels {
            downsample = (
                Conv2d(
                    inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, stride: stride,
                    bias: false, initialization: .kaimingNormalFanOut, using: &rng),
                BatchNorm2d(featureCount: outputChannels)
            )
        }
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard downsample != nil else { return input }
        return downsample!.bn.forward(downsample!.conv.forward(input, training: training), training: training)
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        guard downsample != nil else { return gradOutput }
        return downsample!.conv.backward(downsample!.bn.backward(gradOutput))
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        guard downsample != nil else { return }
        downsample!.conv.visitParameters(prefix: join(prefix, "downsample.0"), body)
        downsample!.bn.visitParameters(prefix: join(prefix, "downsample.1"), body)
    }

    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {
        downsample?.bn.visitBuffers(prefix: join(prefix, "downsample.1"), body)
    }
}

/// The residual block of ResNet-10/18/34: conv3×3 → BN → ReLU → conv3×3 → BN, plus the shortcut
/// (identity, or conv1×1 + BN when the shape changes), then ReLU. Names follow torchvision
/// (`conv1`, `bn1`, `conv2`, `bn2`, `downsample.0`, `downsample.1`).
public struct BasicBlock: Layer {
    public static let expansion = 1
    public var conv1: Conv2d
    public var bn1: BatchNorm2d
    public var conv2: Conv2d
    public var bn2: BatchNorm2d
    public var shortcut: Shortcut

    public init(
        inputChannels: Int, channels: Int, stride: Int, zeroInitResidual: Bool,
        using rng: inout some RandomNumberGenerator
    ) {
        conv1 = Conv2d(
            inputChannels: inputChannels, outputChannels: channels, kernelSize: 3, stride: stride, padding: 1,
            bias: false, initialization: .kaimingNormalFanOut, using: &rng)
        bn1 = BatchNorm2d(featureCount: channels)
        conv2 = Conv2d(
            inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, bias: false,
            initialization: .kaimingNormalFanOut, using: &rng)
        bn2 = BatchNorm2d(featureCount: channels)
        if zeroInitResidual { bn2.weight.value.zero() }
        shortcut = Shortcut(inputChannels: inputChannels, outputChannels: channels, stride: stride, using: &rng)
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        var y = conv1.forward(input, training: training)
        y = bn1.forward(y, training: training, residual: nil, relu: true)
        y = conv2.forward(y, training: training)
        let identity = shortcut.forward(input, training: training)
        return bn2.forward(y, training: training, residual: identity, relu: true)
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        let (g, gShortcut) = bn2.backwardFused(gradOutput)
        var gx = conv1.backward(bn1.backward(conv2.backward(g)))
        gx.add(shortcut.backward(gShortcut!))
        return gx
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        conv1.visitParameters(prefix: join(prefix, "conv1"), body)
        bn1.visitParameters(prefix: join(prefix, "bn1"), body)
        conv2.visitParameters(prefix: join(prefix, "conv2"), body)
        bn2.visitParameters(prefix: join(prefix, "bn2"), body)
        shortcut.visitParameters(prefix: prefix, body)
    }

    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {
        bn1.visitBuffers(prefix: join(prefix, "bn1"), body)
        bn2.visitBuffers(prefix: join(prefix, "bn2"), body)
        shortcut.visitBuffers(prefix: prefix, body)
    }
}

/// The bottleneck block of ResNet-50 (torchvision v1.5: stride on the 3×3): conv1×1 → BN → ReLU →
/// conv3×3 → BN → ReLU → conv1×1 (4× channels) → BN, plus the shortcut, then ReLU.
public struct Bottleneck: Layer {
    public static let expansion = 4
    public var conv1: Conv2d
    public var bn1: BatchNorm2d
    public var conv2: Conv2d
    public var bn2: BatchNorm2d
    public var conv3: Conv2d
    public var bn3: BatchNorm2d
    public var shortcut: Shortcut

    public init(
        inputChannels: Int, channels: Int, stride: Int, zeroInitResidual: Bool,
        using rng: inout some RandomNumberGenerator
    ) {
        let out = channels * Self.expansion
        conv1 = Conv2d(
            inputChannels: inputChannels, outputChannels: channels, kernelSize: 1, bias: false,
            initialization: .kaimingNormalFanOut, using: &rng)
        bn1 = BatchNorm2d(featureCount: channels)
        conv2 = Conv2d(
            inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: stride, padding: 1, bias: false,
            initialization: .kaimingNormalFanOut, using: &rng)
        bn2 = BatchNorm2d(featureCount: channels)
        conv3 = Conv2d(
            inputChannels: channels, outputChannels: out, kernelSize: 1, bias: false,
            initialization: .kaimingNormalFanOut, using: &rng)
        bn3 = BatchNorm2d(featureCount: out)
        if zeroInitResidual { bn3.weight.value.zero() }
        shortcut = Shortcut(inputChannels: inputChannels, outputChannels: out, stride: stride, using: &rng)
    }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        var y = bn1.forward(conv1.forward(input, training: training), training: training, residual: nil, relu: true)
        y = bn2.forward(conv2.forward(y, training: training), training: training, residual: nil, relu: true)
        y = conv3.forward(y, training: training)
        let identity = shortcut.forward(input, training: training)
        return bn3.forward(y, training: training, residual: identity, relu: true)
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        let (g, gShortcut) = bn3.backwardFused(gradOutput)
        var gx = conv1.backward(bn1.backward(conv2.backward(bn2.backward(conv3.backward(g)))))
        gx.add(shortcut.backward(gShortcut!))
        return gx
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        conv1.visitParameters(prefix: join(prefix, "conv1"), body)
        bn1.visitParameters(prefix: join(prefix, "bn1"), body)
        conv2.visitParameters(prefix: join(prefix, "conv2"), body)
        bn2.visitParameters(prefix: join(prefix, "bn2"), body)
        conv3.visitParameters(prefix: join(prefix, "conv3"), body)
        bn3.visitParameters(prefix: join(prefix, "bn3"), body)
        shortcut.visitParameters(prefix: prefix, body)
    }

    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {
        bn1.visitBuffers(prefix: join(prefix, "bn1"), body)
        bn2.visitBuffers(prefix: join(prefix, "bn2"), body)
        bn3.visitBuffers(prefix: join(prefix, "bn3"), body)
        shortcut.visitBuffers(prefix: prefix, body)
    }
}

/// A residual stage's block, either kind (mutated in place through the optional).
public struct ResidualBlock: Layer {
    public var basic: BasicBlock?
    public var bottleneck: Bottleneck?

    public static func basic(_ b: BasicBlock) -> ResidualBlock { ResidualBlock(basic: b, bottleneck: nil) }
    public static func bottleneck(_ b: Bottleneck) -> ResidualBlock { ResidualBlock(basic: nil, bottleneck: b) }

    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        basic != nil ? basic!.forward(input, training: training) : bottleneck!.forward(input, training: training)
    }

    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        basic != nil ? basic!.backward(gradOutput) : bottleneck!.backward(gradOutput)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        basic?.visitParameters(prefix: prefix, body)
        bottleneck?.visitParameters(prefix: prefix, body)
    }

    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {
        basic?.visitBuffers(prefix: prefix, body)
        bottleneck?.visitBuffers(prefix: prefix, body)
    }
}

/// ResNet for NCHW spectrogram "images", following torchvision's layout and parameter names
/// (`conv1`, `bn1`, `layer1.0.conv1.weight`, …, `fc.weight`), so a saved state dict loads into the
/// same torchvision-style model in PyTorch.
///
/// Two stems: ``Stem/imageNet`` (7×7 stride-2 conv + 3×3 stride-2 max-pool, torchvision's) and
/// ``Stem/smallInput`` (3×3 stride-1 conv, no max-pool: no early down-sampling for small inputs).
/// Four stages of `width, 2·width, 4·width, 8·width` channels (stride 1, 2, 2, 2), global average
/// pooling, optional dropout, and a linear classifier. Convolutions are Kaiming-normal (fan-out),
/// BatchNorm weights 1 and biases 0, the classifier PyTorch's default; all draws come from `rng`.
public struct ResNet: Layer {
    public enum Depth: Int, CaseIterable, Sendable {
        case resNet10 = 10, resNet18 = 18, resNet34 = 34, resNet50 = 50

        var usesBasicBlock: Bool { self != .resNet50 }
        var layerBlockCounts: [Int] {
            switch self {
            case .resNet10: return [1, 1, 1, 1]
            case .resNet18: return [2, 2, 2, 2]
            case .resNet34, .resNet50: return [3, 4, 6, 3]
            }
        }
    }

    /// The first layers; the raw values are the spellings of specs, model files and `ser bench train --stem`.
    public enum Stem: String, Codable, CaseIterable, Sendable {
        /// 7×7 stride-2 convolution and a max-pool (torchvision's).
        case imageNet = "imagenet"
        /// 3×3 stride-1 convolution, no down-sampling (for small inputs).
        case smallInput = "small"
    }

    public let classCount: Int
    public let depth: Depth
    public let stem: Stem
    public var conv1: Conv2d
    public var bn1: BatchNorm2d
    public var maxPool: MaxPool2d?
    /// `layers[i]` is torchvision's `layer{i+1}`.
    public var layers: [[ResidualBlock]]
    public var avgPool = GlobalAvgPool2d()
    public var dropout: Dropout?
    public var fc: Linear

    public init(
        classCount: Int, depth: Depth, inputChannels: Int = 1, width: Int = 64, stem: Stem = .imageNet,
        dropout: Float = 0, zeroInitResidual: Bool = false, using rng: inout some RandomNumberGenerator
    ) {
        self.classCount = classCount
        self.depth = depth
        self.stem = stem
        switch stem {
        case .imageNet:
            conv1 = Conv2d(
                inputChannels: inputChannels, outputChannels: width, kernelSize: 7, stride: 2, padding: 3, bias: false,
                initialization: .kaimingNormalFanOut, using: &rng)
            maxPool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        case .smallInput:
            conv1 = Conv2d(
                inputChannels: inputChannels, outputChannels: width, kernelSize: 3, stride: 1, padding: 1, bias: false,
                initialization: .kaimingNormalFanOut, using: &rng)
            maxPool = nil
        }
        conv1.computesInputGradient = false
        bn1 = BatchNorm2d(featureCount: width)
        var channels = width
        layers = []
        for (stage, count) in depth.layerBlockCounts.enumerated() {
            let planes = width << stage
            var blocks: [ResidualBlock] = []
            for i in 0..<count {
                let stride = (stage > 0 && i == 0) ? 2 : 1
                if depth.usesBasicBlock {
                    blocks.append(
                        .basic(
                            BasicBlock(
                                inputChannels: channels, channels: planes, stride: stride,
                                zeroInitResidual: zeroInitResidual, using: &rng)))
                    channels = planes
                } else {
                    blocks.append(
                        .bottleneck(
                            Bottleneck(
                                inputChannels: channels, channels: planes, stride: stride,
                                zeroInitResidual: zeroInitResidual, using: &rng)))
                    channels = planes * Bottleneck.expansion
                }
            }
            layers.append(blocks)
        }
        self.dropout = dropout > 0 ? Dropout(probability: dropout, using: &rng) : nil
        fc = Linear(inputSize: channels, outputSize: classCount, using: &rng)
    }

    /// Whether `backward` also returns d(loss)/d(input) (off by default: the input is data).
    public var computesInputGradient: Bool {
        get { conv1.computesInputGradient }
        set { conv1.computesInputGradient = newValue }
    }

    /// Logits `[N, classCount]` for input `[N, inputChannels, H, W]`.
    public mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = conv1.forward(input, training: training)
        x = bn1.forward(x, training: training, residual: nil, relu: true)
        if maxPool != nil { x = maxPool!.forward(x, training: training) }
        for s in layers.indices {
            for b in layers[s].indices { x = layers[s][b].forward(x, training: training) }
        }
        x = avgPool.forward(x, training: training)
        if dropout != nil { x = dropout!.forward(x, training: training) }
        return fc.forward(x, training: training)
    }

    /// Back-propagates d(loss)/d(logits), writing every parameter's gradient. Returns d(loss)/d(input)
    /// when ``computesInputGradient`` is set, else an empty tensor.
    public mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        var g = fc.backward(gradOutput)
        if dropout != nil { g = dropout!.backward(g) }
        g = avgPool.backward(g)
        for s in layers.indices.reversed() {
            for b in layers[s].indices.reversed() { g = layers[s][b].backward(g) }
        }
        if maxPool != nil { g = maxPool!.backward(g) }
        return conv1.backward(bn1.backward(g))
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        conv1.visitParameters(prefix: join(prefix, "conv1"), body)
        bn1.visitParameters(prefix: join(prefix, "bn1"), body)
        for s in layers.indices {
            for b in layers[s].indices {
                layers[s][b].visitParameters(prefix: join(prefix, "layer\(s + 1).\(b)"), body)
            }
        }
        fc.visitParameters(prefix: join(prefix, "fc"), body)
    }

    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {
        bn1.visitBuffers(prefix: join(prefix, "bn1"), body)
        for s in layers.indices {
            for b in layers[s].indices { layers[s][b].visitBuffers(prefix: join(prefix, "layer\(s + 1).\(b)"), body) }
        }
    }
}

extension ResNet {
    /// The names and shapes of the ``stateDict`` of a network made with these arguments, computed without
    /// allocating it, so a model file's tensors can be checked against its architecture before the network
    /// is built. O(number of tensors).
    public static func stateShapes(
        classCount: Int, depth: Depth, inputChannels: Int = 1, width: Int = 64, stem: Stem = .imageNet
    ) -> [(name: String, shape: [Int])] {
        var parameters: [(name: String, shape: [Int])] = []
        var buffers: [(name: String, shape: [Int])] = []
        func conv(_ name: String, _ input: Int, _ output: Int, _ kernel: Int) {
            parameters.append((name + ".weight", [output, input, kernel, kernel]))
        }
        func bn(_ name: String, _ channels: Int) {
            parameters.append((name + ".weight", [channels]))
            parameters.append((name + ".bias", [channels]))
            buffers.append((name + ".running_mean", [channels]))
            buffers.append((name + ".running_var", [channels]))
            buffers.append((name + ".num_batches_tracked", []))
        }
        conv("conv1", inputChannels, width, stem == .imageNet ? 7 : 3)
        bn("bn1", width)
        var channels = width
        for (stage, count) in depth.layerBlockCounts.enumerated() {
            let planes = width << stage
            for i in 0..<count {
                let stride = (stage > 0 && i == 0) ? 2 : 1
                let prefix = "layer\(stage + 1).\(i)"
                let out: Int
                if depth.usesBasicBlock {
                    out = planes
                    conv(prefix + ".conv1", channels, planes, 3)
                    bn(prefix + ".bn1", planes)
                    conv(prefix + ".conv2", planes, planes, 3)
                    bn(prefix + ".bn2", planes)
                } else {
                    out = planes * Bottleneck.expansion
                    conv(prefix + ".conv1", channels, planes, 1)
                    bn(prefix + ".bn1", planes)
                    conv(prefix + ".conv2", planes, planes, 3)
                    bn(prefix + ".bn2", planes)
                    conv(prefix + ".conv3", planes, out, 1)
                    bn(prefix + ".bn3", out)
                }
                if stride != 1 || channels != out {
                    conv(prefix + ".downsample.0", channels, out, 1)
                    bn(prefix + ".downsample.1", out)
                }
                channels = out
            }
        }
        parameters.append(("fc.weight", [classCount, channels]))
        parameters.append(("fc.bias", [classCount]))
        return parameters + buffers
    }
}

/// The network families a spec's `model.arch` and a model file's `architecture.arch` may name (raw value: that
/// spelling). ResNet is the only one.
public enum NetworkArchitecture: String, Codable, CaseIterable, Sendable {
    case resnet
}
