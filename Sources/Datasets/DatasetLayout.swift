import Audio
import Foundation

/// How a corpus is organised on disk.
public enum DatasetLayout: String, CaseIterable, Sendable, Codable {
    /// Any folder tree of `MM-VV-EE-II-SS-RR-AA.{wav,flac,ogg}` files; speaker = actor.
    case ravdess
    /// `ROOT/<label>/**/*.{wav,flac,ogg}`: the first folder below the root is the class; no speaker.
    case folders
    /// A CSV manifest with a header row and columns `path,label[,speaker]`; paths relative to its folder.
    case csv

    /// The layout called `name`.
    /// - Throws: ``DatasetError/unknownLayout(_:)`` listing the valid names.
    public init(parsing name: String) throws {
        guard let layout = DatasetLayout(rawValue: name.lowercased()) else { throw DatasetError.unknownLayout(name) }
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

    /// Lists the corpus at `path` with `layout`, or detects the layout when nil: a `.csv` file is a CSV
    /// manifest; a folder is RAVDESS when more than half of its audio file names parse, else folders.
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
        var parsed = [(String, Result<RavdessName, RavdessNameError>)]()
        parsed.reserveCapacity(audio.count)
        for relative in audio {
            parsed.append(
                (relative, Result { try RavdessName(parsing: relative) }.mapError { $0 as! RavdessNameError }))
        }
        let parsedCount = parsed.filter { (try? $0.1.get()) != nil }.count
        var listing = DatasetListing(
            source: source, root: source, layout: layout ?? .folders, detection: nil, files: [], problems: [],
            ignoredFiles: walk.otherFiles, skipped: walk.skipped)
        if layout == nil {
            let ravdess = parsedCount * 2 > audio.count
            listing.layout = ravdess ? .ravdess : .folders
            listing.detection =
                ravdess
                ? "\(parsedCount) of \(audio.count) audio file names are RAVDESS names"
                : "only \(parsedCount) of \(audio.count) audio file names are RAVDESS names"
        }
        switch listing.layout {
        case .ravdess:
            for (relative, result) in parsed {
                switch result {
                case .success(let name):
                    listing.files.append(
                        DatasetFile(
                            path: source + "/" + relative, relativePath: relative, speaker: name.speaker, ravdess: name)
                    )
                case .failure(let error):
                    listing.problems.append(DatasetProblem(path: relative, reason: error.description))
                }
            }
            guard !listing.files.isEmpty else {
                throw DatasetError.noRavdessNames(
                    path: path, audioFiles: audio.count, example: listing.problems.first?.reason ?? "")
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
            preconditionFailure("handled above")
        }
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
