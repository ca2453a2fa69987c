import Datasets
import SeededRandom

/// One synthetic actor's voice and speaking habits, drawn once per actor from the corpus seed.
///
/// Odd actors are male, even actors female (RAVDESS convention). Besides the physical voice (pitch,
/// vocal-tract length, breathiness) each actor has a recording level, a speaking rate, an
/// expressiveness (how far their emotions depart from their neutral voice) and small personal habits per
/// emotion, so that the same emotion sounds different from actor to actor.
public struct SynthVoice: Codable, Sendable, Equatable {
    public var actor: Int
    public var isMale: Bool
    /// Mean neutral f0 in Hz (male about 85–150, female about 165–260).
    public var f0Hz: Double
    /// Multiplies every formant frequency (shorter vocal tracts have higher formants; female ≈ 1.16).
    public var formantScale: Double
    /// Multiplies the speaking rate (phones per second).
    public var rate: Double
    /// Recording level offset in dB.
    public var levelDB: Double
    /// Aspiration noise mixed into the glottal source, 0…1.
    public var breathiness: Double
    /// Multiplies every emotion's departure from neutral (0.7–1.2).
    public var expressiveness: Double
    /// Personal pitch habit per emotion (semitones), indexed by `emotion.rawValue - 1`.
    public var emotionF0Semitones: [Double]
    /// Personal rate habit per emotion (log factor).
    public var emotionLogRate: [Double]
    /// Personal loudness habit per emotion (dB).
    public var emotionLevelDB: [Double]

    /// The voice of `actor` in the corpus with `seed` (deterministic; independent of the other actors).
    public static func actor(_ actor: Int, seed: UInt64) -> SynthVoice {
        var rng = Xoshiro256(seed: seed, stream: 0xACC0_0000 | UInt64(actor))
        let male = actor % 2 == 1
        func normal(_ mean: Double, _ sd: Double, _ lo: Double, _ hi: Double) -> Double {
            min(hi, max(lo, mean + sd * rng.nextNormal()))
        }
        let f0 = male ? normal(118, 16, 85, 155) : normal(210, 22, 165, 260)
        let formantScale = (male ? 1.0 : 1.16) * normal(1, 0.035, 0.93, 1.07)
        let rate = normal(1, 0.07, 0.85, 1.15)
        let level = normal(0, 2, -4, 4)
        let breathiness = male ? normal(0.08, 0.03, 0.02, 0.16) : normal(0.14, 0.04, 0.05, 0.25)
        let expressiveness = 0.7 + 0.5 * rng.nextUnitDouble()
        var f0Habits: [Double] = []
        var rateHabits: [Double] = []
        var levelHabits: [Double] = []
        for _ in Emotion.ravdess {
            f0Habits.append(1.2 * rng.nextNormal())
            rateHabits.append(0.08 * rng.nextNormal())
            levelHabits.append(2.0 * rng.nextNormal())
        }
        return SynthVoice(
            actor: actor, isMale: male, f0Hz: f0, formantScale: formantScale, rate: rate, levelDB: level,
            breathiness: breathiness, expressiveness: expressiveness, emotionF0Semitones: f0Habits,
            emotionLogRate: rateHabits, emotionLevelDB: levelHabits)
    }
}

/// How an emotion departs from neutral speech (normal intensity, average actor). Strong intensity and
/// expressive actors scale the departure from the neutral row. Values follow the direction of the
/// vocal-emotion literature (Scherer 2003; Juslin & Laukka 2003): high-arousal emotions are higher,
/// louder, faster and more "pressed" (flatter spectrum); sad and calm are lower, softer, slower, breathier.
struct EmotionProfile: Sendable {
    /// Mean pitch shift (semitones).
    var f0Semitones: Double
    /// Log of the speaking-rate multiplier.
    var logRate: Double
    /// Loudness (dB).
    var levelDB: Double
    /// Period perturbation (relative standard deviation per glottal cycle).
    var jitter: Double
    /// Amplitude perturbation per glottal cycle.
    var shimmer: Double
    /// One-pole low-pass coefficient on the glottal source: higher = steeper spectral tilt (softer voice).
    var tilt: Double
    /// Open quotient of the glottal pulse: lower = pressed voice, more high harmonics.
    var openQuotient: Double
    /// Added breathiness (aspiration noise).
    var breathiness: Double
    /// Pitch tremor depth (semitones) at about 6 Hz.
    var tremor: Double
    /// Pitch contour: fall over the utterance, accent height, final rise (+) or fall (−), all semitones.
    var declination: Double
    var accent: Double
    var finalMove: Double

