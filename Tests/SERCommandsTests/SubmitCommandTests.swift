import ArgumentParser
import Foundation
import RunStore
import TestSupport
import XCTest

@testable import SERCommands

/// `ser run --queue` and `ser submit --slurm` (issue #21): the queue, the job script, and sbatch (a stand-in
/// here; a real single-node Slurm in ``testRealSlurmRunsTheQueuedRuns()`` when one is running).
final class SubmitCommandTests: XCTestCase {
    var directory: TemporaryDirectory!
    var store: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-submit") }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    /// The worker test's six-run sweep, with `epochs` epochs.
    func writeSpec(epochs: Int = 3) throws -> String {
        let path = directory.path("queued.yaml")
        try WorkerProcessTests.spec.replacingOccurrences(of: "epochs: 3", with: "epochs: \(epochs)")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// An sbatch stand-in that records its arguments and the script, and prints a job id (or fails).
    func fakeSbatch(fail: Bool = false) throws -> String {
        let path = directory.path("sbatch")
        let record = directory.path("sbatch.args")
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > \(record)
            for last; do :; done
            cp "$last" \(directory.path("sbatch.script"))
            \(fail ? "echo 'sbatch: error: invalid partition specified: nope' >&2; exit 1" : "echo '4242;local'")
            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func testRunQueueRecordsEveryRunWithoutTrainingAndSaysHowToStartWorkers() throws {
        let spec = try writeSpec()
        let command = try parse(RunCommand.self, ["run", spec, "--queue", "--store", store])
        let queued = try command.enqueue(log: { _ in })
        XCTAssertEqual(queued.map(\.runID), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(queued[0].sweep, "train.lr=0.001")
        let runStore = try RunStore(readingPath: store)
        let runs = try runStore.runs()
        XCTAssertEqual(Set(runs.map(\.status)), [.queued])
        XCTAssertEqual(runs.map(\.epochs), Array(repeating: 0, count: 6))
        XCTAssertEqual(try runStore.queueEntries().count, 6)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("runs/ser-runs")), "nothing trained")
        let text = RunCommand.queueText(queued, storePath: store)
        XCTAssertTrue(
            text.contains("ser worker --store \(directory.url.standardizedFileURL.path)/runs/ser.sqlite"), text)
        XCTAssertTrue(text.contains("ser submit --slurm"), text)
        let listing = try parse(Runs.self, ["runs", "--store", store]).output()
        XCTAssertEqual(listing.split(separator: "\n").filter { $0.contains("  queued  ") }.count, 6, listing)

        // A claimed run shows its worker, and the host it runs on when the worker's name does not say it.
        let writer = try RunStore(path: store)
        let alive = Staleness(isAlive: { _ in true })
        _ = try writer.claimNext(worker: "w7", staleness: alive, pid: 70, host: "node-a")
        _ = try writer.claimNext(worker: "node-b:71", staleness: alive, pid: 71, host: "node-b")
        let claimed = try parse(Runs.self, ["runs", "--store", store]).output()
        XCTAssertTrue(claimed.contains("WORKER"), claimed)
        XCTAssertTrue(claimed.hasSuffix(" w7@node-a") && claimed.contains(" node-b:71\n"), claimed)

        // An invalid spec queues nothing.
        let bad = directory.path("bad.yaml")
        try "name: bad\ntrain: {epochs: many}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(
            try parse(RunCommand.self, ["run", spec, bad, "--queue", "--store", store]).enqueue(log: { _ in }))
        XCTAssertEqual(try RunStore(readingPath: store).runs().count, 6)
    }

