import Foundation

/// The per-file synthesis parameters as CSV (one row per file, header first), written beside a corpus as
/// `.ser-synth-parameters.csv` so the cues behind each label can be inspected or plotted.
enum SynthParametersTable {
    static let header = [
        "path", "actor", "gender", "emotion", "intensity", "statement", "repetition", "mean_f0_hz", "target_f0_hz",
        "declination_st", "accent_st", "final_st", "tremor_st", "rate", "level_db", "jitter", "shimmer", "tilt",
        "open_quotient", "breathiness", "formant_scale", "speech_s", "duration_s", "peak", "limiter_gain",
    ]

    static func csv(_ utterances: [SynthesizedUtterance]) -> String {
        var lines = [header.joined(separator: ",")]
        for u in utterances {
            let p = u.parameters
            func f(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
            let fields: [String] = [
                p.id.relativePath, "\(p.id.actor)", p.id.isMale ? "male" : "female", p.id.emotion.description,
                "\(p.id.intensity)", "\(p.id.statement)", "\(p.id.repetition)", f(u.meanF0Hz, 2), f(p.f0Hz, 2),
                f(p.declination, 3), f(p.accent, 3), f(p.finalMove, 3), f(p.tremor, 3), f(p.rate), f(p.levelDB, 2),
                f(p.jitter), f(p.shimmer), f(p.tilt), f(p.openQuotient), f(p.breathiness), f(p.formantScale),
                f(u.speechSeconds, 3), f(u.duration, 3), f(Double(u.peak)), f(Double(u.limiterGain)),
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
