import Audio
import Datasets
import Foundation
import Specs
import Synth

/// The labelled files of one run: the corpus after `data:` filters, plus a `test.path`/`test.manifest`
/// set appended at the end, and which items are test items.
public struct RunData: Sendable {
    /// Training/validation items first, then test-set items from another folder (if any).
    public var items: [DatasetItem]
    public var classNames: [String]
    /// The label scheme's description (e.g. `emotion` or `emotion[happy,sad]`).
    public var labelScheme: String
    /// Item indices of a `test.path`/`test.manifest` set.
    public var testIndices: Set<Int>
    /// Speakers held out as `test.actors` or `test.speakers`.
    public var testSpeakers: Set<String>
    /// Files of a `test.path` corpus whose class the model does not know, per class name: reported, not scored.
    public var unknownTestClasses: [String: Int] = [:]
    /// Under `split.kind: manifest`, the indices of the items the manifest's `split` column puts in `valid`
    /// (its `test` rows are in ``testIndices``); nil for the other split kinds.
    public var manifestValid: Set<Int>?
    /// The corpus folder the items came from.
    public var root: String

    /// Lists and labels the corpus of `spec` (making the synthetic corpus under `paths` first when
    /// `data.synthetic` is set). Reads only the file system (and writes the synthetic corpus once). Entries
    /// the walk skipped (special files, loops, repeated files, …) are logged with their reasons.
    /// - Parameter shouldStop: asked while folders are read (see ``DatasetListing/make(_:layout:shouldStop:)``).
    /// - Throws: `DatasetError`/`SyntheticCorpusError` naming the path (`DatasetError.stopped` after a stop
    ///   request), or `RunnerError.data`.
    public static func load(
        _ spec: ExperimentSpec, paths: RunnerPaths, log: (String) -> Void = { _ in },
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> RunData {
        let root: String
        if let sources = spec.data.sources {
            root = sources.map(\.path).joined(separator: ", ")
        } else if let synthetic = spec.data.synthetic {
            let layout = spec.data.layout
            let folder = paths.syntheticCorpus(actors: synthetic.actors, seed: synthetic.seed, layout: layout).path
            let outcome = try SyntheticCorpus.ensureReporting(
                at: folder, actors: synthetic.actors, seed: UInt64(synthetic.seed), layout: layout
            ).outcome
            if outcome != .reused {
                log(
                    "made the synthetic corpus (\(synthetic.actors) actors, seed \(synthetic.seed)"
                        + (layout == .ravdess ? "" : ", \(layout.rawValue) layout") + ") in \(folder)"
                )
            }
            root = layout == .csv ? folder + "/" + SyntheticCorpus.manifestName : folder
        } else if let path = spec.data.path {
            root = path
        } else {
            throw RunnerError.data(
                "no data: set data.path, data.synthetic, or the \(SpecLoader.dataEnvironmentVariable) environment variable"
            )
        }
        let layout = spec.data.layout
        let scheme = spec.labelScheme()
        var listing: DatasetListing
        if let sources = spec.data.sources {
            listing = try combined(sources, kind: scheme.kind, log: log, shouldStop: shouldStop)
        } else {
            listing = try DatasetListing.make(root, layout: layout, shouldStop: shouldStop)
            logSkipped(listing, log: log)
            if let map = spec.data.labelMap { listing = try LabelMap(map).apply(to: listing) }
        }
        listing.files = listing.files.filter { keep($0, spec.data) }
        guard !listing.files.isEmpty else {
            throw RunnerError.data("no file of \(root) is left after the data.speakers/emotions/intensity filters")
        }
        let dataset = try Dataset(listing: listing, labels: scheme)
        if spec.data.emotions != nil, scheme.kind == .emotion {
            // A class data.emotions asks for that no file has would be a class the model never sees.
            let counts = dataset.classCounts
            let empty = dataset.classNames.indices.filter { counts[$0] == 0 }.map { dataset.classNames[$0] }
            if !empty.isEmpty {
                throw RunnerError.data(
                    "data.emotions names \(empty.joined(separator: ", ")) but no file of \(root) has "
                        + (empty.count == 1 ? "that class" : "those classes")
                        + " (after data.label_map and the data filters); remove it from data.emotions or map a "
                        + "label to it with data.label_map")
            }
        }
        var items = dataset.items
        var testIndices = Set<Int>()
        var manifestValid: Set<Int>?
        if spec.split.kind == .manifest {
            // The items are the first `dataset.items.count` of `items`, in manifest order.
            let parts = try SplitPart.parts(of: dataset.items.map(\.file), source: listing.source)
            manifestValid = Set(parts.indices.filter { parts[$0] == .valid })
            testIndices.formUnion(parts.indices.filter { parts[$0] == .test })
        }
        var unknownTestClasses = [String: Int]()
        if let test = spec.test, let source = test.path ?? test.manifest {
            var testListing = try DatasetListing.make(
                source, layout: test.manifest != nil ? .csv : (test.layout ?? layout), shouldStop: shouldStop)
            logSkipped(testListing, log: log)
            if let map = test.labelMap { testListing = try LabelMap(map).apply(to: testListing) }
            // Not filtered by data.emotions: the test corpus's classes the model does not know are counted and
            // reported, not scored.
            testListing.files = testListing.files.filter { keep($0, spec.data, actors: false, emotions: false) }
            let testSet = try Dataset(listing: testListing, labels: LabelScheme(scheme.kind))
            let index = Dictionary(uniqueKeysWithValues: dataset.classNames.enumerated().map { ($1, $0) })
            for var item in testSet.items {
                guard let classIndex = index[item.label] else {
                    unknownTestClasses[item.label, default: 0] += 1
                    continue
                }
                item.classIndex = classIndex
                testIndices.insert(items.count)
                items.append(item)
            }
            guard !testIndices.isEmpty else {
                throw RunnerError.testLabels(
                    path: source, unknown: unknownTestClasses.keys.sorted(), known: dataset.classNames)
            }
            if !unknownTestClasses.isEmpty {
                let count = unknownTestClasses.values.reduce(0, +)
                log(
                    "test set \(source): \(count) file\(count == 1 ? "" : "s") of classes the model does not know, "
                        + "not scored: " + Self.describe(unknownTestClasses) + "; \(testIndices.count) files scored")
            }
        }
        let bySpeaker = spec.split.kind == .speakers || spec.split.kind == .kfoldSpeakers
        if bySpeaker || spec.test?.heldOutSpeakers != nil,
            let item = dataset.items.first(where: { $0.speaker == nil })
        {
            let key = bySpeaker ? "split.kind \(spec.split.kind.rawValue)" : "test.speakers"
            throw RunnerError.data(
                "\(item.file.origin) has no speaker, but \(key) needs one for every file; the \(dataset.layout.rawValue) "
                    + "layout gives none (use a CSV manifest with a speaker column, or split.kind random)")
        }
        let testSpeakers = Set(spec.test?.heldOutSpeakers ?? [])
        var data = RunData(
            items: items, classNames: dataset.classNames, labelScheme: scheme.description, testIndices: testIndices,
            testSpeakers: testSpeakers, root: root)
        data.unknownTestClasses = unknownTestClasses
        data.manifestValid = manifestValid
        return data
    }

    /// The files of several corpora as one listing, each file tagged with its corpus's name; the classes of
    /// `emotion` are the union of the corpora's emotions.
    /// - Throws: the corpora's own errors (a scheme that does not fit one names it), and `RunnerError.data`
    ///   naming a file listed by two sources.
    static func combined(
        _ sources: [DataSpec.SourceSpec], kind: LabelKind, log: (String) -> Void,
        shouldStop: @escaping @Sendable () -> Bool
    ) throws -> DatasetListing {
        var files = [DatasetFile]()
        var emotions = Set<Emotion>()
        var owner = [String: (corpus: String, path: String)]()  // real path → the source that listed it first
        for source in sources {
            var listing = try DatasetListing.make(source.path, layout: source.layout, shouldStop: shouldStop)
            logSkipped(listing, log: log)
            if let map = source.labelMap { listing = try LabelMap(map).apply(to: listing) }
            // The scheme must fit each corpus (e.g. intensity only RAVDESS): its error names the corpus's layout.
            _ = try LabelScheme(kind).apply(to: listing.files, layout: listing.layout, emotions: listing.emotions)
            emotions.formUnion(listing.emotions ?? listing.files.compactMap(LabelScheme.emotion(of:)))
            for var file in listing.files {
                let real = URL(fileURLWithPath: file.path).resolvingSymlinksInPath().path
                if let first = owner[real] {
                    throw RunnerError.data(
                        "\(file.path) is in two data.sources: '\(first.corpus)' (\(first.path)) and "
                            + "'\(source.corpusName)' (\(source.path)); list each file in one corpus only")
                }
                owner[real] = (source.corpusName, source.path)
                file.corpus = source.corpusName
                files.append(file)
            }
        }
        let layouts = Set(sources.map(\.layout))
        return DatasetListing(
            source: sources[0].path, root: sources[0].path, layout: layouts.count == 1 ? sources[0].layout : .folders,
            detection: nil, files: files, problems: [], ignoredFiles: 0, skipped: [],
            emotions: kind == .given ? nil : emotions.sorted())
    }

    /// e.g. "boredom (81), calm (10)".
    static func describe(_ counts: [String: Int]) -> String {
        counts.keys.sorted().map { "\($0) (\(counts[$0]!))" }.joined(separator: ", ")
    }

    /// How many skipped entries the log line names before summarising the rest.
    static let loggedSkips = 5

    /// One line naming the entries `listing`'s walk skipped, with their reasons (nothing when none was).
    static func logSkipped(_ listing: DatasetListing, log: (String) -> Void) {
        let skipped = listing.skipped
        guard !skipped.isEmpty else { return }
        var line =
            "listing \(listing.root): skipped \(skipped.count) entr\(skipped.count == 1 ? "y" : "ies"): "
            + skipped.prefix(loggedSkips).map { "\($0.path) (\($0.reason))" }.joined(separator: "; ")
        if skipped.count > loggedSkips { line += "; … and \(skipped.count - loggedSkips) more" }
        log(line + " (ser data \(listing.root) lists them all)")
    }

    /// Whether `file` passes `data.speakers` (or `data.actors`), `data.emotions` (its emotion after
    /// `data.label_map`; a file whose label is not an emotion is kept, for the label scheme to report) and
    /// `data.intensity` (RAVDESS names).
    static func keep(_ file: DatasetFile, _ data: DataSpec, actors: Bool = true, emotions: Bool = true) -> Bool {
        if actors, let wanted = data.keptSpeakers {
            // data.actors also matches a speaker written without the leading zero (a CSV's "7" for actor 7).
            guard let speaker = file.speaker,
                wanted.contains(speaker)
                    || (data.speakers == nil && data.actors?.contains { Int(speaker) == $0 } == true)
            else { return false }
        }
        if emotions, let wanted = data.emotions, let emotion = LabelScheme.emotion(of: file), !wanted.contains(emotion)
        {
            return false
        }
        if let intensity = data.intensity, let name = file.ravdess, name.intensity != intensity { return false }
        return true
    }
}