    func testDryRunPrintsTheArrayScriptAndWritesNothing() throws {
        let spec = try writeSpec()
        let command = try parse(
            Submit.self,
            [
                "submit", spec, "--slurm", "--store", store, "--parallel", "2", "--dry-run", "--threads", "2",
                "--sbatch-arg=--time=01:00:00", "--prelude", "module load openblas", "--ser", "/opt/ser/bin/ser",
            ])
        let submission = try command.submit(environment: ["SER_SBATCH": "/usr/bin/sbatch"], log: { _ in })
        let folder = directory.url.standardizedFileURL.path + "/runs"
        XCTAssertEqual(submission.tasks, 6)
        XCTAssertEqual(
            submission.script,
            """
            #!/bin/bash
            #SBATCH --job-name=ser-queued
            #SBATCH --array=1-6%2
            #SBATCH --ntasks=1
            #SBATCH --cpus-per-task=2
            #SBATCH --output=\(folder)/slurm/%x-%A_%a.out
            # Written by `ser submit --slurm`: each task takes one run of the queue in the store below, trains
            # and records it, and exits. Nodes need the store's folder (shared file system), not the internet.
            set -euo pipefail
            module load openblas
            export OPENBLAS_NUM_THREADS=1
            exec /opt/ser/bin/ser worker --store \(folder)/ser.sqlite --max-runs 1 --idle-exit 0 --threads 2

            """)
        XCTAssertEqual(submission.sbatch, ["/usr/bin/sbatch", "--parsable", "--time=01:00:00", "SCRIPT"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "a dry run creates no store")
        XCTAssertTrue(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).allSatisfy { $0 == "queued.yaml" })
        // The script parses as bash.
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-n", "-c", submission.script]
        try bash.run()
        bash.waitUntilExit()
        XCTAssertEqual(bash.terminationStatus, 0)
        XCTAssertEqual(SlurmScript.quote("a b'c"), "'a b'\\''c'")
    }

    func testSubmitEnqueuesWritesTheScriptAndHandsItToSbatch() throws {
        let spec = try writeSpec()
        let sbatch = try fakeSbatch()
        let command = try parse(
            Submit.self, ["submit", spec, "--slurm", "--store", store, "--sbatch-arg=--partition=short"])
        let submission = try command.submit(environment: ["SER_SBATCH": sbatch], log: { _ in })
        XCTAssertEqual(submission.jobID, "4242")
        XCTAssertEqual(submission.runs, [1, 2, 3, 4, 5, 6])
        let scriptPath = try XCTUnwrap(submission.scriptPath)
        let args = try String(contentsOfFile: directory.path("sbatch.args"), encoding: .utf8)
        XCTAssertEqual(args, "--parsable\n--partition=short\n\(scriptPath)\n")
        XCTAssertEqual(try String(contentsOfFile: directory.path("sbatch.script"), encoding: .utf8), submission.script)
        XCTAssertTrue(submission.script.contains("#SBATCH --array=1-6\n"), submission.script)
        XCTAssertEqual(try RunStore(readingPath: store).claimableCount(), 6)

        // Without specs: workers for what is queued.
        let again = try parse(Submit.self, ["submit", "--slurm", "--store", store])
            .submit(environment: ["SER_SBATCH": sbatch], log: { _ in })
        XCTAssertEqual(again.tasks, 6)
        XCTAssertEqual(again.runs, [])
        XCTAssertEqual(try RunStore(readingPath: store).runs().count, 6, "nothing queued twice")
    }

    func testARefusedSubmissionNamesSbatchsMessageAndKeepsTheRunsQueued() throws {
        let spec = try writeSpec()
        let command = try parse(Submit.self, ["submit", spec, "--slurm", "--store", store])
        XCTAssertThrowsError(try command.submit(environment: ["SER_SBATCH": try fakeSbatch(fail: true)], log: { _ in }))
        {
            let text = "\($0)"
            XCTAssertTrue(text.contains("invalid partition specified: nope"), text)
            XCTAssertTrue(text.contains("The 6 runs stay queued"), text)
        }
        XCTAssertThrowsError(
            try command.submit(environment: ["SER_SBATCH": directory.path("no-sbatch")], log: { _ in })
        ) {
            XCTAssertTrue("\($0)".contains("no such executable"), "\($0)")
        }
        XCTAssertEqual(try RunStore(readingPath: store).claimableCount(), 12)
        XCTAssertThrowsError(try parse(Submit.self, ["submit", spec, "--store", store])) {
            XCTAssertTrue(Submit.message(for: $0).contains("--slurm"), Submit.message(for: $0))
        }
        let empty = directory.path("empty/ser.sqlite")
        _ = try RunStore(path: empty)
        XCTAssertThrowsError(try parse(Submit.self, ["submit", "--slurm", "--store", empty]).submit(log: { _ in })) {
            XCTAssertTrue("\($0)".contains("no queued run"), "\($0)")
        }
    }

