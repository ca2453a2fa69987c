import Features
import NeuralNet
import SeededRandom

/// How examples are cut, augmented, standardised and grouped into batches.
public struct BatchConfiguration: Codable, Equatable, Sendable {
    /// Examples per training batch.
    public var batchSize: Int
    /// Examples per evaluation batch (no gradients are kept, so it can be larger).
    public var evaluationBatchSize: Int
    /// Frames of every example (the experiment's `duration` in frames; the dataset's longest item when none).
    public var frames: Int
    public var normalization: Normalization
    /// Applied to training batches only.
    public var augmentation: Augmentation
    /// Crop of training examples (fastai-style random window by default).
    public var trainingCrop: CropMode
    /// Crop of validation/test examples (deterministic).
    public var evaluationCrop: CropMode
    /// Drop the last incomplete training batch (fastai's default for shuffled loaders), so BatchNorm
    /// never sees a batch of one. Ignored when there are fewer items than one batch.
    public var dropLast: Bool

    /// Frames of an example for feature parameters: their `duration` in frames, or the dataset's
    /// longest item when no duration is set.
    public static func frames(for parameters: FeatureParameters, data: FeatureDataset) -> Int {
        parameters.fixedFrameCount ?? data.maxFrames
    }

    public init(
        batchSize: Int = 64, evaluationBatchSize: Int? = nil, frames: Int, normalization: Normalization = .utterance,
        augmentation: Augmentation = .none, trainingCrop: CropMode = .random, evaluationCrop: CropMode = .center,
        dropLast: Bool = true
    ) {
        precondition(batchSize >= 1 && frames >= 1, "batch size and frames must be positive")
        self.batchSize = batchSize
        self.evaluationBatchSize = evaluationBatchSize ?? batchSize * 2
        self.frames = frames
        self.normalization = normalization
        self.augmentation = augmentation
        self.trainingCrop = trainingCrop
        self.evaluationCrop = evaluationCrop
        self.dropLast = dropLast
    }
}

/// One batch: NCHW input `[N, 1, rows, frames]`, hard labels, optional soft (mixup) targets `[N, classes]`.
public struct Batch {
    public var input: Tensor
    public var labels: [Int]
    /// Mixup targets `λ·onehot(yᵢ) + (1−λ)·onehot(y_π(i))`; nil for unmixed batches.
    public var softTargets: Tensor?
    /// Dataset indices of the examples, in batch order.
    public var indices: [Int]
}

/// Makes batches from a ``FeatureDataset``. Stateless: every random choice comes from the generator
/// passed in, so an epoch's batches are a function of that generator's state.
public struct BatchLoader: Sendable {
    public let data: FeatureDataset
    public let configuration: BatchConfiguration

    public init(data: FeatureDataset, configuration: BatchConfiguration) {
        self.data = data
        self.configuration = configuration
    }

