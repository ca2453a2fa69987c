import ArgumentParser
import Foundation
import RunStore
import Runner
import Specs
import Training

/// `ser run SPEC…`: validate specs, then train and record every run they describe.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Validate experiment specs, then train every run they describe and record it in the store.")

    @Argument(help: "Spec files (YAML).")
    var specs: [String]

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a key, e.g. --set model.depth=18 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print a JSON summary of the runs instead of the live table.")
    var json = false

    @Flag(help: "Validate and enqueue every run for `ser worker` (or `ser submit --slurm`) without training.")
    var queue = false

    func validate() throws {
        if specs.isEmpty { throw ValidationError("give at least one spec file.") }
    }

    /// Loads every spec; prints every error (file:line:column) and exits 1 if any spec is invalid.
    static func loadPlans(
        _ specs: [String], overrides: [String], loader: SpecLoader = SpecLoader(),
        report: (String) -> Void = RunOutput.log
    ) throws -> [ExperimentPlan] {
        var plans: [ExperimentPlan] = []
        var failed = false
        for path in specs {
            do {
                plans.append(try loader.load(path: path, overrides: overrides))
            } catch let errors as SpecErrors {
                failed = true
                report("\(path): \(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s")")
                for error in errors.errors { report("  \(error)") }
            }
        }
        if failed { throw ExitCode.failure }
        return plans
    }

    /// Validates the specs, runs them and returns how each run ended (`output`/`log`: the live table and
    /// status lines; tests pass silent ones). Ctrl-C stops after the current epoch while this runs.
    /// Trains with one lane per core (``EngineSetup/oneLanePerCore(_:)``).
    func perform(output: LearnerOutput, log: @escaping (String) -> Void, trap: Bool = true) throws -> [RunOutcome] {
        try EngineSetup.oneLanePerCore { try runPlans(output: output, log: log, trap: trap) }
    }

    private func runPlans(output: LearnerOutput, log: @escaping (String) -> Void, trap: Bool) throws -> [RunOutcome] {
        let plans = try Self.loadPlans(specs, overrides: overrides)
        let runStore = try store.open()
        let runner = ExperimentRunner(
            store: runStore,
            options: RunnerOptions(toolVersion: SER.version, output: output, log: log, featureProgress: trap))
        let signals = trap ? RunOutput.trapSignals(runner) : nil
        defer { signals?.cancel() }
        var outcomes: [RunOutcome] = []
        for plan in plans {
            let count = plan.runs.count
            log("\(plan.specPath): \(count) run\(count == 1 ? "" : "s") of experiment '\(plan.name)'")
            outcomes += try runner.run(plan)
        }
        return outcomes
    }

    /// With `--queue`: validates every spec, then records each run in the worker queue (nothing is trained).
    func enqueue(log: (String) -> Void = RunOutput.log) throws -> [QueuedRun] {
        let plans = try Self.loadPlans(specs, overrides: overrides, report: log)
        let runStore = try store.open()
        return try Self.enqueue(plans, in: runStore, log: log)
    }

    static func enqueue(_ plans: [ExperimentPlan], in store: RunStore, log: (String) -> Void) throws -> [QueuedRun] {
        var queued: [QueuedRun] = []
        for plan in plans {
            let ids = try plan.enqueue(in: store, toolVersion: SER.version, forWorkers: true)
            let count = ids.count
            log("\(plan.specPath): queued \(count) run\(count == 1 ? "" : "s") of experiment '\(plan.name)'")
            queued += zip(ids, plan.runs).map {
                QueuedRun(runID: $0, experiment: plan.name, name: $1.runName, sweep: $1.sweepLabel)
            }
        }
        return queued
    }

    /// What `ser run --queue` prints: the queued runs and how to start workers on them.
    static func queueText(_ queued: [QueuedRun], storePath: String) -> String {
        let store = URL(fileURLWithPath: storePath).standardizedFileURL.path
        var lines = queued.map { run in "run \(run.runID) (\(run.name)) queued" }
        lines += [
            "",
            "Start workers on it (each takes one run at a time; one per machine, or several with --threads):",
            "  ser worker --store \(store) --idle-exit 60",
            "or submit a Slurm job array of workers:",
            "  ser submit --slurm --store \(store) --parallel 4",
            "`ser runs --store \(store)` shows who runs what.",
        ]
        return lines.joined(separator: "\n")
    }

    func run() throws {
        if queue {
            let queued = try enqueue()
            print(json ? try StoreFormat.json(queued) : Self.queueText(queued, storePath: store.path))
            return
        }
        // A run cut short by a closed pipe has not succeeded: no quiet status 0 (see ClosedOutput).
        ClosedOutput.dieOfSIGPIPE()
        let outcomes = try perform(output: json ? .silent : .standard, log: RunOutput.log)
        if json {
            print(try StoreFormat.json(outcomes))
        } else {
            print(RunOutput.text(outcomes))
        }
        let code = RunOutput.exitCode(outcomes)
        if code != 0 { throw ExitCode(code) }
    }
}

/// A run `ser run --queue` recorded for the workers.
struct QueuedRun: Codable, Equatable {
    var runID: Int64
    var experiment: String
    var name: String
    var sweep: String
}
