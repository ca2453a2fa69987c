import ArgumentParser
import Foundation
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

    func run() throws {
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
