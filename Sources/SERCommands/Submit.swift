import ArgumentParser
import Foundation
import OutputFiles
import RunStore
import Runner
import Specs

/// `ser submit SPEC… --slurm`: enqueue the runs and submit one Slurm job array of `ser worker --max-runs 1`.
struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enqueue the runs of specs and submit a Slurm job array whose tasks each run one of them.",
        discussion: """
            Each array task runs `ser worker --max-runs 1` against the store, which every node must reach at the \
            same path (a shared home or project folder), with its run folders and cache beside it. Without SPEC, \
            submits workers for the runs already waiting in the store's queue.
            """)

    @Argument(help: "Spec files (YAML); none: the runs already queued in the store.")
    var specs: [String] = []

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a key, e.g. --set model.depth=18 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var store: StoreOptions

    @Flag(help: "Submit to Slurm (sbatch): one job array, one task per run.")
    var slurm = false

    @Option(help: ArgumentHelp("Run at most this many tasks at once (the array's %N).", valueName: "n"))
    var parallel: Int?

    @Option(
        name: .customLong("sbatch-arg"),
        help: ArgumentHelp(
            "An option for sbatch, e.g. --sbatch-arg=--partition=gpu or --sbatch-arg=--time=02:00:00 (repeatable).",
            valueName: "arg"))
    var sbatchArgs: [String] = []

    @Option(
        help: ArgumentHelp(
            "A shell line the job runs before the worker, e.g. --prelude 'module load openblas' (repeatable).",
            valueName: "line"))
    var prelude: [String] = []

    @Option(help: ArgumentHelp("Training lanes per task (its --cpus-per-task).", valueName: "n"))
    var threads: Int = 1

    @Option(help: ArgumentHelp("The ser executable the nodes run (default: this one).", valueName: "path"))
    var ser: String?

    @Flag(help: "Print the sbatch script and command without enqueueing or submitting anything.")
    var dryRun = false

    func validate() throws {
        if !slurm { throw ValidationError("choose where to submit: --slurm (the only scheduler ser knows).") }
        if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1, got \(parallel).") }
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if specs.isEmpty && !overrides.isEmpty { throw ValidationError("--set needs spec files.") }
    }

    /// The store's absolute path (what the nodes open).
    var storePath: String { URL(fileURLWithPath: store.path).standardizedFileURL.path }

    /// The executable the tasks run.
    var executable: String {
        if let ser { return URL(fileURLWithPath: ser).standardizedFileURL.path }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    /// What was (or, with `--dry-run`, would be) submitted.
    struct Submission: Codable, Equatable {
        var runs: [Int64]
        var tasks: Int
        var script: String
        var scriptPath: String?
        var sbatch: [String]
        var jobID: String?
    }

    /// Validates and enqueues the specs (not with `--dry-run`), then writes the script beside the store and submits
    /// it with `sbatch` (`SER_SBATCH` or `sbatch` on PATH).
    func submit(
        environment: [String: String] = ProcessInfo.processInfo.environment, log: (String) -> Void = RunOutput.log
    ) throws -> Submission {
        // Checked before anything is queued.
        let folder = SlurmScript.logFolder(storePath: storePath)
        if folder.contains(where: { $0 == "\\" || $0.isNewline }) { throw SubmitError.logFolder(folder) }
        let plans = try RunCommand.loadPlans(specs, overrides: overrides, report: log)
        var runs: [Int64] = []
        let tasks: Int
        if specs.isEmpty {
            let runStore = try store.openForReading()
            tasks = try runStore.claimableCount()
            if tasks == 0 { throw SubmitError.nothingQueued(store.path) }
        } else if dryRun {
            tasks = plans.reduce(0) { $0 + $1.runs.count }
        } else {
            let queued = try RunCommand.enqueue(plans, in: try store.open(), log: log)
            runs = queued.map(\.runID)
            tasks = runs.count
        }
        let name = plans.count == 1 ? "ser-\(plans[0].name)" : "ser-queue"
        let script = SlurmScript(
            jobName: name, tasks: tasks, parallel: parallel, threads: threads, storePath: storePath,
            executable: executable, prelude: prelude
        ).text
        let sbatch = Self.sbatchExecutable(environment)
        if dryRun {
            return Submission(
                runs: [], tasks: tasks, script: script, scriptPath: nil,
                sbatch: [sbatch, "--parsable"] + sbatchArgs + ["SCRIPT"], jobID: nil)
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A new file of its own (never over another submission's script).
        let stamp = Int(Date().timeIntervalSince1970)
        var path = "\(folder)/submit-\(stamp)-\(getpid()).sh"
        var attempt = 1
        var info = stat()
        while lstat(path, &info) == 0 {
            attempt += 1
            path = "\(folder)/submit-\(stamp)-\(getpid())-\(attempt).sh"
        }
        do {
            try OutputFile.write(Data(script.utf8), to: path, existing: .refuse)
        } catch {
            throw SubmitError.script(path, "\(error)")
        }
        let arguments = ["--parsable"] + sbatchArgs + [path]
        let jobID = try Self.runSbatch(sbatch, arguments, queued: runs.count, store: storePath)
        log("submitted job array \(jobID) (\(tasks) task\(tasks == 1 ? "" : "s")); task logs in \(folder)/")
        return Submission(
            runs: runs, tasks: tasks, script: script, scriptPath: path, sbatch: [sbatch] + arguments, jobID: jobID)
    }

    static func sbatchExecutable(_ environment: [String: String]) -> String {
        if let value = environment["SER_SBATCH"], !value.isEmpty { return value }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/sbatch"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "sbatch"
    }

    /// Runs sbatch and returns the job id it prints (`--parsable`: `id` or `id;cluster`).
    static func runSbatch(_ sbatch: String, _ arguments: [String], queued: Int, store: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: sbatch) else {
            throw SubmitError.noSbatch(sbatch, queued: queued, store: store)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sbatch)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw SubmitError.sbatchFailed(sbatch, error.localizedDescription, queued: queued, store: store)
        }
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let id = out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard process.terminationStatus == 0, !id.isEmpty else {
            let message = err.trimmingCharacters(in: .whitespacesAndNewlines)
            throw SubmitError.sbatchFailed(
                sbatch, message.isEmpty ? "exit status \(process.terminationStatus)" : message, queued: queued,
                store: store)
        }
        return id
    }

    func run() throws {
        let submission = try submit()
        if dryRun {
            print(submission.script, terminator: "")
            print("# submit with: \(submission.sbatch.map(SlurmScript.quote).joined(separator: " "))")
        } else {
            print(submission.jobID ?? "")
        }
    }
}

