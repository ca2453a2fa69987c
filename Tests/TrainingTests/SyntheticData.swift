import BLAS
import Datasets
import Features
import Foundation
import NeuralNet
import SeededRandom

@testable import Training

/// Small synthetic "spectrograms" for learner tests: class c has extra energy in a band of rows
/// (rows 4c..<4c+4 of 16) on top of Gaussian noise, with lengths varying around 32 frames so crops
/// and pads are exercised. Speakers "s0"…"s5" are dealt round-robin.
enum SyntheticData {
    static let classNames = ["low", "mid", "high"]
    static let rows = 16

    /// - Parameter labelNoise: fraction of items whose label is replaced by a random class (so the
    ///   loss cannot reach 0 and too large a learning rate shows).
    static func dataset(count: Int = 120, seed: UInt64 = 7, separation: Float = 1.5, labelNoise: Double = 0)
        -> FeatureDataset
    {
        var rng = Xoshiro256(seed: seed)
        var items: [DatasetItem] = []
        var matrices: [FeatureMatrix] = []
        for i in 0..<count {
            let label = i % classNames.count
            let frames = 28 + Int(rng.next(upperBound: 9 as UInt64))  // 28...36
            var m = FeatureMatrix(rows: rows, frames: frames)
            for r in 0..<rows {
                let boost: Float = r / 4 == label ? separation : 0
                for t in 0..<frames { m[r, t] = Float(rng.nextNormal()) + boost - 40 }
            }
            matrices.append(m)
            let given = rng.nextUnitDouble() < labelNoise ? Int(rng.next(upperBound: UInt64(classNames.count))) : label
            let speaker = "s\(i % 6)"
            let file = DatasetFile(
                path: "/synthetic/\(speaker)/item\(i).wav", relativePath: "\(speaker)/item\(i).wav", speaker: speaker)
            items.append(DatasetItem(file: file, classIndex: given, label: classNames[given]))
        }
        return FeatureDataset(items: items, classNames: classNames, features: matrices)
    }

    static func model(seed: UInt64 = 1, dropout: Float = 0) -> ResNet {
        var rng = Xoshiro256(seed: seed)
        return ResNet(
            classCount: classNames.count, depth: .resNet10, width: 8, stem: .smallInput, dropout: dropout, using: &rng)
    }

    static func split(_ data: FeatureDataset) -> SplitIndices {
        try! makeSplit(speakers: data.speakers, kind: .speakers(["s5"]), testSpeakers: ["s4"])
    }

    static func configuration(
        batchSize: Int = 16, augmentation: Augmentation = .none, seed: UInt64 = 42,
        bestMetric: BestEpochMetric = .validLoss,
        checkpoints: URL? = nil
    ) -> LearnerConfiguration {
        LearnerConfiguration(
            batches: BatchConfiguration(batchSize: batchSize, frames: 32, augmentation: augmentation), seed: seed,
            bestMetric: bestMetric, checkpointDirectory: checkpoints)
    }

    static func learner(
        data: FeatureDataset? = nil, split: SplitIndices? = nil, modelSeed: UInt64 = 1, dropout: Float = 0,
        configuration: LearnerConfiguration? = nil
    ) -> Learner<ResNet, Adam> {
        let d = data ?? dataset()
        return Learner(
            model: model(seed: modelSeed, dropout: dropout), optimizer: Adam(), data: d, split: split ?? self.split(d),
            configuration: configuration ?? self.configuration())
    }

    /// Every weight and running statistic, flattened in state-dict order.
    static func weights<M: Layer>(_ model: M) -> [(String, [Float])] {
        model.stateDict.map { ($0.name, $0.tensor.scalars) }
    }
}

/// Softmax regression on the flattened example: a model whose good learning rates are easy to
/// measure and which diverges clearly when the rate is too large.
struct LinearClassifier: Layer {
    var fc: Linear
    private var inputShape: [Int] = []

    init(inputs: Int, classes: Int, seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        fc = Linear(inputSize: inputs, outputSize: classes, using: &rng)
    }

    mutating func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        return fc.forward(input.reshaped([input.shape[0], input.count / input.shape[0]]), training: training)
    }

    mutating func backward(_ gradOutput: consuming Tensor) -> Tensor {
        fc.backward(gradOutput).reshaped(inputShape)
    }

    mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        fc.visitParameters(prefix: prefix.isEmpty ? "fc" : prefix + ".fc", body)
    }
}

extension SyntheticData {
    static func linearLearner(data: FeatureDataset, configuration: LearnerConfiguration, momentum: Float = 0)
        -> Learner<LinearClassifier, SGD>
    {
        Learner(
            model: LinearClassifier(inputs: rows * configuration.batches.frames, classes: classNames.count, seed: 1),
            optimizer: SGD(learningRate: 0.01, momentum: momentum), data: data, split: split(data),
            configuration: configuration)
    }
}

/// Runs `body` with one BLAS thread (sgemm's reduction order can depend on its thread split), for tests
/// that compare runs bit for bit.
func withSingleBLASThread<T>(_ body: () throws -> T) rethrows -> T {
    try Engine.with(Engine.settings.with(\.blasThreads, 1), body)
}
