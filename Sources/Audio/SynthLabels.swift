/// Which utterance of the synthetic corpus a file holds: the same fields as a RAVDESS speech file name
/// (`03-01-EE-II-SS-RR-AA.wav`, modality 03 = audio-only, vocal channel 01 = speech).
public struct SynthUtteranceID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// 1…24; odd actors are male, even actors female (as in RAVDESS).
    public var actor: Int
    public var emotion: Emotion
    /// 1 normal, 2 strong (neutral has normal only).
    public var intensity: Int
    /// 1 "kids are talking by the door", 2 "dogs are sitting by the door".
    public var statement: Int
    /// 1 or 2.
    public var repetition: Int

    public init(actor: Int, emotion: Emotion, intensity: Int, statement: Int, repetition: Int) {
        self.actor = actor
        self.emotion = emotion
        self.intensity = intensity
        self.statement = statement
        self.repetition = repetition
    }

    public var isMale: Bool { actor % 2 == 1 }

    /// `03-01-EE-II-SS-RR-AA.wav`.
    public var fileName: String {
        let fields = [3, 1, emotion.rawValue, intensity, statement, repetition, actor]
        return fields.map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: "-") + ".wav"
    }

    /// `Actor_AA/03-01-EE-II-SS-RR-AA.wav`, relative to the corpus root.
    public var relativePath: String { "\(Self.actorFolder(actor))/\(fileName)" }

    /// `Actor_07` for actor 7.
    public static func actorFolder(_ actor: Int) -> String { actor < 10 ? "Actor_0\(actor)" : "Actor_\(actor)" }

    /// The 60 utterances RAVDESS records per actor for speech, in file-name order: 8 emotions × intensity
    /// (normal only for neutral) × 2 statements × 2 repetitions.
    public static func ravdessSpeech(actor: Int) -> [SynthUtteranceID] {
        var ids: [SynthUtteranceID] = []
        for emotion in Emotion.allCases {
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
