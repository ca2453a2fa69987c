import Features
import Foundation
import NeuralNet
import SeededRandom

/// The network a model file holds: enough to rebuild it before loading its weights.
public struct ModelArchitecture: Codable, Equatable, Sendable {
    public var arch: NetworkArchitecture
    /// 10, 18, 34 or 50.
    public var depth: Int
    /// Channels of the first stage.
    public var width: Int
    /// `imagenet` (7×7/2 conv and max-pool) or `small` (3×3/1).
    public var stem: ResNet.Stem
    /// Input planes (1: one log-mel image).
    public var inputChannels: Int
    public var classCount: Int
    /// Dropout before the classifier (only active in training).
    public var dropout: Double

    enum CodingKeys: String, CodingKey {
        case arch, depth, width, stem, dropout
        case inputChannels = "input_channels"
        case classCount = "class_count"
    }

    public init(
        arch: NetworkArchitecture = .resnet, depth: Int, width: Int, stem: ResNet.Stem, inputChannels: Int = 1,
        classCount: Int,
        dropout: Double
    ) {
        self.arch = arch
        self.depth = depth
        self.width = width
        self.stem = stem
        self.inputChannels = inputChannels
        self.classCount = classCount
        self.dropout = dropout
    }

    /// Reads a model file's `architecture`; an unknown `arch` or `stem` is refused as ``validate()`` refuses a value
    /// out of range.
    /// - Throws: ``MetadataValueError`` naming the field.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func word<Vocabulary: RawRepresentable & CaseIterable>(_ key: CodingKeys, _: Vocabulary.Type) throws
            -> Vocabulary where Vocabulary.RawValue == String
        {
            let text = try c.decode(String.self, forKey: key)
            guard let value = Vocabulary(rawValue: text) else {
                throw MetadataValueError(
                    key: "architecture.\(key.rawValue)", value: "\"\(text)\"",
                    expected: Vocabulary.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))
            }
            return value
        }
        arch = try word(.arch, NetworkArchitecture.self)
        depth = try c.decode(Int.self, forKey: .depth)
        width = try c.decode(Int.self, forKey: .width)
        stem = try word(.stem, ResNet.Stem.self)
        inputChannels = try c.decode(Int.self, forKey: .inputChannels)
        classCount = try c.decode(Int.self, forKey: .classCount)
        dropout = try c.decode(Double.self, forKey: .dropout)
    }

    /// The ranges a model file's `architecture` must respect (docs/runner.md): those of the spec keys that
    /// make it, so every file `ser` writes passes and a crafted one cannot make an unbuildable network.
    /// - Throws: ``MetadataValueError`` naming the first field out of range.
    public func validate() throws {
        func fail(_ field: String, _ value: Any, _ expected: String) throws -> Never {
            throw MetadataValueError(key: "architecture.\(field)", value: "\(value)", expected: expected)
        }
        if ResNet.Depth(rawValue: depth) == nil { try fail("depth", depth, "10, 18, 34 or 50") }
        if !Self.widths.contains(width) {
            try fail("width", width, "\(Self.widths.lowerBound)…\(Self.widths.upperBound)")
        }
        if inputChannels != 1 { try fail("input_channels", inputChannels, "1 (one log-mel image)") }
        if !Self.classCounts.contains(classCount) {
            try fail("class_count", classCount, "\(Self.classCounts.lowerBound)…\(Self.classCounts.upperBound)")
        }
        if !(dropout >= 0 && dropout < 1) { try fail("dropout", dropout, "0 ≤ dropout < 1") }
    }

    /// Channels of the first stage (the spec's `model.width`). A file may hold a narrower network than a spec
    /// trains (8 at least there), down to 1: small networks cost nothing to load, and the upper bound is what
    /// keeps a crafted file from asking for gigabytes.
    public static let widths = 1...256
    /// Output classes.
    public static let classCounts = 2...1000

    /// The names and shapes of the network's state dict, without building it.
    /// - Throws: ``UnsupportedValueError`` for an unknown depth.
    public func stateShapes() throws -> [(name: String, shape: [Int])] {
        let (depth, stem) = try resolved()
        return ResNet.stateShapes(
            classCount: classCount, depth: depth, inputChannels: inputChannels, width: width, stem: stem)
    }

    private func resolved() throws -> (ResNet.Depth, ResNet.Stem) {
        guard let depth = ResNet.Depth(rawValue: depth) else {
            throw UnsupportedValueError(key: "model.depth", value: "\(self.depth)", expected: "10, 18, 34 or 50")
        }
        return (depth, stem)
    }

    /// A freshly initialised network (Kaiming-normal, drawn from `seed`).
    /// - Throws: ``UnsupportedValueError`` for an unknown depth.
    public func makeResNet(seed: UInt64) throws -> ResNet {
        let (depth, stem) = try resolved()
        var rng = Xoshiro256(seed: seed)
        return ResNet(
            classCount: classCount, depth: depth, inputChannels: inputChannels, width: width, stem: stem,
            dropout: Float(dropout), using: &rng)
    }
}

/// A value in a model file's metadata outside its documented range (docs/runner.md).
public struct MetadataValueError: Error, CustomStringConvertible, Equatable {
    /// `architecture.width`, `audio.frames`, `features.nFFT`, …
    public var key: String
    public var value: String
    public var expected: String
    public init(key: String, value: String, expected: String) {
        self.key = key
        self.value = value
        self.expected = expected
    }
    public var description: String { "metadata \"\(key)\" is \(value); expected \(expected)" }
}
