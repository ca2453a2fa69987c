import ArgumentParser
import Foundation
import RunStore
import Runner
import Training

/// `ser worker`: take runs from the store's worker queue (`ser run --queue`, `ser submit`) one at a time.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take queued runs from the store one at a time, train and record each (see `ser run --queue`).",
        discussion: """
            Each run is claimed in one exclusive transaction, so any number of workers, on this machine or on \
            others sharing the store and its folder, each get different runs. A run whose worker died (kill -9, \
            a lost machine) is taken over once its heartbeat is older than --stale-after (at once on the same \
            host) and continues from its last checkpoint.
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Stop after this many runs (default: no limit).", valueName: "n"))
    var maxRuns: Int?

    @Option(
        help: ArgumentHelp(
            "Stop once the queue has had nothing to take for this many seconds (default: wait for work).",
            valueName: "seconds"))
    var idleExit: Double?

    @Option(help: ArgumentHelp("Training lanes (default: one per core).", valueName: "n"))
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "The name recorded with each run (default: host:pid, or the Slurm job and task).", valueName: "id"))
    var workerID: String?

    @Option(help: ArgumentHelp("Seconds between heartbeats of the run being trained.", valueName: "seconds"))
    var heartbeat: Double = 30

    @Option(
        help: ArgumentHelp(
            "Take over a running run whose heartbeat is older than this many seconds.", valueName: "seconds"))
    var staleAfter: Double = 300

    @Option(help: ArgumentHelp("Seconds between looks at an empty queue.", valueName: "seconds"))
    var poll: Double = 2

    @Flag(help: "Print each run's summary as JSON (one object per line) instead of text.")
    var json = false

    func validate() throws {
        if let maxRuns, maxRuns < 1 { throw ValidationError("--max-runs must be at least 1, got \(maxRuns).") }
        if let idleExit, !(idleExit >= 0) { throw ValidationError("--idle-exit must be 0 or more seconds.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if !(heartbeat > 0) { throw ValidationError("--heartbeat must be more than 0 seconds.") }
        if !(staleAfter > heartbeat) {
            throw ValidationError(
                "--stale-after (\(staleAfter) s) must be longer than --heartbeat (\(heartbeat) s), or live runs "
                    + "would be taken over.")
        }
        if !(poll > 0) { throw ValidationError("--poll must be more than 0 seconds.") }
        if let workerID, workerID.isEmpty { throw ValidationError("--worker-id must not be empty.") }
    }

    /// Works through the queue and returns how each run ended (`output`/`log`/`onOutcome` as in `ser run`).
    func perform(
        output: LearnerOutput, log: @escaping (String) -> Void, onOutcome: (RunOutcome) -> Void = { _ in },
        trap: Bool = true
    ) throws -> [RunOutcome] {
        try EngineSetup.lanes(threads) {
            let runStore = try store.openExisting()
            let runner = ExperimentRunner(
                store: runStore,
                options: RunnerOptions(
                    toolVersion: SER.version, output: output, log: log, featureProgress: false,
                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount))
            runner.heartbeatInterval = heartbeat
            runner.staleness = Staleness(heartbeatTimeout: staleAfter)
            let signals = trap ? RunOutput.trapSignals(runner) : nil
            defer { signals?.cancel() }
            let id = workerID ?? WorkerOptions.defaultWorkerID()
            log("worker \(id): taking runs from \(store.path)")
            let outcomes = try runner.work(
                WorkerOptions(workerID: id, maxRuns: maxRuns, idleExit: idleExit, pollInterval: poll),
                onOutcome: onOutcome)
            let finished = outcomes.filter { $0.status == .finished }.count
            log("worker \(id): \(outcomes.count) run\(outcomes.count == 1 ? "" : "s") done (\(finished) finished)")
            return outcomes
        }
    }

    func run() throws {
        ClosedOutput.dieOfSIGPIPE()
        let outcomes = try perform(output: json ? .silent : .standard, log: RunOutput.log) { outcome in
            if json {
                let encoded = (try? StoreFormat.json(outcome)) ?? "{}"
                print(encoded.replacingOccurrences(of: "\n *", with: " ", options: .regularExpression))
            } else {
                print(RunOutput.text([outcome]))
            }
            fflush(stdout)
        }
        let code = RunOutput.exitCode(outcomes)
        if code != 0 { throw ExitCode(code) }
    }
}
