import ArgumentParser
import Foundation
import RunStore
import TestSupport
import XCTest

@testable import SERCommands

#if canImport(Glibc)
    import Glibc
#endif

/// Issue #21: three `ser worker` processes (the built executable) on one queue of six tiny synthetic runs; one
/// is killed with SIGKILL in the middle of a run. Every run finishes exactly once, with the results of a
/// single worker working through the same queue alone, and nothing is left claimed.
final class WorkerProcessTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-workers") }

    /// Six runs (a sweep over the learning rate), three epochs each, no LR finder: a few seconds apiece.
    static let spec = """
        name: queued
        seed: 5
        data:
          synthetic: {actors: 2, seed: 1}
          labels: emotion
          emotions: [neutral, happy, sad, angry]
        audio: {sample_rate: 16000, duration: 1.0}
        features: {n_fft: 256, hop_length: 160, n_mels: 16}
        model: {depth: 10, width: 8, stem: small, dropout: 0.1}
        lr_finder: {enabled: false}
        train: {epochs: 3, batch_size: 16, schedule: one_cycle, lr: 0.002}
        split: {kind: speakers, valid: [2]}
        sweep:
          train.lr: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]
        """

    /// A started `ser worker` whose standard output and error go to files.
    final class WorkerProcess {
        let process = Process()
        let output: String
        let errors: String

        /// `launcher`: a command that runs the worker (`ser worker …` is appended to it), e.g. one that isolates it.
        init(name: String, arguments: [String], in directory: TemporaryDirectory, launcher: [String] = []) throws {
            output = directory.path("\(name).out")
            errors = directory.path("\(name).err")
            FileManager.default.createFile(atPath: output, contents: nil)
            FileManager.default.createFile(atPath: errors, contents: nil)
            let worker = ["worker"] + arguments + ["--worker-id", name, "--json"]
            if let first = launcher.first {
                process.executableURL = URL(fileURLWithPath: first)
                process.arguments = launcher.dropFirst() + [ClosedPipeTests.executable.path] + worker
            } else {
                process.executableURL = ClosedPipeTests.executable
                process.arguments = worker
            }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
            try process.run()
        }

        /// The run ids this worker reported finished (one JSON object per line on standard output).
        func finishedRuns() throws -> [Int64] {
            let text = try String(contentsOfFile: output, encoding: .utf8)
            return try text.split(separator: "\n").compactMap { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard object?["status"] as? String == "finished" else { return nil }
                return (object?["run_id"] as? NSNumber)?.int64Value
            }
        }

        var log: String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }

        /// Waits for the worker to end, at most `seconds`; kills it (and fails) when it does not.
        func wait(seconds: Double, file: StaticString = #filePath, line: UInt = #line) {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                XCTFail("worker did not end within \(seconds) s:\n\(log)", file: file, line: line)
            }
            process.waitUntilExit()
        }
    }

    /// Queues the spec's runs in a fresh store at `path` with `ser run --queue` (in process).
    func queue(store path: String) throws -> [Int64] {
        let spec = directory.path("queued.yaml")
        if !FileManager.default.fileExists(atPath: spec) {
            try Self.spec.write(toFile: spec, atomically: true, encoding: .utf8)
        }
        let command = try XCTUnwrap(
            try SER.parseAsRoot(["run", spec, "--queue", "--store", path]) as? RunCommand)
        return try command.enqueue(log: { _ in }).map(\.runID)
    }

    struct RunResult: Equatable {
        var status: RunStatus
        var epochs: [EpochMetricRecord]
        var valid: [Double]
        var predictions: [PredictionRecord]
        var weights: [String]
        var checkpoints: Int
    }

    /// What a store recorded about each run that a second run must reproduce (timestamps aside).
    func results(_ store: RunStore, _ ids: [Int64]) throws -> [Int64: RunResult] {
        var results: [Int64: RunResult] = [:]
        for id in ids {
            let detail = try store.detail(of: id)
            let valid = try XCTUnwrap(detail.evaluations.first { $0.split == "valid" }, "run \(id) has no evaluation")
            results[id] = RunResult(
                status: detail.run.status,
                epochs: detail.epochs.map {
                    var e = $0; e.recordedAt = Date(timeIntervalSince1970: 0); e.seconds = nil; return e
                },
                valid: [valid.accuracy, valid.balancedAccuracy, valid.f1Macro, valid.loss ?? .nan],
                // Each store has its own synthetic corpus folder: the files are compared by name.
                predictions: try store.predictions(of: id, split: "valid").map {
                    var p = $0
                    p.path = URL(fileURLWithPath: p.path).lastPathComponent
                    return p
                },
                weights: detail.artifacts.filter { $0.kind == "weights" }.map(\.sha256),
                checkpoints: detail.artifacts.filter { $0.kind == "checkpoint" }.count)
        }
        return results
    }

    func testThreeWorkersOneKilledFinishEveryRunOnceWithTheResultsOfOne() throws {
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: ClosedPipeTests.executable.path),
            "no ser executable at \(ClosedPipeTests.executable.path): build with `swift build --build-tests`")
        let fast = ["--threads", "1", "--heartbeat", "0.5", "--stale-after", "5", "--poll", "0.2"]

        // The reference: one worker alone through the queue.
        let reference = directory.path("alone/ser.sqlite")
        let referenceIDs = try queue(store: reference)
        XCTAssertEqual(referenceIDs.count, 6)
        let alone = try WorkerProcess(
            name: "alone", arguments: ["--store", reference, "--idle-exit", "0"] + fast, in: directory)
        alone.wait(seconds: 900)
        XCTAssertEqual(alone.process.terminationStatus, 0, alone.log)
        XCTAssertEqual(try alone.finishedRuns(), referenceIDs, alone.log)

        // Three workers on a queue of the same runs; the first is killed once its run has recorded an epoch.
        let shared = directory.path("shared/ser.sqlite")
        let ids = try queue(store: shared)
        XCTAssertEqual(ids, referenceIDs)
        let workers = try ["w1", "w2", "w3"].map { name in
            try WorkerProcess(name: name, arguments: ["--store", shared, "--idle-exit", "3"] + fast, in: directory)
        }
        let store = try RunStore(path: shared)
        let deadline = Date().addingTimeInterval(600)
        var victim: Int64?
        while victim == nil && Date() < deadline && workers[0].process.isRunning {
            let queue = try store.queueEntries()
            for run in try store.runs() where run.status == .running && (1..<3).contains(run.epochs) {
                if queue[run.id]?.worker == "w1" { victim = run.id }
            }
            if victim == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let killed = try XCTUnwrap(victim, "w1 never got an epoch into a run:\n\(workers[0].log)")
        kill(workers[0].process.processIdentifier, SIGKILL)
        workers[0].process.waitUntilExit()
        XCTAssertEqual(workers[0].process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try store.run(killed)?.status, .running, "the killed worker's run is left running")
        for worker in workers.dropFirst() { worker.wait(seconds: 900) }
        for worker in workers.dropFirst() { XCTAssertEqual(worker.process.terminationStatus, 0, worker.log) }

        // Every run finished exactly once: reported by exactly one worker, the killed run taken over once.
        let reported = try workers.flatMap { try $0.finishedRuns() }
        XCTAssertEqual(reported.sorted(), ids, workers.map(\.log).joined(separator: "\n"))
        XCTAssertFalse(try workers[0].finishedRuns().contains(killed))
        let queue = try store.queueEntries()
        XCTAssertEqual(queue[killed]?.claims, 2)
        XCTAssertNotEqual(queue[killed]?.worker, "w1")
        for id in ids where id != killed { XCTAssertEqual(queue[id]?.claims, 1, "run \(id)") }
        let taker = workers.first { $0.log.contains("run \(killed): reclaimed from w1") }
        XCTAssertNotNil(taker, workers.map(\.log).joined(separator: "\n"))

        // Nothing left claimed, and the same results as the single worker.
        XCTAssertEqual(try store.runs().filter { $0.status != .finished }.map(\.id), [])
        let expected = try results(try RunStore(readingPath: reference), ids)
        let got = try results(store, ids)
        for id in ids {
            XCTAssertEqual(got[id]?.status, .finished)
            XCTAssertEqual(got[id]?.weights.count, 1, "run \(id): one weights artifact")
            XCTAssertEqual(got[id]?.checkpoints, 1, "run \(id): one checkpoint artifact")
            XCTAssertEqual(got[id], expected[id], "run \(id) differs from the single worker's")
        }
    }
}
