/// Mel scale conversions like `librosa.hz_to_mel` / `librosa.mel_to_hz`.
public enum MelScale {
    /// Hz → mel: Slaney's (linear below 1 kHz, logarithmic above) or HTK's `2595·log10(1 + f/700)`.
    public static func mel(hz f: Double, htk: Bool = false) -> Double {
        if htk { return 2595 * _log10(1 + f / 700) }
        let fSp = 200.0 / 3
        let minLogHz = 1000.0
        let minLogMel = minLogHz / fSp
        let logStep = _log(6.4) / 27
        return f >= minLogHz ? minLogMel + _log(f / minLogHz) / logStep : f / fSp
    }

    /// Mel → Hz, the inverse of ``mel(hz:htk:)``.
    public static func hz(mel m: Double, htk: Bool = false) -> Double {
        if htk { return 700 * (_pow(10, m / 2595) - 1) }
        let fSp = 200.0 / 3
        let minLogHz = 1000.0
        let minLogMel = minLogHz / fSp
        let logStep = _log(6.4) / 27
        return m >= minLogMel ? minLogHz * _exp(logStep * (m - minLogMel)) : fSp * m
    }

    /// `n` frequencies (Hz) equally spaced on the mel scale from `fmin` to `fmax` (`librosa.mel_frequencies`).
    public static func frequencies(count n: Int, fmin: Double, fmax: Double, htk: Bool = false) -> [Double] {
        let lo = mel(hz: fmin, htk: htk)
        let hi = mel(hz: fmax, htk: htk)
        if n == 1 { return [hz(mel: lo, htk: htk)] }
        return (0..<n).map { hz(mel: lo + (hi - lo) * Double($0) / Double(n - 1), htk: htk) }
    }
}

/// Triangular mel filters like `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm)`:
/// an `nMels × (nFFT/2 + 1)` matrix, computed in double precision and stored as `Float`.
///
/// Each filter is nonzero on a short band of bins, so ``apply(_:frames:)`` multiplies only over
/// that band: O(frames · Σ band widths) ≈ O(2 · frames · bins), against O(frames · bins · nMels) for
/// a dense product (about 64× fewer operations for 128 mels).
public struct MelFilterbank: Sendable {
    public let nMels: Int
    public let binCount: Int
    /// Row-major `nMels × binCount` weights.
    public let weights: [Float]
    /// For each filter, the bins `lower..<upper` outside which its weight is 0.
    public let bands: [Range<Int>]
    /// The `nMels + 2` band edges in Hz (centre of filter m is `edges[m + 1]`).
    public let edges: [Double]

    public init(
        sampleRate: Int, nFFT: Int, nMels: Int, fmin: Double = 0, fmax: Double? = nil, htk: Bool = false,
        norm: MelNorm = .slaney
    ) {
        let bins = nFFT / 2 + 1
        let fftFreqs = (0..<bins).map { Double($0) * Double(sampleRate) / Double(nFFT) }
        let melF = MelScale.frequencies(
            count: nMels + 2, fmin: fmin, fmax: fmax ?? Double(sampleRate) / 2, htk: htk)
        var w = [Float](repeating: 0, count: nMels * bins)
        var bands = [Range<Int>]()
        for m in 0..<nMels {
            let lowerDiff = melF[m + 1] - melF[m]
            let upperDiff = melF[m + 2] - melF[m + 1]
            let enorm = norm == .slaney ? 2 / (melF[m + 2] - melF[m]) : 1
            var first = bins
            var last = -1
            for k in 0..<bins {
                let lower = -(melF[m] - fftFreqs[k]) / lowerDiff
                let upper = (melF[m + 2] - fftFreqs[k]) / upperDiff
                let value = Swift.max(0, Swift.min(lower, upper))
                if value > 0 {
                    w[m * bins + k] = Float(value * enorm)
                    first = Swift.min(first, k)
                    last = k
                }
            }
            bands.append(last >= first ? first..<(last + 1) : 0..<0)
        }
        self.nMels = nMels
        self.binCount = bins
        self.weights = w
        self.bands = bands
        self.edges = melF
    }

    /// Projects a frame-major spectrogram (`frames × binCount`) onto the filters.
    /// - Returns: `nMels × frames`, row-major (`values[m * frames + t]`).
    public func apply(_ spectrogram: [Float], frames: Int) -> FeatureMatrix {
        precondition(spectrogram.count == frames * binCount, "spectrogram must be frames × \(binCount)")
        var out = FeatureMatrix(rows: nMels, frames: frames)
        spectrogram.withUnsafeBufferPointer { s in
            out.values.withUnsafeMutableBufferPointer { o in
                for t in 0..<frames {
                    project(
                        UnsafeBufferPointer(rebasing: s[(t * binCount)..<((t + 1) * binCount)]), into: o, frame: t,
                        frames: frames)
                }
            }
        }
        return out
    }

    /// Projects one spectrum (`binCount` values) and stores mel m at `output[m * frames + frame]`.
    /// - Complexity: O(Σ band widths) ≈ O(2 · binCount).
    @inline(__always)
    public func project(
        _ spectrum: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, frame: Int, frames: Int
    ) {
        weights.withUnsafeBufferPointer { w in
            let s = spectrum.baseAddress!
            for m in 0..<nMels {
                let band = bands[m]
                let wRow = w.baseAddress! + m * binCount
                var acc: Float = 0
                for k in band { acc += wRow[k] * s[k] }
                output[m * frames + frame] = acc
            }
        }
    }

    /// Frames projected together by ``projectBlock(_:count:into:firstFrame:frames:)``.
    public static let blockWidth = 8

    /// Projects up to ``blockWidth`` spectra at once, stored interleaved: `block[k * blockWidth + j]`
    /// is bin k of frame `firstFrame + j`. Mel m of those frames goes to
    /// `output[m * frames + firstFrame + j]` for `j < count`. Each filter weight multiplies all the
    /// frames' bins in one SIMD operation, with the same additions in the same order as
    /// ``project(_:into:frame:frames:)`` (identical results).
    /// - Complexity: O(Σ band widths) vector operations for `blockWidth` frames.
    @inline(__always)
    public func projectBlock(
        _ block: UnsafePointer<Float>, count: Int, into output: UnsafeMutableBufferPointer<Float>, firstFrame: Int,
        frames: Int
    ) {
        typealias Lanes = SIMD8<Float>
        let raw = UnsafeRawPointer(block)
        weights.withUnsafeBufferPointer { w in
            bands.withUnsafeBufferPointer { bands in
                for m in 0..<nMels {
                    let wRow = w.baseAddress! + m * binCount
                    var acc = Lanes(repeating: 0)
                    for k in bands[m] {
                        acc += Lanes(repeating: wRow[k]) * raw.loadUnaligned(fromByteOffset: k * 32, as: Lanes.self)
                    }
                    let out = output.baseAddress! + m * frames + firstFrame
                    if count == Self.blockWidth {
                        UnsafeMutableRawPointer(out).storeBytes(of: acc, as: Lanes.self)
                    } else {
                        for j in 0..<count { out[j] = acc[j] }
                    }
                }
            }
        }
    }
}
