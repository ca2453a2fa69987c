import FFTW

/// The whole feature pipeline for one set of ``FeatureParameters``, on mono samples already at
/// `parameters.sampleRate`:
///
/// 1. ``features(of:)`` — the cacheable part: STFT → `|·|^power` → mel filterbank → `power_to_db`
///    → MFCC (optional) → deltas (optional). Returns `featureCount × frames`.
/// 2. ``finish(_:using:)`` — per use: pad/crop to `duration` (random crop draws from the generator)
///    and per-utterance standardisation.
///
/// A value is immutable and `Sendable`: share one across threads. Each call makes its own FFT
/// buffers (the FFTW plan is shared, made once per `nFFT`).
public struct LogMelExtractor: Sendable {
    public let parameters: FeatureParameters
    public let stft: STFT
    public let filterbank: MelFilterbank
    public let dct: DCT?

    /// - Throws: ``FeatureParameterError`` for an invalid parameter.
    public init(_ parameters: FeatureParameters) throws {
        try parameters.validate()
        self.parameters = parameters
        stft = STFT(
            nFFT: parameters.nFFT, hopLength: parameters.hopLength, winLength: parameters.winLength,
            center: parameters.center)
        filterbank = MelFilterbank(
            sampleRate: parameters.sampleRate, nFFT: parameters.nFFT, nMels: parameters.nMels,
            fmin: parameters.fmin, fmax: parameters.fmax, htk: parameters.htk, norm: parameters.norm)
        dct = parameters.nMFCC.map { DCT(count: $0, inputCount: parameters.nMels) }
    }

    /// The mel spectrogram before dB: `nMels × frames` of power (or magnitude when `power` is 1),
    /// like `librosa.feature.melspectrogram`.
    public func melSpectrogram(of samples: [Float], fft: RealFFT? = nil) -> FeatureMatrix {
        let frames = stft.frameCount(sampleCount: samples.count)
        var out = FeatureMatrix(rows: parameters.nMels, frames: frames)
        let width = MelFilterbank.blockWidth
        let bins = stft.binCount
        let block = UnsafeMutablePointer<Float>.allocate(capacity: bins * width)
        defer { block.deallocate() }
        let filterbank = self.filterbank
        out.values.withUnsafeMutableBufferPointer { o in
            stft.forEachFrame(samples, power: Float(parameters.power), fft: fft) { t, spectrum in
                // Interleave frames in blocks of `width`, then project the whole block at once.
                let j = t % width
                var slot = block + j
                for k in 0..<bins {
                    slot.pointee = spectrum[k]
                    slot += width
                }
                if j == width - 1 || t == frames - 1 {
                    filterbank.projectBlock(block, count: j + 1, into: o, firstFrame: t - j, frames: frames)
                }
            }
        }
        return out
    }

    /// The cacheable features of `samples` (mono, at `parameters.sampleRate`): the dB mel (or mel
    /// power when `toDB` is false) or MFCCs, with deltas stacked below. `featureCount × frames`.
    /// - Complexity: O(frames · nFFT · log nFFT) for the STFT; everything else is linear in the output.
    public func features(of samples: [Float], fft: RealFFT? = nil) -> FeatureMatrix {
        let p = parameters
        var m = melSpectrogram(of: samples, fft: fft)
        if p.toDB {
            convertPowerToDB(&m.values, reference: p.ref, amin: Float(p.amin), topDB: p.topDB.map(Float.init))
        }
        if let dct { m = dct.apply(m) }
        if p.deltas >= 1 {
            var stacked = m.stacked(with: delta(m, width: p.deltaWidth, order: 1))
            if p.deltas == 2 { stacked = stacked.stacked(with: delta(m, width: p.deltaWidth, order: 2)) }
            m = stacked
        }
        return m
    }

    /// Pad/crop to `duration` (when set) and standardise (when set).
    public func finish<G: RandomNumberGenerator>(_ base: FeatureMatrix, using generator: inout G) -> FeatureMatrix {
        var m = base
        if let target = parameters.fixedFrameCount {
            m = m.fitted(toFrames: target, mode: parameters.crop, using: &generator)
        }
        return m.standardised(parameters.standardise)
    }

    /// ``finish(_:using:)`` for deterministic crops (`.center`, `.left`) or no duration.
    public func finish(_ base: FeatureMatrix) -> FeatureMatrix {
        var none = NoRandomness()
        return finish(base, using: &none)
    }

    /// ``features(of:fft:)`` followed by ``finish(_:using:)``.
    public func features<G: RandomNumberGenerator>(of samples: [Float], using generator: inout G) -> FeatureMatrix {
        finish(features(of: samples), using: &generator)
    }
}
