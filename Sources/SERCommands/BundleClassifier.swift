import Foundation
import Inference
import Live

/// `ser listen`'s view of a model file: a ``ModelBundle`` classifying one window of samples at the
/// model's rate with the same preprocessing as `ser predict`. Thread-safe (one window at a time).
final class BundleClassifier: WindowClassifier, @unchecked Sendable {
    private var bundle: ModelBundle
    private let lock = NSLock()

    init(path: String) throws {
        bundle = try ModelBundle.load(from: URL(fileURLWithPath: path))
    }

    var sampleRate: Int { bundle.features.sampleRate }
    var classNames: [String] { bundle.labels }
    var clipSeconds: Double? { bundle.audio.duration }

    func classify(_ samples: [Float]) throws -> [Float] {
        try lock.withLock { try bundle.classify(samples: samples, sampleRate: bundle.features.sampleRate) }.map(
            Float.init)
    }
}
