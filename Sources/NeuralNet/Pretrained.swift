import Foundation

/// What ``ResNet/loadInitialWeights(from:)`` did with a `model.init` file.
public enum InitialWeights: Equatable, Sendable {
    /// The file fitted the network exactly (ser's own weights for the same architecture and classes).
    case exact
    /// A torchvision/timm-style ResNet checkpoint: its body was loaded, its classifier (`fc`, of
    /// `checkpointClasses` outputs, nil when the file has none) replaced by the network's new head, and its
    /// first convolution summed over `summedInputChannels` input channels (nil: taken as it was).
    case pretrained(checkpointClasses: Int?, summedInputChannels: Int?)

    /// One line for the run's log.
    public var summary: String {
        switch self {
        case .exact: return "weights loaded as they are"
        case .pretrained(let classes, let summed):
            var parts = ["pretrained body loaded"]
            parts.append(classes.map { "its \($0)-class classifier replaced by a new head" } ?? "a new head")
            if let summed { parts.append("conv1 summed over its \(summed) input channels") }
            return parts.joined(separator: ", ")
        }
    }
}

/// A `model.init` checkpoint that cannot start this network.
public enum PretrainedError: Error, CustomStringConvertible, Equatable {
    /// The file holds no `layerN.M.` tensors or no `conv1.weight`: not a torchvision-style ResNet.
    case notAResNet(path: String, reason: String)
    /// The checkpoint's block counts are another depth than the spec's (`found` describes them).
    case depth(path: String, found: String, expected: Int)
    /// The first stage's channels differ from `model.width`.
    case width(path: String, found: Int, expected: Int)
    /// The first convolution's kernel is another stem's.
    case stem(path: String, kernel: Int, expected: ResNet.Stem)
    /// The first convolution takes neither the network's input channels nor 3 (RGB, summed).
    case inputChannels(path: String, found: Int, expected: Int)
    /// Names or shapes that do not fit, by tensor.
    case state(path: String, ModelStateError)

    public var description: String {
        switch self {
        case .notAResNet(let path, let reason):
            return "\(path): not a torchvision/timm ResNet checkpoint (\(reason))"
        case .depth(let path, let found, let expected):
            return
                "\(path): the checkpoint is \(found), the spec's model.depth is \(expected); set model.depth to the checkpoint's depth"
        case .width(let path, let found, let expected):
            return
                "\(path): the checkpoint's first stage has \(found) channels, model.width is \(expected); set model.width: \(found) (torchvision's ResNets are 64)"
        case .stem(let path, let kernel, let expected):
            let stem = kernel == 7 ? ResNet.Stem.imageNet : ResNet.Stem.smallInput
            return
                "\(path): the checkpoint's conv1 is \(kernel)×\(kernel) (stem \(stem.rawValue)), model.stem is \(expected.rawValue); set model.stem: \(stem.rawValue)"
        case .inputChannels(let path, let found, let expected):
            return
                "\(path): the checkpoint's conv1.weight takes \(found) input channels; expected \(expected) or 3 (RGB, summed to \(expected))"
        case .state(let path, let error): return "\(path): \(error)"
        }
    }
}

extension ResNet {
    /// The block counts and kind of a checkpoint's `layerS.B.…` tensors, as a depth, or a description of
    /// what it is when it is no depth ser builds.
    static func checkpointDepth(_ names: some Sequence<String>) -> (depth: Depth?, description: String)? {
        var counts = [0, 0, 0, 0]
        var bottleneck = false
        for name in names {
            let parts = name.split(separator: ".")
            guard parts.count >= 3, parts[0].hasPrefix("layer"), let stage = Int(parts[0].dropFirst(5)),
                (1...4).contains(stage), let block = Int(parts[1])
            else { continue }
            counts[stage - 1] = max(counts[stage - 1], block + 1)
            if parts[2] == "conv3" { bottleneck = true }
        }
        guard counts.contains(where: { $0 > 0 }) else { return nil }
        let depth = Depth.allCases.first { $0.layerBlockCounts == counts && $0.usesBasicBlock == !bottleneck }
        let described =
            depth.map { "ResNet-\($0.rawValue)" }
            ?? "a ResNet with \(counts.map(String.init).joined(separator: "/")) \(bottleneck ? "bottleneck" : "basic") blocks per stage (ser builds ResNet-10/18/34/50)"
        return (depth, described)
    }

    /// Loads `model.init`: a file that fits the network exactly (ser's own weights) is loaded as it is;
    /// anything else is taken as a torchvision/timm ResNet checkpoint (see ``loadPretrained(_:path:)``).
    /// Reads safetensors and PyTorch `.pth` state dicts (``TorchCheckpoint``).
    /// - Throws: ``SafeTensorsError``, ``TorchCheckpointError`` or ``PretrainedError``; the network is
    ///   unchanged on any error.
    @discardableResult
    public mutating func loadInitialWeights(from url: URL) throws -> InitialWeights {
        let tensors = try TorchCheckpoint.readStateDict(from: url)
        if (try? loadStateDict(tensors)) != nil { return .exact }
        return try loadPretrained(tensors, path: url.path)
    }

