import ArgumentParser
import Checksum
import Datasets
import Foundation
import Inference
import Plots
import PostgresStore
import RunStore
import Runner
import Training

/// `ser eval MODEL DIR`: a model's accuracy, UAR, macro-F1 and confusion matrix on a labelled folder.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model file on a labelled folder: accuracy, UAR, macro-F1 and the confusion matrix.")

    @Argument(help: ArgumentHelp("A model file (a run's weights or `ser export` output).", valueName: "model"))
    var model: String

    @Argument(
        help: ArgumentHelp(
            "A labelled corpus: a folder of a built-in corpus (RAVDESS, CREMA-D, TESS, SAVEE, EMO-DB), class folders, or a CSV manifest.",
            valueName: "dir"))
    var directory: String

    @Option(
        help: ArgumentHelp(
            "ravdess, cremad, tess, savee, emodb, folders or csv (default: detected).", valueName: "layout"))
    var layout: String?

    @Option(
        help: ArgumentHelp(
            "Rename the corpus's labels before scoring, e.g. ps=surprised,calm=neutral (as data.label_map).",
            valueName: "k=v,…"))
    var labelMap: String?

    @Option(help: ArgumentHelp("Threads for decoding and features.", valueName: "n"))
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(
        name: .customLong("tta"),
        help: ArgumentHelp(
            "Test-time augmentation: average this many crops or pads per file, as predict --tta.", valueName: "n"))
    var testTimeViews: Int = 1

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "Record the evaluation in this run store (a SQLite file or postgres://user@host:port/db), with the run "
                + "that trained the model (without it, eval writes nothing).",
            valueName: "path|url"))
    var storePath: String?

    func validate() throws {
        if let layout, (try? DatasetLayout(parsing: layout)) == nil {
            throw ValidationError(
                "--layout expects \(DatasetLayout.allCases.map(\.rawValue).joined(separator: ", ")), got '\(layout)'.")
        }
        if let labelMap {
            do {
                _ = try LabelMap(parsing: labelMap)
            } catch {
                throw ValidationError("--label-map: \(error)")
            }
        }
        if threads < 1 { throw ValidationError("--threads must be at least 1.") }
        let views = ModelBundle.testTimeViewCounts
        if !views.contains(testTimeViews) {
            throw ValidationError("--tta must be \(views.lowerBound)…\(views.upperBound).")
        }
    }

    struct Report: Encodable {
        var model: String
        var data: String
        var files: Int
        var excluded: Int
        /// Files not scored because the model does not know their class, per class name.
        var unknownClasses: [String: Int] = [:]
        var accuracy: Double
        var uar: Double
        var f1Macro: Double
        var labels: [String]
        var confusion: [[Int]]
        var perClass: [ClassMetrics]
        /// Accuracy and UAR of each speaker's files, by speaker id; empty for corpora that name no speakers
        /// (class folders, CSV without a `speaker` column).
        var perSpeaker: [SpeakerMetrics] = []
        /// The corpus layout read, and the model file's source (for `--store`; not printed).
        var layout: DatasetLayout? = nil
        var source: ModelSource? = nil
        /// The id of the stored evaluation (with `--store`).
        var storedEvaluation: Int64? = nil

        enum CodingKeys: String, CodingKey {
            case model, data, files, excluded, accuracy, uar, labels, confusion
            case f1Macro = "f1_macro"
            case perClass = "per_class"
            case perSpeaker = "per_speaker"
            case storedEvaluation = "stored_evaluation"
            case unknownClasses = "unknown_classes"
        }
    }

    /// One speaker's share of an evaluation.
    struct SpeakerMetrics: Encodable, Equatable {
        var speaker: String
        var files: Int
        var accuracy: Double
        var uar: Double
    }

    /// The metrics of each speaker's files (items without a speaker are left out), sorted by speaker id.
    static func perSpeaker(
        speakers: [String?], targets: [Int], predictions: [Int], classNames: [String]
    ) -> [SpeakerMetrics] {
        var indices: [String: [Int]] = [:]
        for (index, speaker) in speakers.enumerated() {
            if let speaker { indices[speaker, default: []].append(index) }
        }
        return indices.sorted { $0.key < $1.key }.map { speaker, mine in
            let confusion = ConfusionMatrix(
                classNames: classNames, targets: mine.map { targets[$0] }, predictions: mine.map { predictions[$0] })
            return SpeakerMetrics(
                speaker: speaker, files: mine.count, accuracy: confusion.accuracy,
                uar: confusion.unweightedAverageRecall)
        }
    }

    /// The label scheme to read `listing` with: the model's kind (its classes outside the corpus's are left
    /// to the caller) for the corpora read from names, `given` for folders and csv.
    static func scheme(for bundle: ModelBundle, layout: DatasetLayout) throws -> LabelScheme {
        guard layout.readsNames else { return .given }
        let kindName = String(bundle.labelScheme.prefix { $0 != "[" })
        return LabelScheme(try LabelKind(parsing: kindName.isEmpty ? "emotion" : kindName))
    }

    func evaluate() throws -> Report {
        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        var listing = try DatasetListing.make(directory, layout: try layout.map(DatasetLayout.init(parsing:)))
        if let labelMap { listing = try LabelMap(parsing: labelMap).apply(to: listing) }
        let dataset = try Dataset(listing: listing, labels: Self.scheme(for: bundle, layout: listing.layout))
        let index = Dictionary(uniqueKeysWithValues: bundle.labels.enumerated().map { ($1, $0) })
        // Classes the model does not know are counted and reported, never scored as some other class.
        var unknown = [String: Int]()
        var items = [DatasetItem]()
        var targets = [Int]()
        for item in dataset.items {
            if let target = index[item.label] {
                items.append(item)
                targets.append(target)
            } else {
                unknown[item.label, default: 0] += 1
            }
        }
        guard !items.isEmpty else {
            if !unknown.isEmpty {
                throw EvalError.labels(directory, unknown: unknown.keys.sorted(), model: bundle.labels)
            }
            throw EvalError.empty(directory)
        }
        let probabilities = try bundle.classify(
            files: items.map(\.path), threads: threads, views: testTimeViews)
        let predictions = probabilities.map(ModelBundle.argmax)
        let confusion = ConfusionMatrix(classNames: bundle.labels, targets: targets, predictions: predictions)
        var report = Report(
            model: model, data: directory, files: items.count,
            excluded: dataset.excluded.count + unknown.values.reduce(0, +), unknownClasses: unknown,
            accuracy: confusion.accuracy, uar: confusion.unweightedAverageRecall, f1Macro: confusion.macroF1,
            labels: bundle.labels, confusion: confusion.counts, perClass: confusion.perClass)
        report.perSpeaker = Self.perSpeaker(
            speakers: items.map(\.speaker), targets: targets, predictions: predictions, classNames: bundle.labels)
        report.layout = listing.layout
        report.source = bundle.source
        return report
    }

    /// With `--store`: the store, which must exist and hold the run the model file comes from (checked before
    /// the evaluation, so a wrong store costs nothing).
    func openStore() throws -> RunStore? {
        guard let storePath else { return nil }
        let store: RunStore
        if PostgresURL.isPostgres(storePath) {
            // Only a row is written: no artifact root needed.
            store = try RunStore.postgres(
                url: PostgresURL(storePath), artifacts: nil, readOnly: false, parameters: StoreParameters.source)
        } else {
            guard FileManager.default.fileExists(atPath: storePath) else {
                throw StoreCommandError.noStore(storePath)
            }
            store = try RunStore(path: storePath)
        }
        let source = try ModelBundle.load(from: URL(fileURLWithPath: model)).source
        _ = try store.checkEvaluationSource(model: model, runID: source.runID, specHash: source.specHash)
        return store
    }

    /// Records `report` in `store` with the model file's source run; returns the stored evaluation's id.
    func record(_ report: Report, in store: RunStore) throws -> Int64? {
        let runID = try store.checkEvaluationSource(
            model: model, runID: report.source?.runID, specHash: report.source?.specHash)
        let (sha256, _) = try SHA256.hexAndSize(ofFileAt: model)
        let stored = try store.recordStoredEvaluation(
            StoredEvaluationRecord(
                runId: runID, modelPath: URL(fileURLWithPath: model).standardizedFileURL.path, modelSha256: sha256,
                dataPath: URL(fileURLWithPath: directory).standardizedFileURL.path,
                layout: report.layout?.rawValue ?? "", files: report.files, excluded: report.excluded,
                accuracy: report.accuracy, balancedAccuracy: report.uar, f1Macro: report.f1Macro,
                labels: report.labels, confusion: report.confusion,
                perClass: report.perClass.map {
                    .init(
                        label: $0.className, precision: $0.precision, recall: $0.recall, f1: $0.f1, support: $0.support)
                }))
        return stored.id
    }

    /// ``evaluate()``, recorded in the `--store` when one is given.
    func evaluateAndRecord() throws -> Report {
        let runStore = try openStore()
        var report = try evaluate()
        if let runStore { report.storedEvaluation = try record(report, in: runStore) }
        return report
    }

    func run() throws {
        let report = try evaluateAndRecord()
        if json {
            print(try StoreFormat.json(report))
            return
        }
        var lines = [
            "\(report.files) files of \(report.data)"
                + (report.excluded > 0
                    ? " (\(report.excluded) of classes the model does not know left out"
                        + (report.unknownClasses.isEmpty
                            ? ""
                            : ": "
                                + report.unknownClasses.keys.sorted().map { "\($0) \(report.unknownClasses[$0]!)" }
                                .joined(separator: ", ")) + ")"
                    : ""),
            "accuracy \(StoreFormat.number(report.accuracy)), UAR \(StoreFormat.number(report.uar)), macro-F1 \(StoreFormat.number(report.f1Macro))",
            "",
        ]
        lines += TerminalConfusionGrid.render(
            classNames: report.labels, counts: report.confusion, style: isatty(1) == 1 ? .ansi256 : .plain)
        lines.append("")
        lines.append(
            StoreFormat.table(
                ["CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"],
                report.perClass.map {
                    [
                        $0.className, StoreFormat.number($0.precision), StoreFormat.number($0.recall),
                        StoreFormat.number($0.f1), String($0.support),
                    ]
                }, right: [1, 2, 3, 4]))
        if !report.perSpeaker.isEmpty {
            lines.append("")
            lines.append(
                StoreFormat.table(
                    ["SPEAKER", "FILES", "ACCURACY", "UAR"],
                    report.perSpeaker.map {
                        [$0.speaker, String($0.files), StoreFormat.number($0.accuracy), StoreFormat.number($0.uar)]
                    }, right: [1, 2, 3]))
        }
        if let id = report.storedEvaluation, let run = report.source?.runID {
            lines.append("")
            lines.append("Recorded as evaluation \(id) of run \(run) in \(storePath ?? "") (`ser show \(run)`).")
        }
        print(lines.joined(separator: "\n"))
    }
}

enum EvalError: Error, CustomStringConvertible, LocalizedError {
    case labels(String, unknown: [String], model: [String])
    case empty(String)

    var description: String {
        switch self {
        case .labels(let path, let unknown, let model):
            return
                "\(path) shares no class with the model: its classes \(unknown.joined(separator: ", ")) are not the model's \(model.joined(separator: ", ")) (rename them with --label-map, e.g. ps=surprised)"
        case .empty(let path): return "\(path) has no file of the model's classes"
        }
    }

    var errorDescription: String? { description }
}
