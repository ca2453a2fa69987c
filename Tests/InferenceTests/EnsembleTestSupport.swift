import Features
import Foundation
import Inference
import NeuralNet
import Training

/// Deterministic values in about ±`scale` (a hash of the index and seed), for weights and inputs.
func pseudoRandom(_ count: Int, seed: Int, scale: Float = 1) -> [Float] {
    (0..<count).map { i in
        let x = sin(Double(i) * 12.9898 + Double(seed) * 78.233) * 43758.5453
        return Float((x - x.rounded(.down)) * 2 - 1) * scale
    }
}

/// A model of `depth` and `stem` whose every tensor (BatchNorm statistics and affine parameters included) is
/// drawn from `seed`, so a wrong or missing layer changes its outputs: 3 classes, 16 mel bands, 40 frames.
func randomBundle(
    depth: Int, stem: ResNet.Stem, width: Int = 2, seed: Int, normalization: Normalization = .utterance
) throws -> ModelBundle {
    let architecture = ModelArchitecture(depth: depth, width: width, stem: stem, classCount: 3, dropout: 0.2)
    var model = try architecture.makeResNet(seed: UInt64(seed))
    var state = Dictionary(model.stateDict.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    // Convolutions and the classifier keep their (variance-preserving) initialisation; every BatchNorm tensor
    // is drawn around its identity, so the outputs stay far from one-hot and a wrong layer shows.
    for (k, (name, tensor)) in model.stateDict.enumerated() where !name.hasSuffix("num_batches_tracked") {
        let r = pseudoRandom(tensor.count, seed: seed * 1000 + k)
        let values: [Float]
        if name.hasSuffix("running_var") {
            values = r.map { 1 + 0.3 * $0 }
        } else if name.hasSuffix("running_mean") {
            values = r.map { 0.1 * $0 }
        } else if tensor.shape.count == 1 && !name.hasPrefix("fc.") {
            values = name.hasSuffix(".weight") ? r.map { 0.6 + 0.2 * $0 } : r.map { 0.1 * $0 }
        } else {
            continue
        }
        state[name] = Tensor(shape: tensor.shape, scalars: values)
    }
    try model.loadStateDict(state)
    var features = FeatureParameters()
    features.sampleRate = 16000
    features.nFFT = 256
    features.hopLength = 160
    features.nMels = 16
    return ModelBundle(
        architecture: architecture, features: features,
        audio: AudioSettings(sampleRate: 16000, duration: 0.4, frames: 40, trimDB: nil),
        normalization: normalization, labels: ["low", "mid", "high"], labelScheme: "given",
        source: ModelSource(runID: Int64(seed)), toolVersion: "test", model: model)
}

/// Feature matrices of 16 rows: shorter, equal to and longer than the models' 40 frames (padded, kept, cropped).
func sampleMatrices() -> [FeatureMatrix] {
    [(31, 1), (40, 2), (57, 3), (40, 4)].map { frames, seed in
        FeatureMatrix(
            rows: 16, frames: frames, values: pseudoRandom(16 * frames, seed: seed, scale: 40).map { $0 - 30 })
    }
}
