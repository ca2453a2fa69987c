import Datasets
import SeededRandom

/// Everything that determines one synthetic utterance: the actor's voice combined with the emotion,
/// its intensity and a little random variation per repetition. Drawn deterministically from the corpus
/// seed and the utterance's identity (see ``SynthParameters/make(for:voice:seed:)``).
public struct SynthParameters: Codable, Sendable, Equatable {
    public var id: SynthUtteranceID
    /// Target mean f0 in Hz before the contour (the realised mean is in ``SynthesizedUtterance/meanF0Hz``).
    public var f0Hz: Double
    /// Pitch contour in semitones: fall over the utterance, accent height on stressed vowels, final movement.
    public var declination: Double
    public var accent: Double
    public var finalMove: Double
    /// Pitch tremor depth in semitones (rate 5.5–6.5 Hz).
    public var tremor: Double
    public var tremorHz: Double
    /// Speaking rate multiplier (1 = about 11 phones per second).
    public var rate: Double
    /// Loudness relative to the corpus reference, in dB.
    public var levelDB: Double
    /// Relative per-cycle period (jitter) and amplitude (shimmer) perturbation.
    public var jitter: Double
    public var shimmer: Double
    /// Glottal source low-pass coefficient 0…0.9 (higher = steeper spectral tilt).
    public var tilt: Double
    /// Glottal open quotient 0.35…0.8.
    public var openQuotient: Double
    /// Aspiration noise level 0…0.5.
    public var breathiness: Double
    /// Formant frequency multiplier (vocal-tract length).
    public var formantScale: Double
    /// Silence before and after the speech, in seconds (shortened or lengthened at rendering if needed to keep
    /// the file within ``SynthRenderer/durationRange``).
    public var leadingSilence: Double
    public var trailingSilence: Double

    /// How strongly each intensity departs from neutral.
    static func intensityScale(_ intensity: Int) -> Double { intensity == 2 ? 1.5 : 1 }

    /// The parameters of `id`, given its actor's `voice`; repetition-level variation comes from a generator
    /// seeded with (`seed`, the utterance's stream), so they do not depend on which other files are made.
    public static func make(for id: SynthUtteranceID, voice: SynthVoice, seed: UInt64) -> SynthParameters {
        var rng = Xoshiro256(seed: seed, stream: id.stream)
        return make(for: id, voice: voice, rng: &rng)
    }

    static func make(for id: SynthUtteranceID, voice: SynthVoice, rng: inout Xoshiro256) -> SynthParameters {
        let k = intensityScale(id.intensity) * (id.emotion == .neutral ? 1 : voice.expressiveness)
        let p = EmotionProfile.of(id.emotion).scaled(k)
        let e = id.emotion.rawValue - 1
        let habit = id.emotion == .neutral ? 0.0 : 1.0
        // Repetition-level variation: a take never sounds exactly like the previous one.
        let f0Semitones = p.f0Semitones + habit * voice.emotionF0Semitones[e] + 0.7 * rng.nextNormal()
        let logRate = p.logRate + habit * voice.emotionLogRate[e] + 0.06 * rng.nextNormal()
        let levelDB = p.levelDB + voice.levelDB + habit * voice.emotionLevelDB[e] + 1.5 * rng.nextNormal()
        let range = max(0.5, 1 + 0.1 * rng.nextNormal())
        func clamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(hi, max(lo, x)) }
        return SynthParameters(
            id: id,
            f0Hz: voice.f0Hz * pow(2, f0Semitones / 12),
            declination: p.declination * range,
            accent: max(0, p.accent * range),
            finalMove: p.finalMove * range,
            tremor: max(0, p.tremor),
            tremorHz: 5.5 + rng.nextUnitDouble(),
            rate: clamp(voice.rate * exp(logRate), 0.55, 1.6),
            levelDB: levelDB,
            jitter: clamp(p.jitter * (1 + 0.25 * rng.nextNormal()), 0.002, 0.06),
            shimmer: clamp(p.shimmer * (1 + 0.25 * rng.nextNormal()), 0.01, 0.25),
            tilt: clamp(p.tilt + 0.06 * rng.nextNormal(), 0.05, 0.9),
            openQuotient: clamp(p.openQuotient + 0.03 * rng.nextNormal(), 0.35, 0.8),
            breathiness: clamp(voice.breathiness + p.breathiness + 0.03 * rng.nextNormal(), 0, 0.5),
            formantScale: voice.formantScale,
            leadingSilence: 0.12 + 0.16 * rng.nextUnitDouble(),
            trailingSilence: 0.12 + 0.16 * rng.nextUnitDouble())
    }
}

/// One rendered utterance: its samples (mono, in [-1, 1]) and what was used and measured while making it.
public struct SynthesizedUtterance: Sendable {
    public var parameters: SynthParameters
    public var sampleRate: Int
    public var samples: [Float]
    /// Mean of the instantaneous f0 over voiced samples (the true mean pitch, in Hz).
    public var meanF0Hz: Double
    /// Seconds of speech (from the first to the last phone, excluding leading and trailing silence).
    public var speechSeconds: Double
    /// Largest absolute sample value (NaN if any sample is NaN).
    public var peak: Float
    /// Gain applied to keep the peak at or below ``SynthRenderer/peakLimit`` (1 when none was needed).
    public var limiterGain: Float

    public var id: SynthUtteranceID { parameters.id }
    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
