import Foundation
import NeuralNet

/// A model's predictions on a set of items, with the metrics computed from them.
public struct Evaluation: Codable, Sendable {
    public var metrics: ClassificationMetrics
    /// Dataset indices of the evaluated items, in evaluation order.
    public var indices: [Int]
    /// True class per item.
    public var targets: [Int]
    /// Softmax probabilities per item (one row of `classCount`).
    public var probabilities: [[Double]]

    /// Predicted class per item (arg-max, first on ties).
    public var predictions: [Int] { probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }

    /// fastai's `top_losses` with the items' files: the `k` items with the largest cross-entropy.
    public func topLosses(_ k: Int, data: FeatureDataset) -> [TopLoss] {
        Training.topLosses(probabilities: probabilities, targets: targets, k: k).map { l in
            let item = data.items[indices[l.index]]
            return TopLoss(
                index: indices[l.index], path: item.path, relativePath: item.file.relativePath,
                actual: data.classNames[l.target], predicted: data.classNames[l.predicted],
                probability: l.probability, loss: l.loss)
        }
    }
}

/// One of the worst-predicted items.
public struct TopLoss: Codable, Equatable, Sendable {
    /// Dataset index.
    public var index: Int
    public var path: String
    public var relativePath: String
    public var actual: String
    public var predicted: String
    /// Probability the model gave its predicted class.
    public var probability: Double
    /// −log p(actual).
    public var loss: Double
}

/// Runs `model` in evaluation mode over `indices` (deterministic crop, no augmentation) and computes
/// loss (the training objective on hard labels, batch-size-weighted mean), accuracy, UAR, macro-F1,
/// the confusion matrix and per-item probabilities.
/// - Complexity: one forward pass per evaluation batch.
public func evaluate<Model: Layer>(
    _ model: inout Model, loader: BatchLoader, indices: [Int], loss: TrainingLoss = TrainingLoss()
) throws -> Evaluation {
    let classes = loader.data.classCount
    var probabilities: [[Double]] = []
    probabilities.reserveCapacity(indices.count)
    var targets: [Int] = []
    var total = 0.0
    for group in loader.evaluationOrder(indices) {
        let batch = try loader.evaluationBatch(group)
        let logits = model.forward(batch.input, training: false)
        precondition(
            logits.shape == [group.count, classes],
            "model output \(logits.shape), expected [\(group.count), \(classes)]")
        total += Double(loss(logits, batch).loss) * Double(group.count)
        probabilities += softmaxRows(logits)
        targets += batch.labels
    }
    let predictions = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
    let confusion = ConfusionMatrix(classNames: loader.data.classNames, targets: targets, predictions: predictions)
    let meanLoss = indices.isEmpty ? .nan : total / Double(indices.count)
    return Evaluation(
        metrics: ClassificationMetrics(loss: meanLoss, confusion: confusion), indices: indices, targets: targets,
        probabilities: probabilities)
}

/// Row-wise softmax of logits `[N, C]` in double precision.
public func softmaxRows(_ logits: Tensor) -> [[Double]] {
    let n = logits.shape[0], c = logits.shape[1]
    return logits.withUnsafeBufferPointer { p in
        (0..<n).map { i in
            let row = (0..<c).map { Double(p[i * c + $0]) }
            let mx = row.max() ?? 0
            let e = row.map { exp($0 - mx) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }
}
