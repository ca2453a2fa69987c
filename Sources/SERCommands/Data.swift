import ArgumentParser
import Datasets
import Foundation
import Runner
import Stopping

/// `ser data`: what a corpus holds, from its file names and audio headers.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Scan a corpus and report its files per class, speaker, duration, sample rate and channel count.")

    @Argument(help: "The dataset folder, or for the csv layout a CSV manifest (or a folder holding one).")
    var path: String

    @Option(help: "ravdess, cremad, tess, savee, emodb, folders or csv (detected when omitted).")
    var layout: String?

    @Option(
        help:
            "emotion, gender_emotion, intensity, gender or given (emotion for the corpora, given for folders and csv).")
    var labels: String?

    @Option(help: "Comma-separated classes to keep, e.g. neutral,happy,sad,angry (others are excluded).")
    var classes: String?

    @Option(
        help: ArgumentHelp(
            "Rename labels before --labels reads them, e.g. ps=surprised,calm=neutral (as data.label_map).",
            valueName: "k=v,…"))
    var labelMap: String?

    @Flag(help: "Stop at the first unreadable audio file instead of reporting it and going on.")
    var failFast = false

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func validate() throws {
        do {
            _ = try parsedLayout()
            _ = try parsedScheme()
            _ = try labelMap.map(LabelMap.init(parsing:))
        } catch let error as DatasetError {
            throw ValidationError(error.description)
        }
    }

    func parsedLayout() throws -> DatasetLayout? {
        try layout.map { try DatasetLayout(parsing: $0) }
    }

    /// The scheme from --labels and --classes; nil when both are omitted (the layout's default).
    func parsedScheme() throws -> LabelScheme? {
        let subset = try classes.map { list -> [String] in
            let names = list.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                throw DatasetError.invalidSubset("--classes '\(list)' must list class names separated by commas")
            }
            return names
        }
        guard let labels else { return subset.map { LabelScheme(.emotion, subset: $0) } }
        return LabelScheme(try LabelKind(parsing: labels), subset: subset)
    }

    /// Prints the report. Ctrl-C (or SIGTERM) stops the folder walk and the header scan at the next file and
    /// exits with 130; a second one exits at once.
    func run() throws {
        let stop = StopFlag()
        let trap = SignalTrap(
            flag: stop, onFirst: { _ in RunOutput.log("\nstopping; Ctrl-C again to stop now") },
            onRepeat: { _ in Foundation.exit(130) })
        defer { trap.cancel() }
        Self.trapInstalled?(stop)
        do {
            print(try output(stop: stop))
        } catch DatasetError.stopped {
            RunOutput.log("ser data: \(stop.reason ?? "stopped") while reading \(path)")
            throw ExitCode(130)
        }
    }

    /// Test hook: called by `run()` once Ctrl-C is trapped, before the corpus is read.
    nonisolated(unsafe) static var trapInstalled: ((StopFlag) -> Void)?

    /// What `run()` prints: tables, or JSON with --json.
    /// - Throws: `DatasetError.stopped` once `stop` is requested while the corpus is read.
    func output(stop: StopFlag = StopFlag()) throws -> String {
        let shouldStop: @Sendable () -> Bool = { stop.isRequested }
        let listing = try DatasetListing.make(path, layout: try parsedLayout(), shouldStop: shouldStop)
        var scheme = try parsedScheme()
        if labels == nil, let subset = scheme?.subset {
            scheme = LabelScheme(LabelScheme.defaultScheme(for: listing.layout).kind, subset: subset)
        }
        let dataset = try Dataset(
            listing: listing, labels: scheme, labelMap: try labelMap.map(LabelMap.init(parsing:)))
        let scan = try DatasetScan.run(dataset, stopOnError: failFast, shouldStop: shouldStop)
        let report = DataReport(dataset: dataset, scan: scan)
        return json ? try report.jsonString() : report.text
    }
}

/// Everything `ser data` prints; `--json` encodes it as is (keys sorted).
struct DataReport: Codable, Equatable {
    var source: String
    var layout: String
    /// Why the layout was chosen when detected; nil when given with --layout.
    var detection: String?
    var labels: String
    var classNames: [String]
    /// Items scanned (files with a class in the scheme).
    var files: Int
    var readable: Int
    var classCounts: [String: Int]
    var speakers: Int
    var speakerCounts: [String: Int]
    var emotionCounts: [String: Int]
    var genderCounts: [String: Int]
    var intensityCounts: [String: Int]
    var duration: DatasetScan.DurationStats?
    /// Readable files per sample rate in Hz (keys are decimal strings).
    var sampleRates: [String: Int]
    /// Readable files per channel count (keys are decimal strings).
    var channels: [String: Int]
    var unreadable: [DatasetProblem]
    /// Audio files the layout could not use (unparseable names, …).
    var problems: [DatasetProblem]
    /// Files of classes outside --classes.
    var excluded: Int
    /// Non-audio files skipped (README.md, …).
    var ignoredFiles: Int
    /// Folder entries not used, with the reason (FIFOs and devices, loops, repeated files, dangling links,
    /// unreadable folders, …).
    var skipped: [DatasetProblem]