    /// Shuffles `indices` and groups them into training batches (dropping an incomplete last batch
    /// when ``BatchConfiguration/dropLast`` is set).
    public func trainingOrder<G: RandomNumberGenerator>(_ indices: [Int], using rng: inout G) -> [[Int]] {
        let order = indices.shuffled(using: &rng)
        let size = configuration.batchSize
        var batches = stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min($0 + size, order.count)]) }
        if configuration.dropLast, batches.count > 1, let last = batches.last, last.count < size {
            batches.removeLast()
        }
        return batches
    }

    /// Training batches per epoch for `itemCount` items.
    public func trainingBatchCount(_ itemCount: Int) -> Int {
        let size = configuration.batchSize
        if itemCount <= size { return itemCount > 0 ? 1 : 0 }
        return configuration.dropLast ? itemCount / size : (itemCount + size - 1) / size
    }

    /// `indices` in order, in evaluation-sized groups (every item once).
    public func evaluationOrder(_ indices: [Int]) -> [[Int]] {
        let size = configuration.evaluationBatchSize
        return stride(from: 0, to: indices.count, by: size).map { Array(indices[$0..<min($0 + size, indices.count)]) }
    }

    /// A training batch: random crop, dB augmentation, normalisation, SpecAugment masks, then mixup.
    /// - Complexity: O(N·rows·frames).
    public func trainingBatch<G: RandomNumberGenerator>(_ indices: [Int], using rng: inout G) throws -> Batch {
        var batch = try makeBatch(indices, crop: configuration.trainingCrop, augment: true, using: &rng)
        if let alpha = configuration.augmentation.mixupAlpha, indices.count > 1 {
            mixup(&batch, alpha: alpha, using: &rng)
        }
        return batch
    }

    /// An evaluation batch: deterministic crop and normalisation, no augmentation.
    public func evaluationBatch(_ indices: [Int]) throws -> Batch {
        var none = NoRandomness()
        return try makeBatch(indices, crop: configuration.evaluationCrop, augment: false, using: &none)
    }

    /// One example as the model sees it, `rows × frames` (evaluation form when `rng` is nil).
    func example<G: RandomNumberGenerator>(
        _ index: Int, crop: CropMode, augment: Bool, into scratch: inout [Float], using rng: inout G
    ) throws {
        let rows = data.rows, frames = configuration.frames
        try data.withMatrix(index) { values, length in
            let start = PadCrop.offset(length: length, target: frames, mode: crop, using: &rng)
            scratch.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows {
                    let dst = out.baseAddress! + r * frames
                    if length == 0 {
                        dst.update(repeating: 0, count: frames)
                        continue
                    }
                    let row = values.baseAddress! + r * length
                    if length >= frames {
                        dst.update(from: row + start, count: frames)
                    } else {
                        var floor = row[0]
                        for t in 1..<length { floor = min(floor, row[t]) }
                        dst.update(repeating: floor, count: frames)
                        (dst + start).update(from: row, count: length)
                    }
                }
            }
        }
        let aug = configuration.augmentation
        if augment && aug.changesDecibels {
            aug.apply(toDecibels: &scratch, mels: rows, frames: frames, using: &rng)
        }
        scratch.withUnsafeMutableBufferPointer { configuration.normalization.apply($0, rows: rows, frames: frames) }
        if augment && aug.specAugment != nil {
            aug.mask(&scratch, mels: rows, frames: frames, using: &rng)
        }
    }

    private func makeBatch<G: RandomNumberGenerator>(
        _ indices: [Int], crop: CropMode, augment: Bool, using rng: inout G
    ) throws -> Batch {
        precondition(!indices.isEmpty, "a batch needs at least one item")
        let rows = data.rows, frames = configuration.frames, size = rows * frames
        var input = Tensor(uninitializedShape: [indices.count, 1, rows, frames])
        var scratch = [Float](repeating: 0, count: size)
        try input.withUnsafeMutableBufferPointer { dst in
            for (n, index) in indices.enumerated() {
                try example(index, crop: crop, augment: augment, into: &scratch, using: &rng)
                scratch.withUnsafeBufferPointer {
                    (dst.baseAddress! + n * size).update(from: $0.baseAddress!, count: size)
                }
            }
        }
        return Batch(
            input: input, labels: indices.map { data.items[$0].classIndex }, softTargets: nil, indices: indices)
    }

    /// fastai's `MixUp`: a random pairing π of the batch, λᵢ ~ Beta(α, α) folded to ≥ 0.5,
    /// `xᵢ ← λᵢ·xᵢ + (1−λᵢ)·x_π(i)`, and soft targets with the same weights.
    func mixup<G: RandomNumberGenerator>(_ batch: inout Batch, alpha: Double, using rng: inout G) {
        let n = batch.labels.count, classes = data.classCount
        let size = batch.input.count / n
        let partner = Array(0..<n).shuffled(using: &rng)
        let lambdas = (0..<n).map { _ in Float(Augmentation.mixupLambda(alpha: alpha, using: &rng)) }
        let original = batch.input.scalars
        batch.input.withUnsafeMutableBufferPointer { x in
            for i in 0..<n {
                let l = lambdas[i], j = partner[i]
                for k in 0..<size { x[i * size + k] = l * original[i * size + k] + (1 - l) * original[j * size + k] }
            }
        }
        var targets = Tensor(shape: [n, classes])
        targets.withUnsafeMutableBufferPointer { t in
            for i in 0..<n {
                t[i * classes + batch.labels[i]] += lambdas[i]
                t[i * classes + batch.labels[partner[i]]] += 1 - lambdas[i]
            }
        }
        batch.softTargets = targets
    }
}
