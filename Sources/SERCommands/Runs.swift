import ArgumentParser
import Foundation
import RunStore

/// `ser runs`: list the runs in the store.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs, newest first, with their status (stale when the process is gone), UAR and accuracy.")

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Only runs of this experiment.", valueName: "name"))
    var experiment: String?

    @Option(
        help: ArgumentHelp(
            "Only runs with this status (queued, running, stale, finished, failed, interrupted); repeatable.",
            valueName: "status"))
    var status: [String] = []

    @Option(
        help: ArgumentHelp(
            "Only runs created since an age (30m, 12h, 7d, 2w) or a date (2026-11-01).", valueName: "age|date"))
    var since: String?

    @Option(help: ArgumentHelp("Show at most this many runs.", valueName: "n"))
    var limit: Int?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    static let statuses = DisplayStatus.allCases.map(\.rawValue)

    func validate() throws {
        for value in status where !Self.statuses.contains(value) {
            throw ValidationError(
                "unknown status '\(value)'; expected one of \(Self.statuses.joined(separator: ", ")).")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit).") }
        if let since { _ = try StoreFormat.since(since) }
    }

    func output() throws -> String {
        guard store.exists else {
            return json ? "[]" : "No runs yet (no store at \(store.path))."
        }
        let runStore = try store.openForReading(needsFiles: false)
        let filter = RunFilter(
            experiment: experiment, statuses: status.compactMap(DisplayStatus.init(rawValue:)),
            since: try since.map { try StoreFormat.since($0) }, limit: limit)
        let runs = try runStore.runs(filter)
        if json { return try StoreFormat.json(runs) }
        if runs.isEmpty { return "No runs match." }
        let rows = runs.map { run -> [String] in
            let end = run.endedAt ?? (run.status == .running ? run.heartbeatAt : nil)
            return [
                String(run.id), run.experiment, run.sweep.isEmpty ? "-" : run.sweep, run.displayStatus.rawValue,
                String(run.epochs),
                // The headline: the kept model's UAR next to its accuracy (the last epoch's while it runs).
                StoreFormat.number(run.keptUAR ?? run.finalUAR),
                StoreFormat.number(run.keptAccuracy ?? run.finalAccuracy), StoreFormat.number(run.bestAccuracy),
                StoreFormat.time(run.startedAt ?? run.createdAt),
                StoreFormat.duration(run.startedAt.flatMap { start in end.map { $0.timeIntervalSince(start) } }),
            ]
        }
        let headers = ["ID", "EXPERIMENT", "SWEEP", "STATUS", "EPOCHS", "UAR", "ACC", "BEST ACC", "STARTED", "TOOK"]
        // Runs of the worker queue (`ser worker`), and any running run, also show who holds them.
        if runs.contains(where: { $0.worker != nil || $0.status == .running }) {
            let withWorker = zip(rows, runs).map { row, run in row + [Self.holder(run)] }
            return StoreFormat.table(headers + ["WORKER"], withWorker, right: [0, 4, 5, 6, 7, 9])
        }
        return StoreFormat.table(headers, rows, right: [0, 4, 5, 6, 7, 9])
    }

    /// The worker of a queue run (the one that holds it, or last held it; with its host while it runs, unless
    /// its name says it), else `host:pid` of a running run.
    static func holder(_ run: RunSummary) -> String {
        if let worker = run.worker {
            return run.status == .running && !worker.contains(run.host) ? "\(worker)@\(run.host)" : worker
        }
        if run.status == .running { return "\(run.host):\(run.pid.map(String.init) ?? "?")" }
        return "-"
    }

    func run() throws { print(try output()) }
}
