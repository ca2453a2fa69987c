import Audio
import Foundation

/// Why a dataset cannot be opened or labelled. Each message names the path or value and says what was expected.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The dataset path does not exist.
    case missing(path: String)
    /// The path is a file where a folder was expected (layouts ravdess and folders).
    case notADirectory(path: String, layout: DatasetLayout)
    /// With the layout detected, a path that is a file but not a `.csv` manifest.
    case notADirectoryOrManifest(path: String)
    /// The CSV layout was given a folder without exactly one `.csv` file directly inside it.
    case manifestNotFound(path: String, candidates: [String])
    /// The folder holds no .wav/.flac/.ogg files.
    case noAudioFiles(path: String)
    /// A layout name that is not ravdess, folders or csv.
    case unknownLayout(String)
    /// A label scheme name that is not one of ``LabelKind``.
    case unknownLabels(String)
    /// The RAVDESS layout found audio files but none with a RAVDESS name; `example` is one file's reason.
    case noRavdessNames(path: String, audioFiles: Int, example: String)
    /// A built-in corpus layout found audio files but none named by its rules; `example` is one file's reason.
    case noCorpusNames(path: String, layout: DatasetLayout, audioFiles: Int, example: String)
    /// The `emotion` (or `gender_emotion`) scheme met a given label (class folder, CSV label) that is not an
    /// emotion of the vocabulary: the file (with its manifest line) and the label.
    case unknownEmotion(file: String, label: String)
    /// The `gender` (or `gender_emotion`) scheme met a file without a gender.
    case missingGender(file: String, layout: DatasetLayout)
    /// A `label_map` entry: `key` is not a label of the layout, or `target` is not an emotion.
    case labelMap(key: String, target: String, problem: String)
    /// The folders layout found audio files but none inside a class folder.
    case noClassFolders(path: String)
    /// A malformed CSV manifest: the file, its 1-based line, and what was expected.
    case manifest(path: String, line: Int, message: String)
    /// A label scheme that needs data the layout does not give (e.g. `emotion` on a folders layout).
    case schemeNeedsLayout(scheme: String, layout: DatasetLayout, expected: String)
    /// Class-subset names that the scheme does not have.
    case unknownClasses([String], scheme: String, valid: [String])
    /// A class subset that is empty or lists a class twice.
    case invalidSubset(String)
    /// No file has a class in the chosen subset.
    case emptyAfterSubset(scheme: String, subset: [String])
    /// The path is `/` or lies in `/proc`, `/sys` or `/dev` (`folder`): not a corpus, and walking it may not end.
    case systemFolder(path: String, folder: String)
    /// The folder tree holds more than `limit` entries (``AudioFiles/maximumEntries``): a folder above a corpus.
    case tooManyEntries(path: String, limit: Int)
    /// A stop was requested (Ctrl-C) while the corpus at `path` was read.
    case stopped(path: String)
    /// The dataset path (or its manifest) is a FIFO, socket or device, which is never opened.
    case specialFile(path: String, kind: FileKind)
    /// `split.kind: manifest` on a manifest (`path`) without a `split` column.
    case noSplitColumn(path: String)
    /// A manifest row's `split` cell that is not train, valid or test: the file (with its manifest line).
    case unknownSplitPart(file: String, value: String)
    /// Under `split.kind: manifest`, no kept file of the manifest (`path`) is in `part` (train or valid).
    case emptySplitPart(path: String, part: SplitPart)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such file or directory; expected a dataset folder or a CSV manifest"
        case .notADirectory(let path, let layout):
            return "\(path): not a directory; the \(layout.rawValue) layout expects a folder of audio files"
        case .notADirectoryOrManifest(let path):
            return "\(path): not a directory or a .csv manifest; expected a dataset folder or a CSV manifest"
        case .manifestNotFound(let path, let candidates):
            return candidates.isEmpty
                ? "\(path): no .csv manifest in this folder; the csv layout expects a manifest file or a folder holding one"
                : "\(path): several .csv files (\(candidates.joined(separator: ", "))); name the manifest file itself"
        case .noAudioFiles(let path):
            return "\(path): no audio files (.wav, .flac, .ogg) found in this folder or below it"
        case .unknownLayout(let name):
            return
                "unknown layout '\(name)'; expected one of: \(DatasetLayout.allCases.map(\.rawValue).joined(separator: ", "))"
        case .unknownLabels(let name):
            return
                "unknown label scheme '\(name)'; expected one of: \(LabelKind.allCases.map(\.rawValue).joined(separator: ", "))"
        case .noRavdessNames(let path, let count, let example):
            return
                "\(path): none of the \(count) audio files has a RAVDESS name (MM-VV-EE-II-SS-RR-AA.ext); e.g. \(example)"
        case .noCorpusNames(let path, let layout, let count, let example):
            return
                "\(path): none of the \(count) audio files is named like \(layout.displayName) files (\(layout.namePattern ?? "")); e.g. \(example)"
        case .unknownEmotion(let file, let label):
            return "\(file): label '\(label)' is not an emotion; expected one of "
                + Emotion.allCases.map(\.name).joined(separator: ", ")
                + " (or map it with data.label_map, e.g. {\(label): neutral}, or use labels: given)"
        case .missingGender(let file, let layout):
            return "\(file): no gender; the \(layout.rawValue) layout gives genders only "
                + (layout == .csv ? "in a 'gender' column (female/male)" : "for the built-in corpora")
                + "; use labels: emotion or given"
        case .labelMap(let key, let target, let problem):
            return "label_map entry '\(key): \(target)': \(problem)"
        case .noClassFolders(let path):
            return "\(path): no audio files inside class folders; the folders layout expects \(path)/<label>/…/*.wav"
        case .manifest(let path, let line, let message):
            return line > 0 ? "\(path):\(line): \(message)" : "\(path): \(message)"
        case .schemeNeedsLayout(let scheme, let layout, let expected):
            return "label scheme '\(scheme)' cannot be used with the \(layout.rawValue) layout; \(expected)"
        case .unknownClasses(let names, let scheme, let valid):
            return "unknown class\(names.count == 1 ? "" : "es") \(names.map { "'\($0)'" }.joined(separator: ", ")) "
                + "for label scheme '\(scheme)'; expected some of: \(valid.joined(separator: ", "))"
        case .invalidSubset(let message):
            return "invalid class subset: \(message)"
        case .emptyAfterSubset(let scheme, let subset):
            return "no file has a class in the subset \(subset.joined(separator: ", ")) of label scheme '\(scheme)'"
        case .systemFolder(let path, let folder):
            let place = path == folder ? "is the system folder \(folder)" : "lies in the system folder \(folder)"
            return "\(path): \(place), not a corpus; point data.path (or the command's folder) at the corpus folder"
        case .tooManyEntries(let path, let limit):
            return
                "\(path): more than \(limit) entries in this folder tree, so it is not a corpus folder; point data.path "
                + "(or the command's folder) at the folder that holds the audio files"
        case .stopped(let path):
            return "stopped while reading \(path) (a stop was requested)"
        case .specialFile(let path, let kind):
            return "\(path): is \(kind.name), not a regular file or folder; expected a dataset folder or a CSV manifest"
        case .noSplitColumn(let path):
            return "\(path): no 'split' column; split.kind manifest reads each row's part (train, valid or test) "
                + "from it: add the column or choose another split.kind"
        case .unknownSplitPart(let file, let value):
            return "\(file): split '\(value)' is not a part; expected train, valid or test (split.kind manifest)"
        case .emptySplitPart(let path, let part):
            return "\(path): no file is in the '\(part.rawValue)' part of the split column (after the data filters); "
                + "split.kind manifest needs train and valid rows"
        }
    }
}

extension DatasetError: LocalizedError {
    public var errorDescription: String? { description }
}
