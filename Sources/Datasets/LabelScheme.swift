import Audio
import Foundation

/// What a label scheme reads from a file.
public enum LabelKind: String, CaseIterable, Sendable, Codable {
    /// 8 classes in RAVDESS code order: neutral, calm, happy, sad, angry, fearful, disgust, surprised.
    case emotion
    /// 16 classes `<gender>_<emotion>`: female_neutral … female_surprised, then male_neutral … male_surprised
    /// (genders alphabetical, emotions in code order), as in the original fastai notebook's labels.
    case genderEmotion = "gender_emotion"
    /// 2 classes: normal, strong.
    case intensity
    /// 2 classes: female, male (from the actor's parity).
    case gender
    /// The layout's own labels (class folder names or the CSV `label` column), sorted by `String` order.
    case given

    /// True for the kinds read from RAVDESS file names.
    public var needsRavdessNames: Bool { self != .given }

    /// The kind called `name`; "gender-emotion" and "genderEmotion" are accepted for `gender_emotion`.
    /// - Throws: ``DatasetError/unknownLabels(_:)`` listing the valid names.
    public init(parsing name: String) throws {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        if let kind = LabelKind(rawValue: key) {
            self = kind
        } else if key == "genderemotion" {
            self = .genderEmotion
        } else {
            throw DatasetError.unknownLabels(name)
        }
    }
}

/// Maps each file to a class index, with ordered class names. Optionally restricted to a subset of classes:
/// files of other classes are excluded and the kept classes stay in the kind's order (so the class indices
/// do not depend on the order the subset is written in).
public struct LabelScheme: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kind: LabelKind
    /// Class names to keep (nil keeps every class).
    public var subset: [String]?

    public init(_ kind: LabelKind, subset: [String]? = nil) {
        self.kind = kind
        self.subset = subset
    }

    public static let emotion = LabelScheme(.emotion)
    public static let genderEmotion = LabelScheme(.genderEmotion)
    public static let intensity = LabelScheme(.intensity)
    public static let gender = LabelScheme(.gender)
    public static let given = LabelScheme(.given)

    /// The `emotion` scheme restricted to `emotions`, e.g. `[.neutral, .happy, .sad, .angry]` → 4 classes.
    public static func emotions(_ emotions: [Emotion]) -> LabelScheme {
        LabelScheme(.emotion, subset: emotions.map(\.name))
    }

    /// `emotion` for RAVDESS, `given` for folders and CSV.
    public static func defaultScheme(for layout: DatasetLayout) -> LabelScheme {
        layout == .ravdess ? .emotion : .given
    }

    /// e.g. "emotion" or "emotion[neutral,happy,sad,angry]".
    public var description: String {
        guard let subset else { return kind.rawValue }
        return "\(kind.rawValue)[\(subset.joined(separator: ","))]"
    }

    /// The kind's fixed class names (nil for `given`, whose classes come from the data).
    public static func fixedClassNames(_ kind: LabelKind) -> [String]? {
        switch kind {
        case .emotion: return Emotion.allCases.map(\.name)
        case .genderEmotion: return Gender.allCases.flatMap { g in Emotion.allCases.map { "\(g.name)_\($0.name)" } }
        case .intensity: return Intensity.allCases.map(\.name)
        case .gender: return Gender.allCases.map(\.name)
        case .given: return nil
        }
    }

    /// A file's class name before subsetting; nil when the file lacks what the kind reads.
    public func className(of file: DatasetFile) -> String? {
        if kind == .given { return file.givenLabel }
        guard let name = file.ravdess else { return nil }
        switch kind {
        case .emotion: return name.emotion.name
        case .genderEmotion: return "\(name.gender.name)_\(name.emotion.name)"
        case .intensity: return name.intensity.name
        case .gender: return name.gender.name
        case .given: return nil
        }
    }

    /// Labels `files`. O(files + classes·log classes).
    /// - Returns: the class names in order, the items of kept classes (in file order) and the files whose
    ///   class is outside the subset.
    /// - Throws: ``DatasetError`` when the kind needs data the layout does not give, the subset is empty,
    ///   repeats or names unknown classes, or no file is left.
    public func apply(to files: [DatasetFile], layout: DatasetLayout) throws -> (
        classNames: [String], items: [DatasetItem], excluded: [DatasetFile]
    ) {
        if kind.needsRavdessNames && layout != .ravdess {
            throw DatasetError.schemeNeedsLayout(
                scheme: kind.rawValue, layout: layout,
                expected:
                    "it reads RAVDESS file names; use the '\(LabelKind.given.rawValue)' labels (the \(layout == .csv ? "CSV label column" : "class folder names"))"
            )
        }
        if kind == .given && layout == .ravdess {
            throw DatasetError.schemeNeedsLayout(
                scheme: kind.rawValue, layout: layout,
                expected: "RAVDESS files have no given labels; use one of: "
                    + LabelKind.allCases.filter(\.needsRavdessNames).map(\.rawValue).joined(separator: ", "))
        }
        let names = files.map { className(of: $0) }
        let all = Self.fixedClassNames(kind) ?? Array(Set(names.compactMap { $0 })).sorted()
        var classNames = all
        if let subset {
            guard !subset.isEmpty else { throw DatasetError.invalidSubset("no class names given") }
            var seen = Set<String>()
            for name in subset where !seen.insert(name).inserted {
                throw DatasetError.invalidSubset("class '\(name)' is listed twice")
            }
            let unknown = subset.filter { !all.contains($0) }
            guard unknown.isEmpty else {
                throw DatasetError.unknownClasses(unknown, scheme: kind.rawValue, valid: all)
            }
            classNames = all.filter { seen.contains($0) }
        }
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        var items = [DatasetItem]()
        var excluded = [DatasetFile]()
        items.reserveCapacity(files.count)
        for (file, name) in zip(files, names) {
            if let name, let classIndex = index[name] {
                items.append(DatasetItem(file: file, classIndex: classIndex, label: name))
            } else {
                excluded.append(file)
            }
        }
        if items.isEmpty, let subset { throw DatasetError.emptyAfterSubset(scheme: kind.rawValue, subset: subset) }
        return (classNames, items, excluded)
    }
}
