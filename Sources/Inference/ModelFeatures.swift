import Features
import Foundation
import NeuralNet
import Training

/// What a model sees of audio: the feature parameters, the audio settings (rate, trimming, clip frames,
/// crop) and the normalisation. The one path from a file to the network's input, shared by the model file
/// (`predict`, `eval`, `listen`) and `ser features --model/--spec`.
public struct ModelFeatures: Sendable {
    public var features: FeatureParameters
    public var audio: AudioSettings
    public var normalization: Normalization

    public init(features: FeatureParameters, audio: AudioSettings, normalization: Normalization) {
        self.features = features
        self.audio = audio
        self.normalization = normalization
    }

    /// Features of the file at `path` (decoded at the model's rate as in training, trimmed), before crop and
    /// normalisation: `rows × frames`.
    /// - Throws: the decoder's error naming the file; ``NonFiniteFeatureError`` for non-finite values.
    public func matrix(file path: String, extractor: LogMelExtractor) throws -> FeatureMatrix {
        try extractor.features(of: try audio.decoder(path, features.sampleRate)).checkedFinite(path: path)
    }

    /// `matrices` as the network's input, `[n, 1, rows, frames]`: each centre-cropped or padded to the model's
    /// frames (``FeatureMatrix/fitted(toFrames:mode:)``, the crop of evaluation batches) and normalised, exactly
    /// as evaluation batches are built during training. O(n·rows·frames).
    public func input(_ matrices: [FeatureMatrix]) -> Tensor {
        precondition(!matrices.isEmpty, "an input needs at least one matrix")
        precondition(Set(matrices.map(\.rows)).count == 1, "feature matrices differ in row count")
        let rows = matrices[0].rows, frames = audio.frames, size = rows * frames
        var input = Tensor(uninitializedShape: [matrices.count, 1, rows, frames])
        input.withUnsafeMutableBufferPointer { dst in
            for (n, matrix) in matrices.enumerated() {
                let example = UnsafeMutableBufferPointer(rebasing: dst[(n * size)..<((n + 1) * size)])
                matrix.fitted(toFrames: frames, mode: .center).values.withUnsafeBufferPointer {
                    example.baseAddress!.update(from: $0.baseAddress!, count: size)
                }
                normalization.apply(example, rows: rows, frames: frames)
            }
        }
        return input
    }

    /// One matrix as the network sees it (``input(_:)`` of that matrix alone): `rows × audio.frames`.
    public func example(_ matrix: FeatureMatrix) -> FeatureMatrix {
        let tensor = input([matrix])
        return FeatureMatrix(
            rows: matrix.rows, frames: audio.frames, values: tensor.withUnsafeBufferPointer { Array($0) })
    }
}

extension ModelBundle {
    /// What this model sees of audio.
    public var modelFeatures: ModelFeatures {
        ModelFeatures(features: features, audio: audio, normalization: normalization)
    }
}
