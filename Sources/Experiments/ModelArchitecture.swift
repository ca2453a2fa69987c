import Foundation
import NeuralNet
import SeededRandom

/// The network a model file holds: enough to rebuild it before loading its weights.
public struct ModelArchitecture: Codable, Equatable, Sendable {
    /// `resnet`.
    public var arch: String
    /// 10, 18, 34 or 50.
    public var depth: Int
    /// Channels of the first stage.
    public var width: Int
    /// `imagenet` (7×7/2 conv and max-pool) or `small` (3×3/1).
    public var stem: String
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
        arch: String = "resnet", depth: Int, width: Int, stem: String, inputChannels: Int = 1, classCount: Int,
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

    /// A freshly initialised network (Kaiming-normal, drawn from `seed`).
    /// - Throws: `RunnerError.unsupported` for an unknown depth or stem.
    public func makeResNet(seed: UInt64) throws -> ResNet {
        guard let depth = ResNet.Depth(rawValue: depth) else {
            throw RunnerError.unsupported(key: "model.depth", value: "\(self.depth)", expected: "10, 18, 34 or 50")
        }
        let stem: ResNet.Stem
        switch self.stem {
        case "imagenet": stem = .imageNet
        case "small": stem = .smallInput
        default: throw RunnerError.unsupported(key: "model.stem", value: self.stem, expected: "imagenet or small")
        }
        var rng = Xoshiro256(seed: seed)
        return ResNet(
            classCount: classCount, depth: depth, inputChannels: inputChannels, width: width, stem: stem,
            dropout: Float(dropout), using: &rng)
    }
}