    /// fastai's transfer rule for a torchvision/timm ResNet state dict: a `module.` prefix (DataParallel)
    /// is dropped; depth, width and stem must be the network's; a 3-channel first convolution becomes the
    /// network's channels by summing over RGB (for 1 channel: `w[:, 0] = w.sum(1)`); the classifier `fc.*`
    /// is not loaded (the network keeps its new head); `num_batches_tracked` may be absent. Every other tensor
    /// must be present with the network's shape and finite values.
    /// - Throws: ``PretrainedError`` naming the file and the tensor; the network is unchanged on any error.
    @discardableResult
    public mutating func loadPretrained(_ source: [String: Tensor], path: String) throws -> InitialWeights {
        var tensors: [String: Tensor] = [:]
        for (name, t) in source { tensors[name.hasPrefix("module.") ? String(name.dropFirst(7)) : name] = t }
        guard let found = Self.checkpointDepth(tensors.keys) else {
            throw PretrainedError.notAResNet(path: path, reason: "it has no layer1…layer4 tensors")
        }
        guard found.depth == depth else {
            throw PretrainedError.depth(path: path, found: found.description, expected: depth.rawValue)
        }
        guard let first = tensors["conv1.weight"], first.shape.count == 4 else {
            throw PretrainedError.notAResNet(path: path, reason: "it has no 4-dimensional conv1.weight")
        }
        let expected = conv1.weight.value.shape  // [width, inputChannels, k, k]
        guard first.shape[0] == expected[0] else {
            throw PretrainedError.width(path: path, found: first.shape[0], expected: expected[0])
        }
        guard first.shape[2] == expected[2], first.shape[3] == expected[3] else {
            throw PretrainedError.stem(path: path, kernel: first.shape[2], expected: stem)
        }
        var summed: Int?
        if first.shape[1] != expected[1] {
            guard first.shape[1] == 3, expected[1] == 1 else {
                throw PretrainedError.inputChannels(path: path, found: first.shape[1], expected: expected[1])
            }
            tensors["conv1.weight"] = Self.sumInputChannels(first)
            summed = 3
        }
        let checkpointClasses = tensors["fc.weight"].flatMap { $0.shape.first }
        // The new head and any absent batch counters come from the network itself.
        for (name, t) in stateDict
        where name.hasPrefix("fc.") || (name.hasSuffix("num_batches_tracked") && tensors[name] == nil) {
            tensors[name] = t
        }
        do {
            try loadStateDict(tensors)
        } catch let error as ModelStateError {
            throw PretrainedError.state(path: path, error)
        }
        return .pretrained(checkpointClasses: checkpointClasses, summedInputChannels: summed)
    }

    /// `[O, C, k, k]` → `[O, 1, k, k]`, each output's kernels summed over the C input channels.
    static func sumInputChannels(_ w: Tensor) -> Tensor {
        let o = w.shape[0], c = w.shape[1], area = w.shape[2] * w.shape[3]
        let s = w.scalars
        var out = [Float](repeating: 0, count: o * area)
        for i in 0..<o {
            for j in 0..<c {
                for k in 0..<area { out[i * area + k] += s[(i * c + j) * area + k] }
            }
        }
        return Tensor(shape: [o, 1, w.shape[2], w.shape[3]], scalars: out)
    }
}

/// The parts of a ResNet that fine-tuning treats apart: fastai's parameter groups for discriminative
/// learning rates, and the trainable set of a frozen network.
public enum ResNetParameterGroup: Int, CaseIterable, Sendable {
    /// `conv1`, `bn1`.
    case stem
    case stage1, stage2, stage3, stage4
    /// `fc`, the new classifier.
    case head

    /// The group of a parameter named as in ``ResNet/visitParameters(prefix:_:)``.
    public init(parameter name: String) {
        if name.hasPrefix("fc.") {
            self = .head
        } else if name.hasPrefix("layer"), let digit = name.dropFirst(5).first, let stage = Int(String(digit)),
            let group = ResNetParameterGroup(rawValue: stage)
        {
            self = group
        } else {
            self = .stem
        }
    }

    /// Whether a parameter of this name belongs to a BatchNorm layer (`bn1`, `layer1.0.bn2`, `downsample.1`).
    public static func isBatchNorm(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count >= 2 else { return false }
        let layer = parts[parts.count - 2]
        return layer.hasPrefix("bn") || (layer == "1" && parts.count >= 3 && parts[parts.count - 3] == "downsample")
    }
}

/// How fine-tuning sets each parameter's ``Parameter/learningRateScale``.
public enum FineTuneScales: Equatable, Sendable {
    /// Only the head and the BatchNorm layers train (fastai's `freeze()` with `train_bn`).
    case frozen
    /// Everything trains; group g of the 6 groups (stem, 4 stages, head) at
    /// `lowest^((5 − g)/5)` of the scheduled rate, so the stem gets `lowest`× and the head 1× (fastai's
    /// `slice(lo, hi)`, spaced geometrically; `lowest` = lo/hi, 1 for a single rate).
    case unfrozen(lowest: Double)

    /// The scale of the parameter `name`.
    public func scale(for name: String) -> Float {
        let group = ResNetParameterGroup(parameter: name)
        switch self {
        case .frozen:
            return group == .head || ResNetParameterGroup.isBatchNorm(name) ? 1 : 0
        case .unfrozen(let lowest):
            let last = ResNetParameterGroup.head.rawValue
            guard lowest != 1, group != .head else { return 1 }
            return Float(pow(lowest, Double(last - group.rawValue) / Double(last)))
        }
    }
}

extension Layer {
    /// Sets every parameter's ``Parameter/learningRateScale`` by its torchvision name (weights are untouched).
    public mutating func setLearningRateScales(_ scales: FineTuneScales) {
        visitParameters(prefix: "") { name, p in p.learningRateScale = scales.scale(for: name) }
    }
}
