/// How a phone is produced by ``SynthRenderer``.
enum SynthPhoneKind: Sendable {
    /// Voiced, full amplitude, formants from the table (a diphthong glides to `endFormants`).
    case vowel
    /// Voiced, weaker, e.g. /r/.
    case approximant
    /// Voiced, much weaker, with a low first formant, e.g. /ŋ/.
    case nasal
    /// Frication noise only (/s/).
    case fricative
    /// Frication noise plus weak voicing (/z/, /ð/).
    case voicedFricative
    /// Silent closure, noise burst, aspiration (/k/, /t/).
    case plosive
    /// Closure with a voice bar, noise burst, voicing (/b/, /d/, /g/).
    case voicedPlosive
}

/// One phone's targets for an adult male voice (formants are scaled per actor).
struct SynthPhone: Sendable {
    var symbol: String
    var kind: SynthPhoneKind
    /// F1…F4 targets in Hz at the phone's start.
    var formants: SIMD4<Float>
    /// F1…F4 at the phone's end (equal to `formants` except for diphthongs).
    var endFormants: SIMD4<Float>
    /// Duration at speaking rate 1, in milliseconds.
    var milliseconds: Float
    /// Centre and bandwidth (Hz) of the frication / burst noise band.
    var noiseHz: Float
    var noiseBandwidth: Float
    /// Frication or burst amplitude relative to a vowel.
    var noiseLevel: Float
    /// Carries the sentence accent (a pitch bump and a little more energy and length).
    var stressed: Bool

    init(
        _ symbol: String, _ kind: SynthPhoneKind, _ f: SIMD4<Float>, to end: SIMD4<Float>? = nil, ms: Float,
        noise: (hz: Float, bandwidth: Float, level: Float) = (0, 0, 0), stressed: Bool = false
    ) {
        self.symbol = symbol
        self.kind = kind
        formants = f
        endFormants = end ?? f
        milliseconds = ms
        noiseHz = noise.hz
        noiseBandwidth = noise.bandwidth
        noiseLevel = noise.level
        self.stressed = stressed
    }

    var isVoiced: Bool {
        switch kind {
        case .fricative, .plosive: return false
        default: return true
        }
    }

    var isVowel: Bool { kind == .vowel }
}

/// The two RAVDESS statements as phone sequences (General American, Peterson–Barney-style formants).
enum SynthSentences {
    // Vowels (F1, F2, F3, F4) for an adult male.
    static func ih(_ ms: Float, stressed: Bool = false) -> SynthPhone {
        SynthPhone("ɪ", .vowel, [390, 1990, 2550, 3400], ms: ms, stressed: stressed)
    }
    static func aa(_ ms: Float, stressed: Bool = false) -> SynthPhone {
        SynthPhone("ɑ", .vowel, [730, 1090, 2440, 3400], ms: ms, stressed: stressed)
    }
    static func ao(_ ms: Float, stressed: Bool = false) -> SynthPhone {
        SynthPhone("ɔ", .vowel, [570, 840, 2410, 3400], ms: ms, stressed: stressed)
    }
    static let ay = SynthPhone("aɪ", .vowel, [750, 1200, 2500, 3400], to: [360, 2100, 2700, 3500], ms: 170)
    static let schwa = SynthPhone("ə", .vowel, [500, 1400, 2450, 3400], ms: 60)
    static let r = SynthPhone("ɹ", .approximant, [450, 1150, 1600, 3200], ms: 60)
    static let rFinal = SynthPhone("ɹ", .approximant, [470, 1200, 1650, 3200], ms: 120)
    static let ng = SynthPhone("ŋ", .nasal, [280, 1900, 2500, 3300], ms: 80)
    // Consonants: formant loci and noise bands.
    static let k = SynthPhone("k", .plosive, [300, 1900, 2500, 3300], ms: 75, noise: (2300, 900, 0.55))
    static let t = SynthPhone("t", .plosive, [300, 1700, 2600, 3300], ms: 75, noise: (4200, 2200, 0.5))
    static let tFlap = SynthPhone("t", .voicedPlosive, [300, 1700, 2600, 3300], ms: 45, noise: (4000, 2000, 0.15))
    static let d = SynthPhone("d", .voicedPlosive, [300, 1700, 2600, 3300], ms: 60, noise: (3800, 2000, 0.35))
    static let g = SynthPhone("g", .voicedPlosive, [300, 1800, 2400, 3300], ms: 65, noise: (1900, 900, 0.4))
    static let b = SynthPhone("b", .voicedPlosive, [250, 900, 2200, 3300], ms: 60, noise: (900, 1000, 0.25))
    static let s = SynthPhone("s", .fricative, [320, 1600, 2600, 3300], ms: 110, noise: (6200, 2000, 0.4))
    static let z = SynthPhone("z", .voicedFricative, [300, 1600, 2600, 3300], ms: 90, noise: (5800, 2200, 0.25))
    static let dh = SynthPhone("ð", .voicedFricative, [300, 1400, 2500, 3300], ms: 50, noise: (4500, 3000, 0.08))

    /// "… by the door", shared by both statements.
    static let byTheDoor: [SynthPhone] = [b, ay, dh, schwa, d, ao(150, stressed: true), rFinal]

    /// Statement 1: "kids are talking by the door".
    static let kidsAreTalking: [SynthPhone] =
        [k, ih(80, stressed: true), d, z, aa(110), r, t, ao(130, stressed: true), k, ih(70), ng] + byTheDoor

    /// Statement 2: "dogs are sitting by the door".
    static let dogsAreSitting: [SynthPhone] =
        [d, ao(120, stressed: true), g, z, aa(110), r, s, ih(100, stressed: true), tFlap, ih(70), ng] + byTheDoor

    /// The phones of RAVDESS statement 1 or 2.
    static func phones(statement: Int) -> [SynthPhone] { statement == 1 ? kidsAreTalking : dogsAreSitting }
}
