/// What the live driver needs from a model: its input rate, its class names and a probability vector
/// for one window of mono samples.
///
/// The exported model plugs in here (an adapter around the model loader); tests use fakes.
public protocol WindowClassifier {
    /// The sample rate the model was trained at, in Hz; windows are resampled to it.
    var sampleRate: Int { get }
    /// Class names, in the order of ``classify(_:)``'s probabilities.
    var classNames: [String] { get }
    /// Class probabilities (`classNames.count` values summing to 1) for one window of mono samples at
    /// ``sampleRate``. Must give the same result as `ser predict` on the same samples written to a file.
    func classify(_ samples: [Float]) throws -> [Float]
    /// Seconds of audio per example the model was trained on (its clip), when known: `ser listen`'s
    /// default window.
    var clipSeconds: Double? { get }
}

extension WindowClassifier {
    public var clipSeconds: Double? { nil }
}

/// Converts one window from the source's rate to the model's.
///
/// To match `ser predict` on the window written to a file, the output must be what the file loader
/// produces for a whole file of these samples (libsoxr HQ, length `ceil(n · to / from)`), so windows are
/// resampled independently of each other.
public protocol WindowResampler {
    func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws -> [Float]
}
