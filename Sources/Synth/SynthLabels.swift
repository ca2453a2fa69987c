import Datasets

/// One utterance of the synthetic corpus: the RAVDESS audio-only speech name it is written under
/// (`03-01-EE-II-SS-RR-AA`), whose fields choose the voice and the emotion cues.
public struct SynthUtteranceID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The file's RAVDESS name (modality 03 audio-only, vocal channel 01 speech).
    public var name: RavdessName

    public init(actor: Int, emotion: Emotion, intensity: Int, statement: Int, repetition: Int) {
        guard let level = Intensity(rawValue: intensity) else {
            preconditionFailure("intensity \(intensity) is not a RAVDESS intensity (1 normal, 2 strong)")
        }
        name = RavdessName(
            emotion: emotion, intensity: level, statement: statement, repetition: repetition, actor: actor)
    }

    /// 1…24; odd actors are male, even actors female (as in RAVDESS).
    public var actor: Int { name.actor }
    public var emotion: Emotion { name.emotion }
    /// 1 normal, 2 strong (neutral has normal only).
    public var intensity: Int { name.intensity.rawValue }
    /// 1 "kids are talking by the door", 2 "dogs are sitting by the door".
    public var statement: Int { name.statement }
    /// 1 or 2.
    public var repetition: Int { name.repetition }

    public var isMale: Bool { name.gender == .male }

    /// `03-01-EE-II-SS-RR-AA.wav`.
    public var fileName: String { name.stem + ".wav" }

    /// `Actor_AA/03-01-EE-II-SS-RR-AA.wav`, relative to the corpus root.
    public var relativePath: String { "\(Self.actorFolder(actor))/\(fileName)" }

    /// `Actor_07` for actor 7.
    public static func actorFolder(_ actor: Int) -> String { actor < 10 ? "Actor_0\(actor)" : "Actor_\(actor)" }

    /// The 60 utterances RAVDESS records per actor for speech, in file-name order: 8 emotions × intensity
    /// (normal only for neutral) × 2 statements × 2 repetitions.
    public static func ravdessSpeech(actor: Int) -> [SynthUtteranceID] {
        var ids: [SynthUtteranceID] = []
        for emotion in Emotion.ravdess {
            for intensity in emotion == .neutral ? [1] : [1, 2] {
                for statement in 1...2 {
                    for repetition in 1...2 {
                        ids.append(
                            .init(
                                actor: actor, emotion: emotion, intensity: intensity, statement: statement,
                                repetition: repetition))
                    }
                }
            }
        }
        return ids
    }

    /// A stable random-stream label for this file, independent of how many actors the corpus has, so the
    /// file for actor 3 is the same in a 4-actor corpus and in a 24-actor corpus.
    var stream: UInt64 {
        UInt64(actor) << 32 | UInt64(emotion.rawValue) << 24 | UInt64(intensity) << 16 | UInt64(statement) << 8
            | UInt64(repetition)
    }

    public static func < (a: Self, b: Self) -> Bool { a.relativePath < b.relativePath }

    public var description: String { relativePath }
}
