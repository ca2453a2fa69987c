import Audio
import Foundation

/// What a label scheme reads from a file.
public enum LabelKind: String, CaseIterable, Sendable, Codable {
    /// The canonical emotions the corpus can give, in vocabulary order (RAVDESS: its 8 in code order; folders
    /// and csv: their labels read as emotions).
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

    /// True for the kinds a spec named before any corpus but RAVDESS was supported (every kind but `given`).
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

    /// `emotion` for the built-in corpus layouts, `given` for folders and CSV.
    public static func defaultScheme(for layout: DatasetLayout) -> LabelScheme {
        layout.readsNames ? .emotion : .given
    }

    /// e.g. "emotion" or "emotion[neutral,happy,sad,angry]".
    public var description: String {
        guard let subset else { return kind.rawValue }
        return "\(kind.rawValue)[\(subset.joined(separator: ","))]"
    }

    /// The kind's fixed class names for RAVDESS (nil for `given`, whose classes come from the data).
    public static func fixedClassNames(_ kind: LabelKind) -> [String]? {
        fixedClassNames(kind, emotions: Emotion.ravdess)
    }

    /// The kind's class names when the corpus can give `emotions` (nil for `given`, whose classes come from
    /// the data).
    public static func fixedClassNames(_ kind: LabelKind, emotions: [Emotion]) -> [String]? {
        switch kind {
        case .emotion: return emotions.map(\.name)
        case .genderEmotion: return Gender.allCases.flatMap { g in emotions.map { "\(g.name)_\($0.name)" } }
        case .intensity: return Intensity.allCases.map(\.name)
        case .gender: return Gender.allCases.map(\.name)
        case .given: return nil
        }
    }

    /// A file's emotion: from its name, or its given label read as an emotion.
    public static func emotion(of file: DatasetFile) -> Emotion? {
        file.emotion ?? file.givenLabel.flatMap(Emotion.init(label:))
    }

    /// A file's class name before subsetting; nil when the file lacks what the kind reads.
    public func className(of file: DatasetFile) -> String? {
        switch kind {
        case .given: return file.givenLabel ?? file.nativeLabel
        case .emotion: return Self.emotion(of: file)?.name
        case .genderEmotion:
            guard let gender = file.gender, let emotion = Self.emotion(of: file) else { return nil }
            return "\(gender.name)_\(emotion.name)"
        case .intensity: return file.ravdess?.intensity.name
        case .gender: return file.gender?.name
        }
    }

    /// ``className(of:)``, or the error that names the file and what it lacks.
    func checkedClassName(of file: DatasetFile, layout: DatasetLayout) throws -> String {
        if let name = className(of: file) { return name }
        if kind == .gender || kind == .genderEmotion, file.gender == nil {
            throw DatasetError.missingGender(file: file.origin, layout: layout)
        }
        if kind == .emotion || kind == .genderEmotion, let label = file.givenLabel {
            throw DatasetError.unknownEmotion(file: file.origin, label: label)
        }
        throw DatasetError.schemeNeedsLayout(
            scheme: kind.rawValue, layout: layout, expected: "\(file.origin) has no \(kind.rawValue) label")
    }

    /// Labels `files`. O(files + classes·log classes).
    /// - Parameter emotions: the emotions the corpus can give (``DatasetListing/emotions``), which fix the
    ///   classes of `emotion` and `gender_emotion`; nil: RAVDESS's eight for RAVDESS, else those of the files.
    /// - Returns: the class names in order, the items of kept classes (in file order) and the files whose
    ///   class is outside the subset.
    /// - Throws: ``DatasetError`` when the kind needs data the layout does not give (naming the file), the
    ///   subset is empty, repeats or names unknown classes, or no file is left.
    public func apply(to files: [DatasetFile], layout: DatasetLayout, emotions: [Emotion]? = nil) throws -> (
        classNames: [String], items: [DatasetItem], excluded: [DatasetFile]
    ) {
        if kind == .intensity && layout != .ravdess {
            throw DatasetError.schemeNeedsLayout(
                scheme: kind.rawValue, layout: layout,
                expected: "intensity is read from RAVDESS names only; use emotion, gender, gender_emotion or given")
        }
        if kind == .given && layout == .ravdess {
            throw DatasetError.schemeNeedsLayout(
                scheme: kind.rawValue, layout: layout,
                expected: "RAVDESS files have no given labels; use one of: "
                    + LabelKind.allCases.filter(\.needsRavdessNames).map(\.rawValue).joined(separator: ", "))
        }
        let names = try files.map { try checkedClassName(of: $0, layout: layout) }
        let corpusEmotions =
            emotions ?? (layout == .ravdess ? Emotion.ravdess : DatasetListing.ordered(files.compactMap(Self.emotion)))
        let all = Self.fixedClassNames(kind, emotions: corpusEmotions) ?? Array(Set(names)).sorted()
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
            if let classIndex = index[name] {
                items.append(DatasetItem(file: file, classIndex: classIndex, label: name))
            } else {
                excluded.append(file)
            }
        }
        if items.isEmpty, let subset { throw DatasetError.emptyAfterSubset(scheme: kind.rawValue, subset: subset) }
        return (classNames, items, excluded)
    }
}
