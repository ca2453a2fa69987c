import Audio
import Foundation

/// How a corpus is organised on disk. The built-in corpus layouts read speaker, gender and emotion from file
/// names (see ``CorpusName``); `folders` and `csv` give labels (and, for CSV, speakers and genders) directly.
public enum DatasetLayout: String, CaseIterable, Sendable, Codable {
    /// Any folder tree of `MM-VV-EE-II-SS-RR-AA.{wav,flac,ogg}` files; speaker = actor.
    case ravdess
    /// CREMA-D: `1001_DFA_ANG_XX.wav` (actor 1001–1091, sentence, emotion, level).
    case cremad
    /// TESS: `OAF_back_angry.wav` (speaker OAF/YAF, word, emotion), usually in `OAF_angry/` folders.
    case tess
    /// SAVEE: `DC_a01.wav` (speaker DC/JE/JK/KL, emotion code, sentence), or `DC/a01.wav`.
    case savee
    /// EMO-DB (Berlin): `03a01Fa.wav` (speaker, text, emotion letter, version).
    case emodb
    /// `ROOT/<label>/**/*.{wav,flac,ogg}`: the first folder below the root is the class; no speaker.
    case folders
    /// A CSV manifest with a header row and columns `path,label[,speaker][,gender][,split]`; paths relative
    /// to its folder; other columns are kept as metadata.
    case csv

    /// The layouts read from file names, in the order detection tries them.
    public static let named: [DatasetLayout] = allCases.filter { $0.readsNames }

    /// The layout called `name` (case-insensitive; `-` and `_` are ignored, so `crema-d` and `emo_db` work).
    /// - Throws: ``DatasetError/unknownLayout(_:)`` listing the valid names.
    public init(parsing name: String) throws {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard let layout = DatasetLayout(rawValue: key) else { throw DatasetError.unknownLayout(name) }
        self = layout
    }
}

/// The audio files of a corpus as a layout finds them, with the files it could not use.
public struct DatasetListing: Sendable {
    /// The absolute path given: the dataset folder, or the manifest for CSV.
    public var source: String
    /// The folder that ``DatasetFile/relativePath`` is relative to.
    public var root: String
    public var layout: DatasetLayout
    /// Why the layout was chosen when it was detected (e.g. "1200 of 1200 audio file names are RAVDESS names");
    /// nil when the caller named the layout.
    public var detection: String?
    /// Usable files, sorted by relative path (CSV: manifest order).
    public var files: [DatasetFile]
    /// Audio files that are reported rather than used (unparseable names, files outside class folders,
    /// missing or repeated manifest rows).
    public var problems: [DatasetProblem]
    /// Regular non-audio, non-hidden files skipped (README.md, …); 0 for CSV.
    public var ignoredFiles: Int
    /// Entries of the folder the walk did not use (special files, loops, repeated files, dangling links,
    /// unreadable folders, …) with the reason; empty for CSV.
    public var skipped: [SkippedEntry]
    /// The emotions the layout can give, in vocabulary order, after a label map (nil for folders and csv,
    /// whose emotions are read from the data).
    public var emotions: [Emotion]?

    public init(
        source: String, root: String, layout: DatasetLayout, detection: String?, files: [DatasetFile],
        problems: [DatasetProblem], ignoredFiles: Int, skipped: [SkippedEntry], emotions: [Emotion]? = nil
    ) {
        self.source = source
        self.root = root
        self.layout = layout
        self.detection = detection
        self.files = files
        self.problems = problems
        self.ignoredFiles = ignoredFiles
        self.skipped = skipped
        self.emotions = emotions
    }

    /// `emotions` once each, in vocabulary order.
    static func ordered(_ emotions: [Emotion]) -> [Emotion] { Array(Set(emotions)).sorted() }

