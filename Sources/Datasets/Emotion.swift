/// The eight RAVDESS emotions, with their file-name codes (`EE` in `MM-VV-EE-II-SS-RR-AA`).
/// `allCases` is in code order, which is the class order of the `emotion` label scheme. Shared by the
/// synthetic corpus (which writes RAVDESS names) and the Datasets layer (which parses them).
public enum Emotion: Int, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case neutral = 1, calm, happy, sad, angry, fearful, disgust, surprised

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
        }
    }

    /// The emotion called `name` (case-insensitive), or nil.
    public init?(name: String) {
        guard let match = Emotion.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = match
    }

    public var description: String { name }
    public static func < (a: Emotion, b: Emotion) -> Bool { a.rawValue < b.rawValue }
}
