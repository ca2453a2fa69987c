import Foundation

/// What a built-in layout reads from one file's name (and, for SAVEE's original release, its folder):
/// the speaker, the speaker's gender when the corpus documents it, and the emotion in the corpus's own code
/// and in the canonical vocabulary.
public struct CorpusName: Sendable, Hashable, Codable {
    /// The speaker id as the corpus writes it: RAVDESS "01"…"24", CREMA-D "1001"…"1091", TESS "OAF"/"YAF",
    /// SAVEE "DC"/"JE"/"JK"/"KL", EMO-DB "03"…"16".
    public var speaker: String
    public var gender: Gender?
    /// The corpus's own emotion code: RAVDESS's name ("calm"), CREMA-D "ANG", TESS "ps", SAVEE "sa", EMO-DB "W".
    public var nativeLabel: String
    public var emotion: Emotion

    public init(speaker: String, gender: Gender?, nativeLabel: String, emotion: Emotion) {
        self.speaker = speaker
        self.gender = gender
        self.nativeLabel = nativeLabel
        self.emotion = emotion
    }
}

/// Why a file name is not a name of a layout; the description names the file, the layout's pattern and the
/// offending field.
public struct CorpusNameError: Error, CustomStringConvertible, Equatable, Sendable {
    public var fileName: String
    public var layout: DatasetLayout
    public var reason: String

    public var description: String {
        "\(fileName): not a \(layout.displayName) name (\(layout.namePattern ?? "")): \(reason)"
    }
}

extension DatasetLayout {
    /// The layout's name as the corpus is usually written ("CREMA-D", "EMO-DB").
    public var displayName: String {
        switch self {
        case .ravdess: return "RAVDESS"
        case .cremad: return "CREMA-D"
        case .tess: return "TESS"
        case .savee: return "SAVEE"
        case .emodb: return "EMO-DB"
        case .folders: return "folders"
        case .csv: return "CSV"
        }
    }

    /// The file-name pattern of a built-in corpus layout (nil for folders and csv).
    public var namePattern: String? {
        switch self {
        case .ravdess: return "MM-VV-EE-II-SS-RR-AA"
        case .cremad: return "1001_DFA_ANG_XX.wav"
        case .tess: return "OAF_back_angry.wav"
        case .savee: return "DC_a01.wav"
        case .emodb: return "03a01Fa.wav"
        case .folders, .csv: return nil
        }
    }

    /// Whether labels, speakers and genders come from file names (every layout but folders and csv).
    public var readsNames: Bool { namePattern != nil }

    /// The corpus's own emotion codes and their canonical emotions, in the corpus's documented order (nil for
    /// folders and csv, whose labels are whatever the data holds).
    public var nativeEmotions: [(code: String, emotion: Emotion)]? {
        switch self {
        case .ravdess: return Emotion.ravdess.map { ($0.name, $0) }
        case .cremad: return CorpusNames.cremadEmotions
        case .tess: return CorpusNames.tessEmotions
        case .savee: return CorpusNames.saveeEmotions
        case .emodb: return CorpusNames.emodbEmotions
        case .folders, .csv: return nil
        }
    }

    /// The speakers a built-in corpus has (nil for RAVDESS, whose actors are numbers 01…24, and for folders
    /// and csv).
    public var knownSpeakers: [String]? {
        switch self {
        case .cremad: return (1001...1091).map(String.init)
        case .tess: return CorpusNames.tessSpeakers
        case .savee: return CorpusNames.saveeSpeakers
        case .emodb: return CorpusNames.emodbSpeakers.map(\.speaker)
        case .ravdess, .folders, .csv: return nil
        }
    }

    /// Parses the file at `relativePath` under this layout (RAVDESS through ``RavdessName``).
    public func parseName(_ relativePath: String) -> Result<CorpusName, CorpusNameError> {
        CorpusNames.parse(relativePath, layout: self)
    }
}