    static let neutral = EmotionProfile(
        f0Semitones: 0, logRate: 0, levelDB: 0, jitter: 0.008, shimmer: 0.04, tilt: 0.55, openQuotient: 0.6,
        breathiness: 0, tremor: 0, declination: -3, accent: 2, finalMove: -1.5)

    static func of(_ emotion: Emotion) -> EmotionProfile {
        switch emotion {
        case .neutral: return neutral
        case .calm:
            return .init(
                f0Semitones: -0.8, logRate: log(0.9), levelDB: -2.5, jitter: 0.007, shimmer: 0.035, tilt: 0.66,
                openQuotient: 0.66, breathiness: 0.08, tremor: 0, declination: -2.5, accent: 1.3, finalMove: -1.5)
        case .happy:
            return .init(
                f0Semitones: 3, logRate: log(1.08), levelDB: 2, jitter: 0.01, shimmer: 0.045, tilt: 0.45,
                openQuotient: 0.56, breathiness: 0.03, tremor: 0, declination: -2, accent: 3.5, finalMove: 0.5)
        case .sad:
            return .init(
                f0Semitones: -1.5, logRate: log(0.8), levelDB: -4, jitter: 0.015, shimmer: 0.06, tilt: 0.72,
                openQuotient: 0.68, breathiness: 0.16, tremor: 0.25, declination: -2, accent: 0.7, finalMove: -2)
        case .angry:
            return .init(
                f0Semitones: 3, logRate: log(1.12), levelDB: 5, jitter: 0.012, shimmer: 0.05, tilt: 0.3,
                openQuotient: 0.48, breathiness: -0.04, tremor: 0, declination: -3.5, accent: 3, finalMove: -3)
        case .fearful:
            return .init(
                f0Semitones: 5, logRate: log(1.18), levelDB: -0.5, jitter: 0.022, shimmer: 0.08, tilt: 0.55,
                openQuotient: 0.64, breathiness: 0.14, tremor: 0.7, declination: -1, accent: 1.5, finalMove: 1.5)
        case .disgust:
            return .init(
                f0Semitones: -1, logRate: log(0.82), levelDB: 0, jitter: 0.028, shimmer: 0.12, tilt: 0.5,
                openQuotient: 0.52, breathiness: 0.02, tremor: 0, declination: -4, accent: 2.5, finalMove: -3)
        case .surprised:
            return .init(
                f0Semitones: 4.5, logRate: log(1.0), levelDB: 1.5, jitter: 0.01, shimmer: 0.045, tilt: 0.45,
                openQuotient: 0.56, breathiness: 0.05, tremor: 0, declination: 0.5, accent: 4, finalMove: 4)
        case .boredom:
            // Not in the RAVDESS-shaped corpus (no layout's synthetic files use it); low, slow and flat.
            return .init(
                f0Semitones: -2, logRate: log(0.85), levelDB: -3, jitter: 0.008, shimmer: 0.04, tilt: 0.65,
                openQuotient: 0.64, breathiness: 0.06, tremor: 0, declination: -1.5, accent: 0.5, finalMove: -1)
        }
    }

    /// `neutral + k·(self − neutral)`, field by field.
    func scaled(_ k: Double) -> EmotionProfile {
        let n = Self.neutral
        func mix(_ a: Double, _ b: Double) -> Double { b + k * (a - b) }
        return .init(
            f0Semitones: mix(f0Semitones, n.f0Semitones), logRate: mix(logRate, n.logRate),
            levelDB: mix(levelDB, n.levelDB), jitter: mix(jitter, n.jitter),
            shimmer: mix(shimmer, n.shimmer), tilt: mix(tilt, n.tilt), openQuotient: mix(openQuotient, n.openQuotient),
            breathiness: mix(breathiness, n.breathiness), tremor: mix(tremor, n.tremor),
            declination: mix(declination, n.declination), accent: mix(accent, n.accent),
            finalMove: mix(finalMove, n.finalMove))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
