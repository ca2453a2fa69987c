import Audio
import Foundation

/// RAVDESS emotional intensity (`II`): 01 normal, 02 strong.
/// `allCases` order (normal, strong) is the class order of the `intensity` label scheme.
public enum Intensity: Int, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case normal = 1, strong

    public var name: String { self == .normal ? "normal" : "strong" }
    public var description: String { name }
    public static func < (a: Intensity, b: Intensity) -> Bool { a.rawValue < b.rawValue }
}

/// Speaker gender, from the RAVDESS actor number's parity (odd male, even female).
/// `allCases` order (female, male) is the class order of the `gender` label scheme.
public enum Gender: String, CaseIterable, Sendable, Codable, Comparable, CustomStringConvertible {
    case female, male

    public var name: String { rawValue }
    public var description: String { rawValue }
    public static func < (a: Gender, b: Gender) -> Bool { a == .female && b == .male }
}

/// Why a file name is not a RAVDESS name. The description names the file and the offending field.
public struct RavdessNameError: Error, CustomStringConvertible, Equatable, Sendable {
    public var fileName: String
    public var reason: String

    public init(fileName: String, reason: String) {
        self.fileName = fileName
        self.reason = reason
    }

    public var description: String { "\(fileName): not a RAVDESS name (MM-VV-EE-II-SS-RR-AA): \(reason)" }
}

/// The seven fields of a RAVDESS file name `MM-VV-EE-II-SS-RR-AA.ext`, e.g. `03-01-06-01-02-01-12.wav`
/// (audio-only speech, fearful, normal intensity, statement 2, repetition 1, actor 12).
public struct RavdessName: Sendable, Hashable, Codable {
    /// 01 full audio-video, 02 video-only, 03 audio-only.
    public var modality: Int
    /// 01 speech, 02 song.
    public var vocalChannel: Int
    public var emotion: Emotion
    public var intensity: Intensity
    /// 01 "Kids are talking by the door", 02 "Dogs are sitting by the door".
    public var statement: Int
    /// 01 or 02.
    public var repetition: Int
    /// 1...24.
    public var actor: Int

    public init(
        modality: Int = 3, vocalChannel: Int = 1, emotion: Emotion, intensity: Intensity, statement: Int,
        repetition: Int, actor: Int
    ) {
        self.modality = modality
        self.vocalChannel = vocalChannel
        self.emotion = emotion
        self.intensity = intensity
        self.statement = statement
        self.repetition = repetition
        self.actor = actor
    }

    /// Odd actors are male, even actors female.
    public var gender: Gender { actor % 2 == 1 ? .male : .female }

    /// The actor as a two-digit speaker id, "01"..."24".
    public var speaker: String { Self.twoDigits(actor) }

    /// The name's stem, e.g. "03-01-06-01-02-01-12".
    public var stem: String {
        [modality, vocalChannel, emotion.rawValue, intensity.rawValue, statement, repetition, actor]
            .map(Self.twoDigits).joined(separator: "-")
    }

    /// Parses a file name (a path is allowed: only its last component counts; the extension, if any, is ignored).
    /// Every field must be exactly two digits and in range; neutral must have normal intensity, and song
    /// (vocal channel 02) has no disgust or surprised.
    /// - Throws: ``RavdessNameError`` naming the first offending field.
    public init(parsing fileName: String) throws {
        let name = (fileName as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        func fail(_ reason: String) -> RavdessNameError { RavdessNameError(fileName: name, reason: reason) }
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 7 else {
            throw fail("expected 7 fields separated by '-', found \(parts.count)")
        }
        var values = [Int]()
        for (index, part) in parts.enumerated() {
            let field = Self.fields[index]
            guard part.count == 2, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part) else {
                throw fail("\(field.name) field '\(part)' is not two digits")
            }
            guard field.range.contains(value) else {
                throw fail(
                    "\(field.name) \(part) is out of range "
                        + "\(Self.twoDigits(field.range.lowerBound))-\(Self.twoDigits(field.range.upperBound))")
            }
            values.append(value)
        }
        let emotion = Emotion(rawValue: values[2])!
        let intensity = Intensity(rawValue: values[3])!
        if emotion == .neutral && intensity == .strong {
            throw fail("neutral (emotion 01) has normal intensity only, found intensity 02")
        }
        if values[1] == 2 && (emotion == .disgust || emotion == .surprised) {
            throw fail("song (vocal channel 02) has no \(emotion.name) (emotion \(Self.twoDigits(values[2])))")
        }
        self.init(
            modality: values[0], vocalChannel: values[1], emotion: emotion, intensity: intensity,
            statement: values[4], repetition: values[5], actor: values[6])
    }

    private static let fields: [(name: String, range: ClosedRange<Int>)] = [
        ("modality", 1...3), ("vocal channel", 1...2), ("emotion", 1...8), ("intensity", 1...2),
        ("statement", 1...2), ("repetition", 1...2), ("actor", 1...24),
    ]

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