/// The naming rules of the built-in corpora. Names are matched case-insensitively, a trailing `_1`-style copy
/// suffix (`03a01Fa_1.wav`) is ignored, and only the last path component counts (so nested folders are
/// fine), except that SAVEE's original release (`DC/a01.wav`) takes the speaker from the folder.
enum CorpusNames {
    static let cremadEmotions: [(code: String, emotion: Emotion)] = [
        ("ANG", .angry), ("DIS", .disgust), ("FEA", .fearful), ("HAP", .happy), ("NEU", .neutral), ("SAD", .sad),
    ]
    /// CREMA-D emotion levels: low, medium, high, unspecified.
    static let cremadLevels: Set<String> = ["LO", "MD", "HI", "XX"]
    /// CREMA-D's female actors (VideoDemographics.csv); the other actors of 1001…1091 are male.
    static let cremadFemale: Set<Int> = [
        1002, 1003, 1004, 1006, 1007, 1008, 1009, 1010, 1012, 1013, 1018, 1020, 1021, 1024, 1025, 1028, 1029, 1030,
        1037, 1043, 1046, 1047, 1049, 1052, 1053, 1054, 1055, 1056, 1058, 1060, 1061, 1063, 1072, 1073, 1074, 1075,
        1076, 1078, 1079, 1082, 1084, 1089, 1091,
    ]

    static let tessEmotions: [(code: String, emotion: Emotion)] = [
        ("angry", .angry), ("disgust", .disgust), ("fear", .fearful), ("happy", .happy), ("neutral", .neutral),
        ("ps", .surprised), ("sad", .sad),
    ]
    /// TESS's two speakers, both female: older and younger actress.
    static let tessSpeakers = ["OAF", "YAF"]

    static let saveeEmotions: [(code: String, emotion: Emotion)] = [
        ("a", .angry), ("d", .disgust), ("f", .fearful), ("h", .happy), ("n", .neutral), ("sa", .sad),
        ("su", .surprised),
    ]
    /// SAVEE's four speakers, all male.
    static let saveeSpeakers = ["DC", "JE", "JK", "KL"]

    /// EMO-DB's emotion letters (German initials: Wut/Ärger, Langeweile, Ekel, Angst, Freude, Trauer, neutral).
    static let emodbEmotions: [(code: String, emotion: Emotion)] = [
        ("W", .angry), ("L", .boredom), ("E", .disgust), ("A", .fearful), ("F", .happy), ("T", .sad),
        ("N", .neutral),
    ]
    /// EMO-DB's ten speakers and their genders.
    static let emodbSpeakers: [(speaker: String, gender: Gender)] = [
        ("03", .male), ("08", .female), ("09", .female), ("10", .male), ("11", .male), ("12", .male),
        ("13", .female), ("14", .female), ("15", .male), ("16", .female),
    ]

