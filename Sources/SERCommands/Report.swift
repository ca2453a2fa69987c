import ArgumentParser
import Foundation
import OutputFiles
import Reports
import RunStore

/// `ser report RUN… -o FILE`: one self-contained HTML page with the charts of the runs.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page with the charts of one or more runs (no network needed).")

    @OptionGroup var store: StoreOptions

    @Argument(
        help: ArgumentHelp(
            "Runs to include, by id or by name (a name shared by several runs means the newest).", valueName: "run"))
    var runs: [String] = []

    @Option(help: ArgumentHelp("Also include every run of this experiment.", valueName: "name"))
    var experiment: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var output: String

    @OptionGroup var force: ForceOption

    @Option(help: ArgumentHelp("The page title (default: ser report: run N, or: N runs).", valueName: "text"))
    var title: String?

    @Option(help: ArgumentHelp("How many highest-loss validation files to show.", valueName: "n"))
    var topLosses: Int = 6

    @Flag(help: "Do not draw the top losses' spectrograms (faster; no audio files needed).")
    var noSpectrograms = false

    @Flag(help: "Print JSON instead of text: the file written and the runs it shows.")
    var json = false

    func validate() throws {
        if runs.isEmpty && experiment == nil { throw ValidationError("name at least one run, or --experiment NAME.") }
        if topLosses < 0 { throw ValidationError("--top-losses must be 0 or more, got \(topLosses).") }
    }

    /// The run ids named on the command line, in order, without repeats: ids, names (newest run of that
    /// name) and the runs of `--experiment` (oldest first).
    static func resolve(_ names: [String], experiment: String?, in store: RunStore) throws -> [Int64] {
        var ids: [Int64] = []
        let all = try store.runs()
        for name in names {
            if let id = Int64(name) {
                guard try store.run(id) != nil else { throw RunStoreError.noSuchRun(id) }
                ids.append(id)
            } else if let match = all.first(where: { $0.name == name }) {  // newest first
                ids.append(match.id)
            } else {
                throw ReportCommandError.noRunNamed(name)
            }
        }
        if let experiment {
            guard try store.experiment(named: experiment) != nil else {
                throw RunStoreError.noSuchExperiment(experiment)
            }
            ids += all.filter { $0.experiment == experiment }.map(\.id).sorted()
        }
        var seen = Set<Int64>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// What `--json` prints: the file written and the runs it shows.
    struct Written: Encodable {
        struct Run: Encodable {
            /// The run's id, `run_id` as in every command's JSON.
            var runId: Int64
            var experiment: String
            var sweep: String
        }
        var file: String
        var bytes: Int
        var runs: [Run]
    }

    /// Writes the page and returns the line printed.
    func write() throws -> String {
        let runStore = try store.openForReading()
        let ids = try Self.resolve(runs, experiment: experiment, in: runStore)
        // A bad target fails before the page is drawn.
        let protected = try store.protectedFiles()
        try OutputFile.check(output, existing: force.existing, protected: protected)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        let generated = "Generated \(formatter.string(from: Date())) UTC by ser \(SER.version) from \(runStore.path)"
        let pageTitle =
            title
            ?? (ids.count == 1
                ? "ser report: run \(ids[0])" : "ser report: \(ids.count) runs")
        let html = try StoreReport.render(
            store: runStore, runIDs: ids, title: pageTitle, generated: generated,
            options: StoreReportOptions(topLosses: topLosses, spectrograms: !noSpectrograms))
        try OutputFile.write(Data(html.utf8), to: output, existing: force.existing, protected: protected)
        let kb = (html.utf8.count + 1023) / 1024
        if json {
            let runs = try ids.map { id in
                let summary = try runStore.summary(of: id)
                return Written.Run(runId: id, experiment: summary.experiment, sweep: summary.sweep)
            }
            return try StoreFormat.json(Written(file: output, bytes: html.utf8.count, runs: runs))
        }
        return "Wrote \(output) (\(ids.count) run\(ids.count == 1 ? "" : "s"), \(kb) KB)"
    }

    func run() throws { print(try write()) }
}

/// Errors of `ser report`.
enum ReportCommandError: Error, CustomStringConvertible, LocalizedError {
    case noRunNamed(String)

    var description: String {
        switch self {
        case .noRunNamed(let name):
            return "no run named '\(name)' (`ser runs` lists ids and names; quote names with spaces)."
        }
    }

    var errorDescription: String? { description }
}
