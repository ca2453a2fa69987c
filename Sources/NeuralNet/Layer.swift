/// A trainable tensor with its gradient.
public struct Parameter: Sendable {
    /// The current value.
    public var value: Tensor
    /// d(loss)/d(value) from the last `backward` (overwritten, not accumulated, by each backward pass).
    public var gradient: Tensor
    /// Whether the optimizer applies weight decay (false for BatchNorm parameters and biases, as in fastai).
    public var decays: Bool

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

    /// Replaces weights and running statistics from `tensors` (every name and shape must match).
    public mutating func loadStateDict(_ tensors: [String: Tensor]) throws {
        var error: ModelStateError?
        var seen = Set<String>()
        func take(_ name: String, _ target: inout Tensor) {
            guard error == nil else { return }
            guard let t = tensors[name] else { error = .missing(name: name); return }
            guard t.count == target.count && (t.shape == target.shape || t.count == 1) else {
                error = .shapeMismatch(name: name, expected: target.shape, found: t.shape)
                return
            }
            target = t.reshaped(target.shape)
            seen.insert(name)
        }
        visitParameters(prefix: "") { name, p in take(name, &p.value) }
        visitBuffers(prefix: "") { name, t in take(name, &t) }
        if let error { throw error }
        if let extra = tensors.keys.filter({ !seen.contains($0) }).sorted().first {
            throw ModelStateError.unexpected(name: extra)
        }
    }
}

/// `name` prefixed by `prefix` with a dot when the prefix is not empty.
@inline(__always) func join(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}

/// A state dict that does not fit the model.
public enum ModelStateError: Error, CustomStringConvertible, Equatable {
    case missing(name: String)
    case unexpected(name: String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let name): return "state dict has no tensor '\(name)', which the model needs"
        case .unexpected(let name): return "state dict has tensor '\(name)', which the model does not have"
        case .shapeMismatch(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found); the model expects \(expected)"
        }
    }
}