/// The sbatch script of `ser submit --slurm`: one array task per run, each a `ser worker --max-runs 1`.
struct SlurmScript {
    var jobName: String
    var tasks: Int
    var parallel: Int?
    var threads: Int
    var storePath: String
    var executable: String
    var prelude: [String]

    /// Where task logs (and submitted scripts) go: `slurm/` beside the store.
    static func logFolder(storePath: String) -> String {
        URL(fileURLWithPath: storePath).deletingLastPathComponent().appendingPathComponent("slurm").path
    }

    /// Slurm's `--output` for the task logs: `<log folder>/%x-%A_%a.out`, each `%` of the folder doubled so that
    /// Slurm keeps it instead of expanding it. (A backslash anywhere would turn every pattern off: `submit`
    /// refuses such folders.)
    static func outputPattern(storePath: String) -> String {
        logFolder(storePath: storePath).replacingOccurrences(of: "%", with: "%%") + "/%x-%A_%a.out"
    }

    /// `value` as one word of an `#SBATCH` line: sbatch splits those lines at blanks outside double quotes and
    /// reads `\"` inside them as a quote.
    static func directiveWord(_ value: String) -> String {
        quote(value) == value ? value : "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `value` as one shell word.
    static func quote(_ value: String) -> String {
        if !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,%@+".contains($0) }) {
            return value
        }
        return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    var text: String {
        let array = "1-\(tasks)" + (parallel.map { "%\($0)" } ?? "")
        var lines = [
            "#!/bin/bash",
            "#SBATCH --job-name=\(jobName)",
            "#SBATCH --array=\(array)",
            "#SBATCH --ntasks=1",
            "#SBATCH --cpus-per-task=\(threads)",
            "#SBATCH --output=\(Self.directiveWord(Self.outputPattern(storePath: storePath)))",
            "# Written by `ser submit --slurm`: each task takes one run of the queue in the store below, trains",
            "# and records it, and exits. Nodes need the store's folder (shared file system), not the internet.",
            "set -euo pipefail",
        ]
        lines += prelude
        lines += [
            "export OPENBLAS_NUM_THREADS=1",
            "exec \(Self.quote(executable)) worker --store \(Self.quote(storePath)) --max-runs 1 --idle-exit 0 "
                + "--threads \(threads)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Errors of `ser submit`, each saying what to do.
enum SubmitError: Error, CustomStringConvertible, LocalizedError {
    case nothingQueued(String)
    case script(String, String)
    case noSbatch(String, queued: Int, store: String)
    case sbatchFailed(String, String, queued: Int, store: String)
    case logFolder(String)

    static func stillQueued(_ count: Int, _ store: String) -> String {
        count == 0
            ? ""
            : " The \(count) run\(count == 1 ? " stays" : "s stay") queued: submit workers for them with "
                + "`ser submit --slurm --store \(store)`, or run `ser worker --store \(store)`."
    }

    var description: String {
        switch self {
        case .nothingQueued(let store):
            return "no queued run in \(store) to submit; give spec files, or queue runs with `ser run SPEC --queue`."
        case .script(let path, let reason): return "cannot write the job script \(path): \(reason)"
        case .noSbatch(let sbatch, let queued, let store):
            return
                "cannot run \(sbatch): no such executable (is this a Slurm login node? SER_SBATCH names another "
                + "sbatch; --dry-run prints the script)." + Self.stillQueued(queued, store)
        case .sbatchFailed(let sbatch, let message, let queued, let store):
            return "\(sbatch) refused the job: \(message)" + Self.stillQueued(queued, store)
        case .logFolder(let folder):
            return
                "cannot submit: the task logs would go to \(folder), and Slurm turns off its log-name patterns "
                + "(%A, %a) for a path with a backslash (and an #SBATCH line ends at a line break), so the tasks "
                + "would lose their logs; put the store in a folder whose path has neither."
        }
    }

    var errorDescription: String? { description }
}
