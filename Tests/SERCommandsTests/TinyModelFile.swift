import Features
import Foundation
import Inference

/// Writes a model file with freshly initialised weights to `path`: 2 classes (low, high), 16 kHz, 16 mel
/// bands, 1 s clips. Small and quick, for tests of the commands that read model files.
func writeTinyModelFile(to path: String) throws -> String {
    let architecture = ModelArchitecture(depth: 10, width: 8, stem: .smallInput, classCount: 2, dropout: 0)
    var features = FeatureParameters()
    features.sampleRate = 16000
    features.nFFT = 256
    features.hopLength = 160
    features.nMels = 16
    try ModelBundle(
        architecture: architecture, features: features,
        audio: AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil), normalization: .utterance,
        labels: ["low", "high"], labelScheme: "given", source: ModelSource(), toolVersion: "test",
        model: try architecture.makeResNet(seed: 1)
    ).save(to: URL(fileURLWithPath: path))
    return path
}