    /// Lists the corpus at `path` with `layout`, or detects the layout when nil: a `.csv` file is a CSV
    /// manifest; a folder has the built-in corpus layout under which most audio file names parse, when more than half do
    /// (tried in ``named`` order), else folders.
    /// With the CSV layout, `path` may be a folder holding exactly one `.csv` file. Folders are listed by
    /// ``AudioFiles/walk(_:limit:shouldStop:)``. O(files) file-system calls; no audio is opened.
    /// - Parameter shouldStop: asked while the folder is read; true ends the listing with
    ///   ``DatasetError/stopped(path:)``.
    /// - Throws: ``DatasetError`` for a missing path, a file where a folder is expected, a FIFO or device,
    ///   a system folder or a tree too large to be a corpus, a folder without audio files, a layout that
    ///   finds no usable file, a malformed manifest, or a stop request.
    public static func make(
        _ path: String, layout: DatasetLayout? = nil, shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> DatasetListing {
        let source = AudioFiles.absolute(path)
        guard let kind = FileKind(atPath: source) else { throw DatasetError.missing(path: path) }
        if kind.isSpecial { throw DatasetError.specialFile(path: path, kind: kind) }
        if kind != .directory {
            guard layout == nil || layout == .csv else { throw DatasetError.notADirectory(path: path, layout: layout!) }
            guard layout == .csv || (source as NSString).pathExtension.lowercased() == "csv" else {
                throw DatasetError.notADirectoryOrManifest(path: path)
            }
            return try csv(manifest: source, detection: layout == nil ? "the path is a .csv file" : nil)
        }
        if layout == .csv {
            return try csv(manifest: try manifest(in: source, given: path), detection: nil)
        }
        let walk = try AudioFiles.walk(source, shouldStop: shouldStop)
        let audio = walk.audio
        guard !audio.isEmpty else { throw DatasetError.noAudioFiles(path: path) }
        var listing = DatasetListing(
            source: source, root: source, layout: layout ?? .folders, detection: nil, files: [], problems: [],
            ignoredFiles: walk.otherFiles, skipped: walk.skipped)
        var parsed: [Result<CorpusName, CorpusNameError>] = []
        if let layout {
            if layout.readsNames { parsed = audio.map { layout.parseName($0) } }
        } else {
            // The named layout most file names parse under, if more than half do; else folders.
            var best: (layout: DatasetLayout, count: Int, parsed: [Result<CorpusName, CorpusNameError>])?
            for candidate in DatasetLayout.named {
                let results = audio.map { candidate.parseName($0) }
                let count = results.filter { (try? $0.get()) != nil }.count
                if count > best?.count ?? 0 { best = (candidate, count, results) }
            }
            if let best, best.count * 2 > audio.count {
                listing.layout = best.layout
                parsed = best.parsed
                listing.detection =
                    "\(best.count) of \(audio.count) audio file names are \(best.layout.displayName) names"
            } else {
                listing.layout = .folders
                listing.detection =
                    "only \(best?.count ?? 0) of \(audio.count) audio file names are \(best?.layout.displayName ?? "RAVDESS") names"
            }
        }
        switch listing.layout {
        case .ravdess, .cremad, .tess, .savee, .emodb:
            for (relative, result) in zip(audio, parsed) {
                switch result {
                case .success(let name):
                    listing.files.append(
                        DatasetFile(
                            path: source + "/" + relative, relativePath: relative, speaker: name.speaker,
                            ravdess: listing.layout == .ravdess ? try? RavdessName(parsing: relative) : nil,
                            emotion: name.emotion, nativeLabel: name.nativeLabel, gender: name.gender))
                case .failure(let error):
                    listing.problems.append(DatasetProblem(path: relative, reason: error.description))
                }
            }
            guard !listing.files.isEmpty else {
                if listing.layout == .ravdess {
                    throw DatasetError.noRavdessNames(
                        path: path, audioFiles: audio.count, example: listing.problems.first?.reason ?? "")
                }
                throw DatasetError.noCorpusNames(
                    path: path, layout: listing.layout, audioFiles: audio.count,
                    example: listing.problems.first?.reason ?? "")
            }
        case .folders:
            for relative in audio {
                let components = relative.split(separator: "/")
                guard components.count >= 2 else {
                    listing.problems.append(
                        DatasetProblem(
                            path: relative, reason: "not inside a class folder (expected <label>/…/\(relative))"))
                    continue
                }
                listing.files.append(
                    DatasetFile(
                        path: source + "/" + relative, relativePath: relative, givenLabel: String(components[0])))
            }
            guard !listing.files.isEmpty else { throw DatasetError.noClassFolders(path: path) }
        case .csv:
            throw DatasetError.notADirectory(path: path, layout: .csv)
        }
        listing.emotions = listing.layout.nativeEmotions.map { Self.ordered($0.map(\.emotion)) }
        return listing
    }

    private static func csv(manifest: String, detection: String?) throws -> DatasetListing {
        // Reading a FIFO named *.csv would block until a writer appears.
        if let kind = FileKind(atPath: manifest), kind.isSpecial {
            throw DatasetError.specialFile(path: manifest, kind: kind)
        }
        let (files, problems) = try CSVManifest.read(manifest)
        guard !files.isEmpty else {
            throw DatasetError.manifest(
                path: manifest, line: 0,
                message: problems.isEmpty
                    ? "no rows after the header; expected one row per audio file"
                    : "none of the listed files exists (\(problems.count) listed)")
        }
        return DatasetListing(
            source: manifest, root: (manifest as NSString).deletingLastPathComponent, layout: .csv,
            detection: detection, files: files, problems: problems, ignoredFiles: 0, skipped: [])
    }

    /// The single `.csv` file directly inside `folder`.
    private static func manifest(in folder: String, given path: String) throws -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { !$0.hasPrefix(".") && ($0 as NSString).pathExtension.lowercased() == "csv" }.sorted()
        guard names.count == 1 else { throw DatasetError.manifestNotFound(path: path, candidates: names) }
        return folder + "/" + names[0]
    }
}
