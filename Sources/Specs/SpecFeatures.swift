import Features

/// The feature parameters a resolved spec gives the pipeline: what `ser run` extracts and what reports draw.
/// Pure functions of the spec; no I/O.
extension ExperimentSpec {
    /// The log-mel (or MFCC) parameters of `features:` and `audio.sample_rate`. Crop/pad and
    /// standardisation are left to the batch loader (`batchConfiguration`), so the feature cache keeps the
    /// whole utterance.
    /// - Throws: ``UnsupportedValueError`` for `features.window: hamming` (the extractor has Hann only).
    public func featureParameters() throws -> FeatureParameters {
        guard features.window == .hann else {
            throw UnsupportedValueError(
                key: "features.window", value: features.window.rawValue,
                expected: "hann (the only window the extractor has)")
        }
        var p = FeatureParameters()
        p.sampleRate = audio.sampleRate
        p.nFFT = features.nFFT
        p.hopLength = features.hopLength
        p.winLength = features.winLength
        p.center = features.center
        p.nMels = features.nMels
        p.fmin = features.fmin
        p.fmax = features.fmax
        p.power = features.power
        p.toDB = true
        switch features.db.ref {
        case .max: p.ref = .max
        case .value(let value): p.ref = .value(value)
        }
        p.amin = features.db.amin
        p.topDB = features.db.topDB
        p.nMFCC = features.kind == .mfcc ? features.nMFCC : nil
        p.standardise = .none
        p.duration = nil
        return p
    }

    /// Frames of one example: `audio.duration` seconds at the feature hop.
    public func exampleFrames(_ parameters: FeatureParameters) -> Int {
        max(1, parameters.frameCount(sampleCount: clipSamples))
    }
}
