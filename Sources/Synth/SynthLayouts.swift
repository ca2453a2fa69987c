import Datasets

/// The synthetic corpus written under another layout's names: the same utterances (and bytes) as the
/// RAVDESS-shaped corpus, renamed so each built-in layout can be tested end to end without downloads.
/// Utterances whose emotion the layout's corpus lacks (e.g. calm outside RAVDESS) are left out.
extension SynthUtteranceID {
    /// The file's path relative to the corpus root in `layout`, or nil when the layout has no such emotion.
    /// Names are unique within a corpus of up to 24 actors:
    /// - cremad: `Actor 1000+n`, sentence from statement × repetition, level MD/HI (XX for neutral):
    ///   `1003_DFA_ANG_HI.wav`;
    /// - tess: odd actors speak as OAF, even as YAF; the word encodes actor, statement, repetition and
    ///   intensity: `OAF_angry/OAF_a03s1r2i1_angry.wav`;
    /// - savee: actor n speaks as DC/JE/JK/KL (n mod 4), the sentence number encodes the rest: `JE_sa05.wav`;
    /// - emodb: actor n speaks as one of the ten EMO-DB speakers (n mod 10), text from statement × repetition,
    ///   version letter from the actor's group and intensity: `08a02Wb.wav`;
    /// - folders: `angry/a03_s1_r2_i1.wav`; csv: `audio/a03_s1_r2_i1_angry.wav` listed in `manifest.csv`.
    public func relativePath(in layout: DatasetLayout) -> String? {
        let twoByTwo = (statement - 1) * 2 + (repetition - 1)  // 0…3
        func code(_ table: [(code: String, emotion: Emotion)]?) -> String? {
            table?.first { $0.emotion == emotion }?.code
        }
        switch layout {
        case .ravdess: return relativePath
        case .cremad:
            guard let emotion = code(layout.nativeEmotions) else { return nil }
            let sentence = ["IEO", "TIE", "DFA", "ITS"][twoByTwo]
            let level = self.emotion == .neutral ? "XX" : (intensity == 1 ? "MD" : "HI")
            return "\(1000 + actor)_\(sentence)_\(emotion)_\(level).wav"
        case .tess:
            guard let emotion = code(layout.nativeEmotions) else { return nil }
            let speaker = actor % 2 == 1 ? "OAF" : "YAF"
            let folder = "\(speaker)_\(emotion == "ps" ? "pleasant_surprised" : emotion)"
            return "\(folder)/\(speaker)_a\(Self.two(actor))s\(statement)r\(repetition)i\(intensity)_\(emotion).wav"
        case .savee:
            guard let emotion = code(layout.nativeEmotions) else { return nil }
            let speakers = ["DC", "JE", "JK", "KL"]
            let number = ((actor - 1) / 4) * 8 + twoByTwo * 2 + intensity  // 1…48
            return "\(speakers[(actor - 1) % 4])_\(emotion)\(Self.two(number)).wav"
        case .emodb:
            guard let emotion = code(layout.nativeEmotions) else { return nil }
            let speakers = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
            let texts = ["a01", "a02", "a04", "b01"]
            let versions = Array("abcdef")
            let version = versions[((actor - 1) / 10) * 2 + intensity - 1]
            return "\(speakers[(actor - 1) % 10])\(texts[twoByTwo])\(emotion)\(version).wav"
        case .folders:
            return "\(emotion.name)/a\(Self.two(actor))_s\(statement)_r\(repetition)_i\(intensity).wav"
        case .csv:
            return "audio/a\(Self.two(actor))_s\(statement)_r\(repetition)_i\(intensity)_\(emotion.name).wav"
        }
    }

    /// The speaker id the layout gives this utterance (what `split.valid` names).
    public func speaker(in layout: DatasetLayout) -> String? {
        switch layout {
        case .ravdess, .csv: return Self.two(actor)
        case .folders: return nil
        default: return relativePath(in: layout).flatMap { try? layout.parseName($0).get().speaker }
        }
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension SyntheticCorpus {
    /// The name of the CSV manifest of a corpus written in the csv layout.
    public static let manifestName = "manifest.csv"

    /// The manifest of `ids` in the csv layout: `path,label,speaker,gender`.
    static func manifest(_ ids: [SynthUtteranceID]) -> String {
        var lines = ["path,label,speaker,gender"]
        for id in ids {
            guard let path = id.relativePath(in: .csv) else { continue }
            lines.append("\(path),\(id.emotion.name),\(id.speaker(in: .csv) ?? ""),\(id.isMale ? "male" : "female")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
