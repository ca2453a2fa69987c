#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Klatt's two-pole resonator (Klatt 1980): `y[n] = a·x[n] + b·y[n−1] + c·y[n−2]`, unity gain at DC and a
/// peak at `frequency` with the given bandwidth. Formant filters of the cascade vocal tract. O(1) per sample.
struct SynthResonator {
    private var a: Float = 1, b: Float = 0, c: Float = 0
    private var y1: Float = 0, y2: Float = 0

    /// Sets the resonance; frequencies are clamped below Nyquist (0.45·rate).
    mutating func tune(frequency: Float, bandwidth: Float, sampleRate: Float) {
        let f = min(frequency, 0.45 * sampleRate)
        let r = expf(-Float.pi * bandwidth / sampleRate)
        c = -r * r
        b = 2 * r * cosf(2 * Float.pi * f / sampleRate)
        a = 1 - b - c
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = a * x + b * y1 + c * y2
        y2 = y1
        y1 = y
        return y
    }
}

/// A constant-peak-gain band-pass biquad (RBJ audio-EQ cookbook): 0 dB at `centre`, zeros at DC and
/// Nyquist. Shapes the frication and burst noise. O(1) per sample.
struct SynthBandPass {
    private var b0: Float = 0, b2: Float = 0, a1: Float = 0, a2: Float = 0
    private var x1: Float = 0, x2: Float = 0, y1: Float = 0, y2: Float = 0

    mutating func tune(centre: Float, bandwidth: Float, sampleRate: Float) {
        let f = min(centre, 0.42 * sampleRate)
        let w0 = 2 * Float.pi * f / sampleRate
        let q = max(0.3, f / max(bandwidth, 1))
        let alpha = sinf(w0) / (2 * q)
        let a0 = 1 + alpha
        b0 = alpha / a0
        b2 = -alpha / a0
        a1 = -2 * cosf(w0) / a0
        a2 = (1 - alpha) / a0
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2
        x2 = x1
        x1 = x
        y2 = y1
        y1 = y
        return y
    }
}

/// Rosenberg's glottal flow pulse (Rosenberg 1971, type C) at `phase` ∈ [0, 1) of a period whose open
/// phase lasts `openQuotient` of the period: a raised-cosine opening (65 % of the open phase), a
/// quarter-cosine closing (35 %), then closed (0). Peak flow 1.
@inline(__always)
func synthRosenbergFlow(phase: Float, openQuotient: Float) -> Float {
    let opening = 0.65 * openQuotient
    let closing = 0.35 * openQuotient
    if phase < opening { return 0.5 * (1 - cosf(Float.pi * phase / opening)) }
    if phase < opening + closing { return cosf(0.5 * Float.pi * (phase - opening) / closing) }
    return 0
}