    /// A store folder with blanks, quotes and `%` still gets its task logs: the `#SBATCH --output` word is
    /// double-quoted for sbatch and the folder's `%` doubled for Slurm's patterns; a backslash is refused.
    func testTheLogPathSurvivesBlanksQuotesAndPercentSigns() throws {
        let spec = try writeSpec()
        let store = directory.path("runs 100% \"shared\"/ser.sqlite")
        let submission = try parse(Submit.self, ["submit", spec, "--slurm", "--store", store, "--dry-run"])
            .submit(environment: ["SER_SBATCH": "/usr/bin/sbatch"], log: { _ in })
        let folder = directory.url.standardizedFileURL.path + "/runs 100%% \\\"shared\\\"/slurm"
        XCTAssertTrue(
            submission.script.contains("\n#SBATCH --output=\"\(folder)/%x-%A_%a.out\"\n"), submission.script)
        for bad in [directory.path("runs\\1/ser.sqlite"), directory.path("runs\n2/ser.sqlite")] {
            XCTAssertThrowsError(
                try parse(Submit.self, ["submit", spec, "--slurm", "--store", bad]).submit(
                    environment: ["SER_SBATCH": "/usr/bin/false"], log: { _ in })
            ) {
                XCTAssertTrue("\($0)".contains("backslash"), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: bad), "nothing queued")
        }
        XCTAssertEqual(SlurmScript.directiveWord("/a/b"), "/a/b")
    }

    /// A real Slurm (tools/slurm-local start, which .ci/run calls): a three-task array of workers runs three
    /// queued runs of the built `ser`, with its store in a folder whose name needs quoting (blank, quotes, `%`);
    /// each task's log lands beside the store.
    func testRealSlurmRunsTheQueuedRuns() throws {
        let store = directory.path("runs 100% \"shared\"/ser.sqlite")
        let sbatch = Submit.sbatchExecutable(ProcessInfo.processInfo.environment)
        let idle = Self.slurmIsIdle()
        if !FileManager.default.isExecutableFile(atPath: sbatch) || !idle {
            let reason = "no Slurm cluster here (\(sbatch), node idle: \(idle)); tools/slurm-local start makes one"
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail(reason) }
            throw XCTSkip(reason)
        }
        let spec = directory.path("three.yaml")
        try WorkerProcessTests.spec.replacingOccurrences(
            of: "0.001, 0.002, 0.003, 0.004, 0.005, 0.006", with: "0.001, 0.002, 0.003"
        )
        .replacingOccurrences(of: "epochs: 3", with: "epochs: 1")
        .write(toFile: spec, atomically: true, encoding: .utf8)
        let submission = try parse(
            Submit.self,
            ["submit", spec, "--slurm", "--store", store, "--parallel", "2", "--ser", ClosedPipeTests.executable.path]
        ).submit(log: { _ in })
        XCTAssertEqual(submission.runs, [1, 2, 3])
        // A fresh read-only open each time: one opened while no writer had the store open sees it as it was.
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline,
            try RunStore(readingPath: store).runs().contains(where: { $0.status != .finished && $0.status != .failed })
        {
            Thread.sleep(forTimeInterval: 0.5)
        }
        let logFolder = directory.path("runs 100% \"shared\"/slurm")
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: logFolder)) ?? []
        let runs = try RunStore(readingPath: store).runs()
        XCTAssertEqual(runs.map(\.status), [.finished, .finished, .finished], "task logs: \(logs)")
        let jobID = try XCTUnwrap(submission.jobID)
        XCTAssertEqual(
            logs.filter { $0.hasSuffix(".out") }.sorted(), (1...3).map { "ser-queued-\(jobID)_\($0).out" },
            "\(logFolder): \(logs)")
        XCTAssertEqual(Set(runs.compactMap(\.worker).map { $0.components(separatedBy: "_").first }), ["slurm:\(jobID)"])
    }

    static func slurmIsIdle() -> Bool {
        let sinfo = Process()
        sinfo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sinfo.arguments = ["sinfo", "-h", "-o", "%T"]
        let output = Pipe()
        sinfo.standardOutput = output
        sinfo.standardError = FileHandle.nullDevice
        guard (try? sinfo.run()) != nil else { return false }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sinfo.waitUntilExit()
        return sinfo.terminationStatus == 0 && text.split(separator: "\n").contains { $0 == "idle" || $0 == "mixed" }
    }
}
