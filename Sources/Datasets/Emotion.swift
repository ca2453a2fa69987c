/// The canonical emotion vocabulary every corpus is mapped into. The first eight are the RAVDESS emotions
/// with their file-name codes (`EE` in `MM-VV-EE-II-SS-RR-AA`); the others come from other corpora
/// (EMO-DB's boredom). `allCases` is the vocabulary's order, which is the class order of the `emotion`
/// label scheme; ``ravdess`` is the RAVDESS subset in code order. Shared by the synthetic corpus (which
/// writes RAVDESS names) and the Datasets layer (which parses every layout's names).
public enum Emotion: Int, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case neutral = 1, calm, happy, sad, angry, fearful, disgust, surprised
    /// EMO-DB's `L` (Langeweile).
    case boredom

    /// The eight RAVDESS emotions, in code order (01 … 08).
    public static let ravdess: [Emotion] = [.neutral, .calm, .happy, .sad, .angry, .fearful, .disgust, .surprised]

    /// Lower-case name used as a class name, e.g. "fearful".
    public var name: String {
        switch self {
        case .neutral: return "neutral"
        case .calm: return "calm"
        case .happy: return "happy"
        case .sad: return "sad"
        case .angry: return "angry"
        case .fearful: return "fearful"
        case .disgust: return "disgust"
        case .surprised: return "surprised"
        case .boredom: return "boredom"
        }
    }

    /// The emotion called `name` (case-insensitive), or nil.
    public init?(name: String) {
        guard let match = Emotion.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = match
    }

    /// Other spellings a given label (a class folder, a CSV `label`) may use for each emotion, lower-case.
    public static let synonyms: [String: Emotion] = [
        "neu": .neutral, "hap": .happy, "happiness": .happy, "joy": .happy, "sadness": .sad, "ang": .angry,
        "anger": .angry, "fear": .fearful, "fea": .fearful, "dis": .disgust, "disgusted": .disgust,
        "surprise": .surprised, "sur": .surprised, "ps": .surprised, "pleasant_surprise": .surprised,
        "pleasant_surprised": .surprised, "bored": .boredom,
    ]

    /// The emotion a given label names: its name or one of its ``synonyms`` (case-insensitive, `-` and spaces
    /// read as `_`), or nil.
    public init?(label: String) {
        let key = label.lowercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
        guard let match = Emotion(name: key) ?? Self.synonyms[key] else { return nil }
        self = match
    }

    public var description: String { name }
    public static func < (a: Emotion, b: Emotion) -> Bool { a.rawValue < b.rawValue }
}
