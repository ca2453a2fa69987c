import Features
import Foundation
import Inference

/// Writes a model file with freshly initialised weights to `path`: by default 2 classes (low, high), 16 kHz, 16
/// mel bands, 1 s clips. Small and quick, for tests of the commands that read model files.
func writeTinyModelFile(
    to path: String, labels: [String] = ["low", "high"], labelScheme: String = "given"
) throws -> String {
    let architecture = ModelArchitecture(
        depth: 10, width: 8, stem: .smallInput, classCount: labels.count, dropout: 0)
    var features = FeatureParameters()
    features.sampleRate = 16000
    features.nFFT = 256
    features.hopLength = 160
    features.nMels = 16
    try ModelBundle(
        architecture: architecture, features: features,
        audio: AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil), normalization: .utterance,
        labels: labels, labelScheme: labelScheme, source: ModelSource(), toolVersion: "test",
        model: try architecture.makeResNet(seed: 1)
    ).save(to: URL(fileURLWithPath: path))
    return path
}

/// A spec that trains in seconds: the built-in corpus with 2 actors and 4 emotions, 1 s clips, 16 mel bands,
/// ResNet-10 of width 8, the finder's `minimum` as the rate; actor 2 validates.
func tinyRunSpec(epochs: Int) -> String {
    """
    name: tiny
    seed: 5
    data:
      synthetic: {actors: 2, seed: 1}
      labels: emotion
      emotions: [neutral, happy, sad, angry]
    audio: {sample_rate: 16000, duration: 1.0}
    features: {n_fft: 256, hop_length: 160, n_mels: 16}
    model: {depth: 10, width: 8, stem: small, dropout: 0.1}
    lr_finder: {num_it: 12, suggest: [minimum, steep]}
    train: {epochs: \(epochs), batch_size: 16, schedule: one_cycle, lr: minimum}
    split: {kind: speakers, valid: [2]}
    """
}
