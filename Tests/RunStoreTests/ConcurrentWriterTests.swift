import Foundation
import PostgresStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import RunStore

/// Several processes (and threads) writing one store at once lose nothing.
///
/// The parent test starts this test binary again (`/proc/self/exe`) once per writer, running only
/// `testChildWriter` with `SER_STORE_CHILD_PATH` set (a SQLite path or a PostgreSQL URL, whose artifact root is
/// `SER_STORE_CHILD_ARTIFACTS`); without that variable the child test does nothing.
final class ConcurrentWriterTests: XCTestCase {
    static let epochsPerWriter = 150

    /// Opens the store (racing the other writers to create and migrate it), then records one run with
    /// `epochsPerWriter` epochs, one transaction per epoch, as the runner does.
    static func write(path: String, writer: String) throws {
        let store = try open(path)
        let experiment = try store.findOrCreateExperiment(name: "concurrent", description: "writers")
        let id = try store.createRun(
            experimentID: experiment.id!, name: writer, specYAML: "writer: \(writer)\n", specHash: writer, seed: 1,
            toolVersion: "test")
        try store.markRunning(id)
        for epoch in 1...epochsPerWriter {
            try store.recordEpoch(
                EpochMetricRecord(runId: id, epoch: epoch, trainLoss: 1 / Double(epoch), accuracy: Double(epoch) / 1000)
            )
            if epoch % 10 == 0 { try store.heartbeat(id) }
        }
        try store.recordEvaluation(
            EvaluationRecord(
                runId: id, split: "valid", accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["a"],
                confusion: [[1]]),
            classMetrics: [
                ClassMetricRecord(runId: id, split: "valid", label: "a", precision: 1, recall: 1, f1: 1, support: 1)
            ],
            predictions: (0..<50).map {
                PredictionRecord(
                    runId: id, split: "valid", path: "\($0).wav", label: "a", predicted: "a", confidence: 1)
            })
        try store.finish(id)
    }

    /// The store at `location`: a SQLite file, or a PostgreSQL URL with its artifact root in the environment.
    static func open(_ location: String) throws -> RunStore {
        guard PostgresURL.isPostgres(location) else { return try RunStore(path: location) }
        let artifacts = ProcessInfo.processInfo.environment["SER_STORE_CHILD_ARTIFACTS"] ?? NSTemporaryDirectory()
        return try RunStore.postgres(url: PostgresURL(location), artifacts: artifacts, readOnly: false)
    }

    func testChildWriter() throws {
        guard let path = ProcessInfo.processInfo.environment["SER_STORE_CHILD_PATH"] else { return }
        try Self.write(path: path, writer: ProcessInfo.processInfo.environment["SER_STORE_CHILD_NAME"] ?? "child")
    }

    func testSeveralProcessesWritingOneStoreLoseNothing() throws {
        // A child runs only testChildWriter; never let one start writers of its own.
        if ProcessInfo.processInfo.environment["SER_STORE_CHILD_PATH"] != nil { return }
        let dir = TemporaryDirectory()
        try writeConcurrently(to: dir.path("runs/ser.sqlite"), artifacts: dir.path("artifacts"))
    }

    /// The same on a PostgreSQL store, whose first opens race to apply its migrations.
    func testSeveralProcessesWritingOnePostgresStoreLoseNothing() throws {
        if ProcessInfo.processInfo.environment["SER_STORE_CHILD_PATH"] != nil { return }
        let dir = TemporaryDirectory()
        try writeConcurrently(to: "\(try TestPostgres.freshURL())", artifacts: dir.path("artifacts"))
    }

    func writeConcurrently(to path: String, artifacts: String) throws {
        let writers = 4
        var children: [Process] = []
        for index in 0..<writers {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            child.arguments = ["RunStoreTests.ConcurrentWriterTests/testChildWriter"]
            var environment = ProcessInfo.processInfo.environment
            environment["SER_STORE_CHILD_PATH"] = path
            environment["SER_STORE_CHILD_NAME"] = "process-\(index)"
            environment["SER_STORE_CHILD_ARTIFACTS"] = artifacts
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            child.standardError = errors
            try child.run()
            children.append(child)
        }
        // The parent writes too, from two threads with their own store objects.
        let group = DispatchGroup()
        let failures = FailureLog()
        for index in 0..<2 {
            DispatchQueue.global().async(group: group) {
                do { try Self.write(path: path, writer: "thread-\(index)") } catch { failures.add("\(error)") }
            }
        }
        group.wait()
        for child in children {
            child.waitUntilExit()
            let stderr = (child.standardError as? Pipe).map {
                String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            }
            XCTAssertEqual(child.terminationStatus, 0, "a writer process failed: \(stderr ?? "")")
        }
        XCTAssertEqual(failures.messages, [])

        let store = try Self.open(path)
        let runs = try store.runs()
        XCTAssertEqual(runs.count, writers + 2)
        XCTAssertEqual(Set(runs.map(\.name)).count, writers + 2)
        XCTAssertEqual(try store.experiments().count, 1)
        for run in runs {
            XCTAssertEqual(run.status, .finished, run.name)
            XCTAssertEqual(run.epochs, Self.epochsPerWriter, run.name)
            XCTAssertEqual(try store.predictions(of: run.id, split: "valid").count, 50, run.name)
        }
        let total = try store.query("SELECT COUNT(*) FROM epoch_metric")
        XCTAssertEqual(total.rows, [[.integer(Int64((writers + 2) * Self.epochsPerWriter))]])
    }
}

/// Thread-safe list of failure messages from background writers.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.withLock { list.append(message) } }
    var messages: [String] { lock.withLock { list } }
}
