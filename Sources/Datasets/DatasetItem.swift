import Foundation

/// One audio file found by a layout, before a label scheme gives it a class.
public struct DatasetFile: Sendable, Hashable, Codable {
    /// Absolute path of the audio file.
    public var path: String
    /// Path relative to the dataset's root folder (the manifest's folder for CSV), for reports.
    public var relativePath: String
    /// Speaker id: the two-digit actor ("01"..."24") for RAVDESS, the `speaker` column for CSV, nil for folders
    /// (and for CSV rows with an empty speaker).
    public var speaker: String?
    /// The label the layout itself gives: the class folder's name, or the CSV `label` column. Nil for RAVDESS.
    public var givenLabel: String?
    /// The parsed file name, for the RAVDESS layout only.
    public var ravdess: RavdessName?
    /// The canonical emotion: from the name for the built-in corpus layouts (after `data.label_map`), nil for
    /// folders and csv (whose given label is read as an emotion by the `emotion` scheme).
    public var emotion: Emotion?
    /// The corpus's own emotion code ("ANG", "ps", "W", …) for the built-in corpus layouts.
    public var nativeLabel: String?
    /// The speaker's gender: from the corpus's speaker table or RAVDESS actor, or the CSV `gender` column.
    public var gender: Gender?
    /// The corpus the file belongs to (a `data.sources` entry's name); nil for a single corpus.
    public var corpus: String?
    /// A CSV manifest's other columns (header name → value); nil for other layouts.
    public var metadata: [String: String]?
    /// The 1-based manifest line of a CSV row, for error messages.
    public var line: Int?

    public init(
        path: String, relativePath: String, speaker: String? = nil, givenLabel: String? = nil,
        ravdess: RavdessName? = nil, emotion: Emotion? = nil, nativeLabel: String? = nil, gender: Gender? = nil
    ) {
        self.path = path
        self.relativePath = relativePath
        self.speaker = speaker
        self.givenLabel = givenLabel
        self.ravdess = ravdess
        self.emotion = emotion ?? ravdess?.emotion
        self.nativeLabel = nativeLabel ?? ravdess?.emotion.name
        self.gender = gender ?? ravdess?.gender
    }

    /// Where the file is, for error messages: the manifest line for CSV rows, else the relative path.
    public var origin: String { line.map { "\(relativePath) (manifest line \($0))" } ?? relativePath }
}

/// A file with its class under a label scheme: what splits, batches and training consume.
public struct DatasetItem: Sendable, Hashable, Codable {
    public var file: DatasetFile
    /// Index into ``Dataset/classNames``.
    public var classIndex: Int
    /// ``Dataset/classNames``[classIndex], kept for readable reports.
    public var label: String

    public init(file: DatasetFile, classIndex: Int, label: String) {
        self.file = file
        self.classIndex = classIndex
        self.label = label
    }

    /// Absolute path of the audio file.
    public var path: String { file.path }
    /// Speaker id (RAVDESS actor "01"..."24", CSV speaker column, nil for folders).
    public var speaker: String? { file.speaker }
    /// The parsed RAVDESS name, when the layout is RAVDESS.
    public var ravdess: RavdessName? { file.ravdess }
}

/// A file that is reported rather than used: an unparseable RAVDESS name, an audio file outside any class
/// folder, a manifest row whose file is missing, or (in a scan) a file libsndfile cannot open.
public struct DatasetProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file concerned (relative to the dataset root when inside it).
    public var path: String
    /// Why it is not used, e.g. libsndfile's message or the name field that does not parse.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
