import Audio

/// Resamples a window exactly as ``AudioLoader/load(_:sampleRate:offset:duration:)`` resamples a whole
/// file: libsoxr's high-quality recipe, then padded with zeros or cut to `ceil(n · to / from)` samples
/// (librosa's `fix=True`). So a live window gives the classifier the same samples as `ser predict` on a
/// file holding that window at the source rate. Complexity O(n) per window.
public struct LoaderMatchingResampler: WindowResampler {
    public init() {}

    public func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws -> [Float] {
        try AudioLoader.resample(samples, from: inputRate, to: outputRate)
    }
}