    static func parse(_ relativePath: String, layout: DatasetLayout) -> Result<CorpusName, CorpusNameError> {
        let fileName = (relativePath as NSString).lastPathComponent
        var stem = (fileName as NSString).deletingPathExtension
        func fail(_ reason: String) -> Result<CorpusName, CorpusNameError> {
            .failure(CorpusNameError(fileName: fileName, layout: layout, reason: reason))
        }
        // A copy suffix `_1`, `_2`, … (downloads and exports add them); never part of a name.
        if layout != .ravdess, let underscore = stem.lastIndex(of: "_"),
            stem[stem.index(after: underscore)...].allSatisfy({ $0.isASCII && $0.isNumber }),
            stem.index(after: underscore) < stem.endIndex
        {
            stem = String(stem[..<underscore])
        }
        switch layout {
        case .ravdess:
            do {
                let name = try RavdessName(parsing: fileName)
                return .success(
                    CorpusName(
                        speaker: name.speaker, gender: name.gender, nativeLabel: name.emotion.name,
                        emotion: name.emotion))
            } catch let error as RavdessNameError {
                return fail(error.reason)
            } catch {
                return fail("\(error)")
            }
        case .cremad:
            let parts = stem.split(separator: "_", omittingEmptySubsequences: false).map { $0.uppercased() }
            guard parts.count == 4 else { return fail("expected 4 fields separated by '_', found \(parts.count)") }
            guard parts[0].count == 4, let actor = Int(parts[0]), (1001...1091).contains(actor) else {
                return fail("actor '\(parts[0])' is not 1001-1091")
            }
            guard parts[1].count == 3, parts[1].allSatisfy({ $0.isASCII && $0.isLetter }) else {
                return fail("sentence '\(parts[1])' is not a three-letter code such as DFA")
            }
            guard let emotion = cremadEmotions.first(where: { $0.code == parts[2] }) else {
                return fail(
                    "emotion '\(parts[2])' is not one of \(cremadEmotions.map(\.code).joined(separator: ", "))")
            }
            guard cremadLevels.contains(parts[3]) else {
                return fail("level '\(parts[3])' is not one of LO, MD, HI, XX")
            }
            return .success(
                CorpusName(
                    speaker: String(actor), gender: cremadFemale.contains(actor) ? .female : .male,
                    nativeLabel: emotion.code, emotion: emotion.emotion))
        case .tess:
            let parts = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3 else {
                return fail("expected speaker_word_emotion separated by '_', found \(parts.count) fields")
            }
            let speaker = parts[0].uppercased()
            guard tessSpeakers.contains(speaker) else { return fail("speaker '\(parts[0])' is not OAF or YAF") }
            let written = parts[2...].joined(separator: "_").lowercased()
            let code =
                ["pleasant_surprise", "pleasant_surprised", "surprise", "surprised"].contains(written)
                ? "ps" : written
            guard let emotion = tessEmotions.first(where: { $0.code == code }) else {
                return fail(
                    "emotion '\(written)' is not one of \(tessEmotions.map(\.code).joined(separator: ", "))")
            }
            return .success(
                CorpusName(speaker: speaker, gender: .female, nativeLabel: emotion.code, emotion: emotion.emotion))
        case .savee:
            let parts = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
            let speaker: String
            let code: String
            if parts.count == 2 {
                speaker = parts[0].uppercased()
                code = parts[1]
            } else if parts.count == 1 {
                // The original release: SPEAKER/a01.wav.
                let folder = ((relativePath as NSString).deletingLastPathComponent as NSString).lastPathComponent
                speaker = folder.uppercased()
                code = parts[0]
            } else {
                return fail("expected SPEAKER_CODE (or SPEAKER/CODE) separated by '_', found \(parts.count) fields")
            }
            guard saveeSpeakers.contains(speaker) else {
                return fail("speaker '\(speaker)' is not one of \(saveeSpeakers.joined(separator: ", "))")
            }
            let letters = String(code.prefix { $0.isLetter }).lowercased()
            let digits = code.dropFirst(letters.count)
            guard let emotion = saveeEmotions.first(where: { $0.code == letters }) else {
                return fail(
                    "emotion '\(letters)' is not one of \(saveeEmotions.map(\.code).joined(separator: ", "))")
            }
            guard digits.count == 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return fail("sentence number '\(digits)' is not two digits")
            }
            return .success(
                CorpusName(speaker: speaker, gender: .male, nativeLabel: emotion.code, emotion: emotion.emotion))
        case .emodb:
            let characters = Array(stem)
            guard characters.count == 7 else {
                return fail("expected 7 characters (speaker, text, emotion, version), found \(characters.count)")
            }
            let speaker = String(characters[0..<2])
            guard let known = emodbSpeakers.first(where: { $0.speaker == speaker }) else {
                return fail(
                    "speaker '\(speaker)' is not one of \(emodbSpeakers.map(\.speaker).joined(separator: ", "))")
            }
            let text = String(characters[2..<5])
            guard characters[2].isASCII, characters[2].isLetter,
                characters[3...4].allSatisfy({ $0.isASCII && $0.isNumber })
            else { return fail("text code '\(text)' is not a letter and two digits such as a01") }
            let letter = String(characters[5]).uppercased()
            guard let emotion = emodbEmotions.first(where: { $0.code == letter }) else {
                return fail(
                    "emotion '\(characters[5])' is not one of \(emodbEmotions.map(\.code).joined(separator: ", "))")
            }
            guard characters[6].isASCII, characters[6].isLetter else {
                return fail("version '\(characters[6])' is not a letter")
            }
            return .success(
                CorpusName(speaker: speaker, gender: known.gender, nativeLabel: emotion.code, emotion: emotion.emotion))
        case .folders, .csv:
            return fail("the \(layout.rawValue) layout has no file-name rules")
        }
    }
}
