import Audio
import Soxr

/// Resamples a window exactly as ``AudioLoader/load(_:sampleRate:offset:duration:)`` resamples a whole
/// file: libsoxr's high-quality recipe, then padded with zeros or cut to `ceil(n · to / from)` samples
/// (librosa's `fix=True`). So a live window gives the classifier the same samples as `ser predict` on a
/// file holding that window at the source rate. Complexity O(n) per window.
public struct LoaderMatchingResampler: WindowResampler {
    public init() {}

    public func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws -> [Float] {
        guard inputRate != outputRate else { return samples }
        var out = try Soxr.resample(samples, from: inputRate, to: outputRate, quality: .high)
        let length = AudioLoader.librosaResampledLength(samples.count, from: inputRate, to: outputRate)
        if out.count > length {
            out.removeLast(out.count - length)
        } else if out.count < length {
            out.append(contentsOf: repeatElement(0, count: length - out.count))
        }
        return out
    }
}