    init(dataset: Dataset, scan: DatasetScan) {
        source = dataset.listing.source
        layout = dataset.layout.rawValue
        detection = dataset.listing.detection
        labels = dataset.scheme.description
        classNames = dataset.classNames
        files = scan.fileCount
        readable = scan.readableCount
        classCounts = Dictionary(uniqueKeysWithValues: zip(dataset.classNames, scan.classCounts))
        speakers = scan.speakerCounts.count
        speakerCounts = scan.speakerCounts
        emotionCounts = scan.emotionCounts
        genderCounts = scan.genderCounts
        intensityCounts = scan.intensityCounts
        duration = scan.duration
        sampleRates = Dictionary(uniqueKeysWithValues: scan.sampleRateCounts.map { ("\($0)", $1) })
        channels = Dictionary(uniqueKeysWithValues: scan.channelCounts.map { ("\($0)", $1) })
        unreadable = scan.unreadable
        problems = dataset.problems
        excluded = dataset.excluded.count
        ignoredFiles = dataset.listing.ignoredFiles
        skipped = dataset.listing.skipped.map(\.problem)
    }

    func jsonString() throws -> String { try StoreFormat.json(self) }

    /// Human-readable tables.
    var text: String {
        var lines = [String]()
        func row(_ key: String, _ value: String) {
            lines.append(key.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
        }
        row("Dataset", source)
        row("Layout", layout + (detection.map { " (detected: \($0))" } ?? " (given)"))
        row("Labels", "\(labels): \(classNames.count) classes")
        var files = "\(self.files) audio files, \(readable) readable, \(unreadable.count) unreadable"
        if !problems.isEmpty { files += "; \(problems.count) not usable (see below)" }
        if excluded > 0 { files += "; \(excluded) outside --classes" }
        if ignoredFiles > 0 { files += "; \(ignoredFiles) non-audio file\(ignoredFiles == 1 ? "" : "s") ignored" }
        if !skipped.isEmpty {
            files += "; \(skipped.count) entr\(skipped.count == 1 ? "y" : "ies") skipped (see below)"
        }
        row("Files", files)
        if speakers > 0 {
            let sorted = speakerCounts.keys.sorted()
            row("Speakers", "\(speakers) (\(sorted.first!) … \(sorted.last!))")
        } else {
            row("Speakers", "unknown (the \(layout) layout has no speaker ids)")
        }
        if let duration {
            row(
                "Duration",
                String(
                    format: "min %.3f s, median %.3f s, max %.3f s, total %.1f s (%.1f min)", duration.min,
                    duration.median, duration.max, duration.total, duration.total / 60))
        }
        row("Sample rates", Self.counts(sampleRates, unit: " Hz"))
        row("Channels", Self.counts(channels, names: ["1": "mono", "2": "stereo"]))

        lines.append("")
        lines += Self.table(["Class", "Files"], classNames.map { [$0, "\(classCounts[$0] ?? 0)"] })
        if !speakerCounts.isEmpty {
            lines.append("")
            let isActor = layout == DatasetLayout.ravdess.rawValue
            let rows = speakerCounts.keys.sorted().map { speaker -> [String] in
                var row = [speaker]
                if isActor { row.append(Int(speaker).map { $0 % 2 == 1 ? "male" : "female" } ?? "?") }
                return row + ["\(speakerCounts[speaker]!)"]
            }
            lines += Self.table(isActor ? ["Actor", "Gender", "Files"] : ["Speaker", "Files"], rows)
        }
        if !genderCounts.isEmpty {
            lines.append("")
            lines += Self.table(["Gender", "Files"], genderCounts.keys.sorted().map { [$0, "\(genderCounts[$0]!)"] })
        }
        // Only RAVDESS names carry an intensity.
        if !intensityCounts.isEmpty {
            lines.append("")
            lines += Self.table(
                ["Intensity", "Files"], intensityCounts.keys.sorted().map { [$0, "\(intensityCounts[$0]!)"] })
        }
        for (title, list) in [("Unreadable files", unreadable), ("Not usable", problems), ("Skipped", skipped)]
        where !list.isEmpty {
            lines.append("")
            lines.append("\(title) (\(list.count)):")
            lines += list.prefix(Self.listedProblems).map { "  \($0.path): \($0.reason)" }
            if list.count > Self.listedProblems {
                lines.append("  … and \(list.count - Self.listedProblems) more (--json lists them all)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// How many unreadable, unusable or skipped entries the tables list before summarising the rest.
    static let listedProblems = 20

    /// "48000 Hz: 1200, 44100 Hz: 3", keys in numeric order.
    static func counts(_ counts: [String: Int], unit: String = "", names: [String: String] = [:]) -> String {
        guard !counts.isEmpty else { return "none readable" }
        return counts.keys.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map { key in
            "\(key)\(unit)\(names[key].map { " (\($0))" } ?? ""): \(counts[key]!)"
        }.joined(separator: ", ")
    }

    /// Left-aligned text columns, right-aligned last (count) column, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == cells.count - 1 ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
    }
}
