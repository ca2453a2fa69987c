/// A trainable tensor with its gradient.
public struct Parameter: Sendable {
    /// The current value.
    public var value: Tensor
    /// d(loss)/d(value) from the last `backward` (overwritten, not accumulated, by each backward pass).
    public var gradient: Tensor
    /// Whether the optimizer applies weight decay (false for BatchNorm parameters and biases, as in fastai).
    public var decays: Bool
    /// The factor on the optimizer's learning rate for this parameter: 1 normally, below 1 for the early
    /// stages under discriminative rates, 0 for a frozen parameter, which the optimizer then skips entirely
    /// (no update, no decay, no optimizer state, as a PyTorch parameter with `requires_grad` off). Not part
    /// of the state dict: the fine-tuning callback sets it from the epoch (see ``Layer/setLearningRateScales(_:)``).
    public var learningRateScale: Float = 1

    public init(_ value: Tensor, decays: Bool) {
        self.value = value
        gradient = Tensor(shape: value.shape)
        self.decays = decays
    }
}

/// A differentiable layer with its own activation cache.
///
/// `forward(_:training:)` in training mode caches what `backward(_:)` needs; `backward` consumes the
/// cache (releasing it, so buffers return to the pool) and writes each parameter's gradient.
/// Call them in pairs: forward, then backward with d(loss)/d(output). Layers are value types; copying a
/// layer copies its weights lazily (copy-on-write).
public protocol Layer {
    /// Computes the output; in training mode, also caches activations for ``backward(_:)``.
    mutating func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Given d(loss)/d(output), writes parameter gradients and returns d(loss)/d(input).
    mutating func backward(_ gradOutput: consuming Tensor) -> Tensor
    /// Visits every trainable parameter with its PyTorch-style name (e.g. `layer1.0.conv1.weight`).
    mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void)
    /// Visits every non-trainable state tensor (BatchNorm running statistics) with its PyTorch-style name.
    mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void)
}

extension Layer {
    public mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {}
    public mutating func visitBuffers(prefix: String, _ body: (String, inout Tensor) -> Void) {}

    /// Visits parameters with names relative to this layer.
    public mutating func visitParameters(_ body: (String, inout Parameter) -> Void) {
        visitParameters(prefix: "", body)
    }

    /// Trainable parameters by name, in definition order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var copy = self
        var result: [(String, Parameter)] = []
        copy.visitParameters(prefix: "") { name, p in result.append((name, p)) }
        return result
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

    /// Weights and running statistics by PyTorch `state_dict` name, in definition order.
    public var stateDict: [(name: String, tensor: Tensor)] {
        var copy = self
        var result: [(String, Tensor)] = []
        copy.visitParameters(prefix: "") { name, p in result.append((name, p.value)) }
        copy.visitBuffers(prefix: "") { name, t in result.append((name, t)) }
        return result
    }

    /// Replaces weights and running statistics from `tensors`: every name and shape must match and every
    /// value must be finite. Everything is checked before anything is replaced, so a state dict that does
    /// not fit leaves the model as it was.
    /// - Throws: ``ModelStateError`` listing every missing, unexpected, misshapen and non-finite tensor.
    public mutating func loadStateDict(_ tensors: [String: Tensor]) throws {
        var problems = ModelStateError()
        var seen = Set<String>()
        func check(_ name: String, _ target: Tensor) {
            seen.insert(name)
            guard let t = tensors[name] else { return problems.missing.append(name) }
            guard t.count == target.count && (t.shape == target.shape || t.count == 1) else {
                return problems.mismatched.append(.init(name: name, expected: target.shape, found: t.shape))
            }
            if let index = t.firstNonFiniteIndex { problems.nonFinite.append(.init(name: name, index: index)) }
        }
        var copy = self
        copy.visitParameters(prefix: "") { name, p in check(name, p.value) }
        copy.visitBuffers(prefix: "") { name, t in check(name, t) }
        problems.unexpected = tensors.keys.filter { !seen.contains($0) }.sorted()
        guard problems.isEmpty else { throw problems }
        visitParameters(prefix: "") { name, p in
            if let t = tensors[name] { p.value = t.reshaped(p.value.shape) }
        }
        visitBuffers(prefix: "") { name, target in
            if let t = tensors[name] { target = t.reshaped(target.shape) }
        }
    }
}

extension Tensor {
    /// The flat index of the first NaN or infinite element, if any. O(count).
    public var firstNonFiniteIndex: Int? {
        withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
    }
}

/// `name` prefixed by `prefix` with a dot when the prefix is not empty.
@inline(__always) func join(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}

/// A state dict that does not fit the model: every tensor the model needs and the file lacks, every
/// tensor the model does not have, every shape that differs and every tensor holding NaN or infinity.
public struct ModelStateError: Error, CustomStringConvertible, Equatable {
    /// A tensor whose shape differs from the model's.
    public struct Mismatch: Equatable, Sendable {
        public var name: String
        public var expected: [Int]
        public var found: [Int]
        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }
    /// A tensor with a NaN or infinite element (the first one's flat index).
    public struct NonFinite: Equatable, Sendable {
        public var name: String
        public var index: Int
        public init(name: String, index: Int) {
            self.name = name
            self.index = index
        }
    }
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var mismatched: [Mismatch] = []
    public var nonFinite: [NonFinite] = []

    public init(
        missing: [String] = [], unexpected: [String] = [], mismatched: [Mismatch] = [], nonFinite: [NonFinite] = []
    ) {
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
        self.nonFinite = nonFinite
    }

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty && nonFinite.isEmpty }

    public var description: String {
        func names(_ list: [String]) -> String {
            let shown = list.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            return list.count > 8 ? "\(shown) and \(list.count - 8) more" : shown
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("the model needs \(names(missing)), which the state dict lacks") }
        if !unexpected.isEmpty { parts.append("the model has no \(names(unexpected))") }
        for m in mismatched.prefix(8) {
            parts.append("tensor '\(m.name)' has shape \(m.found); the model expects \(m.expected)")
        }
        if mismatched.count > 8 { parts.append("\(mismatched.count - 8) more tensors have other shapes") }
        for n in nonFinite.prefix(8) {
            parts.append("tensor '\(n.name)' holds NaN or infinity (element \(n.index))")
        }
        if nonFinite.count > 8 { parts.append("\(nonFinite.count - 8) more tensors hold NaN or infinity") }
        return "state dict does not fit the model: " + parts.joined(separator: "; ")
    }
}
