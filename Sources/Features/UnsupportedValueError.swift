/// A value the pipeline cannot carry out (yet): a spec key such as `features.window: hamming`, or a model
/// file's `model.depth`/`model.stem`. Names the key, the value and what is expected. It sits in Features, the
/// lowest module both the spec language (Specs) and the model file (Inference) build on.
public struct UnsupportedValueError: Error, CustomStringConvertible, Equatable, Sendable {
    public var key: String
    public var value: String
    public var expected: String

    public init(key: String, value: String, expected: String) {
        self.key = key
        self.value = value
        self.expected = expected
    }

    public var description: String { "\(key): '\(value)' is not supported; expected \(expected)" }
}
