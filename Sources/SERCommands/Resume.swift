import ArgumentParser
import Foundation
import Runner
import Specs
import Training

/// `ser resume RUN`: continue an interrupted, failed or stale run from its last checkpoint.
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue an interrupted, failed or stale run from its last checkpoint, under the same run id.")

    @Argument(help: ArgumentHelp("The run id (`ser runs` lists them).", valueName: "run"))
    var runID: Int64

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print a JSON summary of the run instead of the live table.")
    var json = false

    /// Resumes the run with one lane per core and returns how it ended (`output`/`log` as in `ser run`).
    func perform(output: LearnerOutput, log: @escaping (String) -> Void, trap: Bool = true) throws -> RunOutcome {
        try EngineSetup.oneLanePerCore { try resume(output: output, log: log, trap: trap) }
    }

    private func resume(output: LearnerOutput, log: @escaping (String) -> Void, trap: Bool) throws -> RunOutcome {
        let runStore = try store.openExisting()
        let runner = ExperimentRunner(
            store: runStore,
            options: RunnerOptions(toolVersion: SER.version, output: output, log: log, featureProgress: trap))
        let signals = trap ? RunOutput.trapSignals(runner) : nil
        defer { signals?.cancel() }
        return try runner.resume(runID: runID)
    }

    func run() throws {
        // A run cut short by a closed pipe has not succeeded: no quiet status 0 (see ClosedOutput).
        ClosedOutput.dieOfSIGPIPE()
        let outcome = try perform(output: json ? .silent : .standard, log: RunOutput.log)
        if json {
            print(try StoreFormat.json(outcome))
        } else {
            print(RunOutput.text([outcome]))
        }
        let code = RunOutput.exitCode([outcome])
        if code != 0 { throw ExitCode(code) }
    }
}
