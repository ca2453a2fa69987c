import ArgumentParser
import Checksum
import Foundation
import PostgresStore
import RunStore
import Runner
import StoreTestSupport
import TestSupport
import XCTest

@testable import SERCommands

/// The store commands on a PostgreSQL store print what they print on a SQLite store: the runs of
/// ``StoreCommandsTests``'s SQLite fixture are copied (`ser store copy`) into PostgreSQL, and every reading command
/// is run on both.
final class PostgresStoreCommandsTests: XCTestCase {
    var directory: TemporaryDirectory!
    var sqlite: String { directory.path("runs/ser.sqlite") }
    var artifacts: String { directory.path("shared") }
    var postgres: String!

    override func setUpWithError() throws {
        postgres = "\(try TestPostgres.freshURL())"
        directory = TemporaryDirectory("ser-postgres-commands")
    }

    func output<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> String {
        let command = try XCTUnwrap(SER.parseAsRoot(arguments) as? T)
        switch command {
        case let command as Runs: return try command.output()
        case let command as Show: return try command.output()
        case let command as Compare: return try command.output()
        case let command as Query: return try command.output()
        case let command as Remove: return try command.output()
        case let command as StoreCopy: return try command.output()
        default: throw ValidationError("no output() for \(type)")
        }
    }

    /// `arguments` on the SQLite store and on the PostgreSQL one give the same text (run folders aside).
    func assertSameOutput<T: ParsableCommand>(
        _ type: T.Type, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let onSQLite = try output(type, arguments + ["--store", sqlite])
            .replacingOccurrences(of: directory.path("runs/ser-runs"), with: "RUNS")
        let onPostgres = try output(type, arguments + ["--store", postgres, "--artifacts", artifacts])
            .replacingOccurrences(of: directory.path("shared/ser-runs"), with: "RUNS")
        XCTAssertEqual(onPostgres, onSQLite, "\(arguments)", file: file, line: line)
    }

    func testCommandsPrintTheSameOnBothBackendsAndCopiesAreNotDuplicated() throws {
        _ = try StoreCommandsTests.populate(at: sqlite)
        let copy = try output(
            StoreCopy.self, ["store", "copy", sqlite, postgres, "--to-artifacts", artifacts, "--json"])
        let copies = try JSONDecoder().decode([[String: AnyDecodable]].self, from: Data(copy.utf8))
        XCTAssertEqual(copies.count, 3)
        XCTAssertEqual(
            try output(StoreCopy.self, ["store", "copy", sqlite, postgres, "--to-artifacts", artifacts]),
            """
            Run 1 is already in the destination as run 1; not copied again.
            Run 2 is already in the destination as run 2; not copied again.
            Run 3 is already in the destination as run 3; not copied again.
            """)
        try assertSameOutput(Runs.self, ["runs"])
        try assertSameOutput(Runs.self, ["runs", "--json"])
        try assertSameOutput(Show.self, ["show", "1", "--spec"])
        try assertSameOutput(Show.self, ["show", "1", "--json"])
        try assertSameOutput(Show.self, ["show", "2"])
        try assertSameOutput(Compare.self, ["compare", "--experiment", "beta"])
        try assertSameOutput(Compare.self, ["compare", "1", "2", "3", "--json"])
        try assertSameOutput(Query.self, ["query", "SELECT id, name, seed, error FROM run ORDER BY id"])
        try assertSameOutput(Query.self, ["query", "SELECT id, name FROM run ORDER BY id", "--format", "csv"])

        // The weights were copied under the artifact root and export checks them by SHA-256 there.
        let out = directory.path("export/model.safetensors")
        let exported = try XCTUnwrap(
            SER.parseAsRoot(["export", "1", "-o", out, "--store", postgres, "--artifacts", artifacts]) as? Export
        ).export()
        XCTAssertEqual(exported.sha256, SHA256.hex(of: "weights"))
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "weights")
        let copied = directory.path("shared/ser-runs/1/model.safetensors")
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: copied))
        XCTAssertThrowsError(
            try XCTUnwrap(
                SER.parseAsRoot(["export", "1", "-o", out, "--force", "--store", postgres, "--artifacts", artifacts])
                    as? Export
            ).export()
        ) { XCTAssertTrue("\($0)".contains("the file changed since training"), "\($0)") }
        try Data("weights".utf8).write(to: URL(fileURLWithPath: copied))

        // Back into a new SQLite store: the same runs again.
        let back = directory.path("back/ser.sqlite")
        _ = try output(StoreCopy.self, ["store", "copy", postgres, back, "--from-artifacts", artifacts])
        XCTAssertEqual(
            try output(Runs.self, ["runs", "--json", "--store", back]),
            try output(Runs.self, ["runs", "--json", "--store", sqlite]))

        // The query is read-only on PostgreSQL too, and rm deletes the run's files under the artifact root.
        XCTAssertThrowsError(
            try output(Query.self, ["query", "DELETE FROM run", "--store", postgres, "--artifacts", artifacts])
        ) { XCTAssertTrue("\($0)".contains("read-only transaction"), "\($0)") }
        _ = try output(Remove.self, ["rm", "1", "--store", postgres, "--artifacts", artifacts])
        XCTAssertFalse(FileManager.default.fileExists(atPath: copied))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path("runs/ser-runs/1/model.safetensors")))
        XCTAssertEqual(
            try output(Runs.self, ["runs", "--store", postgres, "--artifacts", artifacts]).split(separator: "\n").count,
            3)
    }

    func testRunOnPostgresRecordsWhatItRecordsOnSQLite() throws {
        let spec = directory.path("tiny.yaml")
        try tinyRunSpec(epochs: 2).write(toFile: spec, atomically: true, encoding: .utf8)
        // The corpus is made once, in the SQLite store's cache; the PostgreSQL run makes its own under the root.
        func run(_ store: [String]) throws -> RunOutcome {
            let outcomes = try XCTUnwrap(SER.parseAsRoot(["run", spec] + store) as? RunCommand)
                .perform(output: .silent, log: { _ in }, trap: false)
            XCTAssertEqual(outcomes.map(\.status), [.finished], "\(outcomes.map(\.error))")
            return try XCTUnwrap(outcomes.first)
        }
        let onSQLite = try run(["--store", sqlite])
        let onPostgres = try run(["--store", postgres, "--artifacts", artifacts])
        XCTAssertEqual(onPostgres.valid?.accuracy, onSQLite.valid?.accuracy)
        XCTAssertEqual(onPostgres.bestEpoch, onSQLite.bestEpoch)
        let store = try RunStore.postgres(url: PostgresURL(postgres), artifacts: artifacts, readOnly: true)
        let detail = try store.detail(of: onPostgres.runID)
        XCTAssertEqual(Set(detail.artifacts.map(\.kind)), ["weights", "checkpoint"])
        for artifact in detail.artifacts {
            XCTAssertTrue(artifact.path.hasPrefix("ser-runs/\(onPostgres.runID)/"), artifact.path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: store.resolvedPath(of: artifact)), artifact.path)
        }
        let sqliteEpochs = try RunStore(readingPath: sqlite).epochs(of: onSQLite.runID)
        XCTAssertEqual(detail.epochs.map(\.accuracy), sqliteEpochs.map(\.accuracy))
        XCTAssertEqual(detail.epochs.map(\.validLoss), sqliteEpochs.map(\.validLoss))

        // resume continues an interrupted run from its checkpoint under the artifact root.
        let writer = try RunStore.postgres(url: PostgresURL(postgres), artifacts: artifacts, readOnly: false)
        try writer.interrupt(onPostgres.runID, reason: "interrupted by a test")
        let resumed = try XCTUnwrap(
            SER.parseAsRoot(["resume", "\(onPostgres.runID)", "--store", postgres, "--artifacts", artifacts]) as? Resume
        ).perform(output: .silent, log: { _ in }, trap: false)
        XCTAssertEqual(resumed.status, .finished, resumed.error ?? "")
        XCTAssertEqual(try writer.epochs(of: onPostgres.runID).map(\.accuracy), sqliteEpochs.map(\.accuracy))

        // report draws the run from PostgreSQL, naming the store without a password.
        let page = directory.path("report.html")
        let report = try XCTUnwrap(
            SER.parseAsRoot([
                "report", "\(onPostgres.runID)", "-o", page, "--no-spectrograms", "--store", postgres, "--artifacts",
                artifacts,
            ]) as? Report)
        _ = try report.write()
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(html.contains("tiny"), "the run's experiment is on the page")
        XCTAssertTrue(html.contains(postgres), "the page names the store it was drawn from")
    }

    /// The commands that read only rows (`runs`, `show`, `compare`, `query`) need no artifact root; those that
    /// read or write files (`export`) say how to give one.
    func testReadingCommandsNeedNoArtifactRootButFileCommandsDo() throws {
        unsetenv("SER_ARTIFACTS")
        _ = try StoreCommandsTests.populate(at: sqlite)
        _ = try output(StoreCopy.self, ["store", "copy", sqlite, postgres, "--to-artifacts", artifacts])
        XCTAssertEqual(
            try output(Runs.self, ["runs", "--store", postgres]),
            try output(Runs.self, ["runs", "--store", postgres, "--artifacts", artifacts]))
        XCTAssertEqual(
            try output(Compare.self, ["compare", "1", "2", "3", "--store", postgres]),
            try output(Compare.self, ["compare", "1", "2", "3", "--store", sqlite]))
        XCTAssertEqual(
            try output(Query.self, ["query", "SELECT id, name FROM run ORDER BY id", "--store", postgres]),
            try output(Query.self, ["query", "SELECT id, name FROM run ORDER BY id", "--store", sqlite]))
        // show names the files as recorded, relative to the artifact root it was not given.
        let shown = try output(Show.self, ["show", "1", "--store", postgres])
        XCTAssertTrue(shown.contains("ser-runs/1/model.safetensors"), shown)
        XCTAssertFalse(shown.contains(directory.path("")), shown)
        let out = directory.path("export/model.safetensors")
        XCTAssertThrowsError(
            try XCTUnwrap(SER.parseAsRoot(["export", "1", "-o", out, "--store", postgres]) as? Export).export()
        ) { XCTAssertTrue("\($0)".contains("--artifacts DIR or set SER_ARTIFACTS"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// The worker tests' spec cut to four runs of two epochs, written to `path`.
    static func writeFourRunSpec(_ path: String) throws -> String {
        try WorkerProcessTests.spec
            .replacingOccurrences(
                of: "train.lr: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]",
                with: "train.lr: [0.001, 0.002, 0.003, 0.004]"
            )
            .replacingOccurrences(of: "epochs: 3", with: "epochs: 2")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Two `ser worker` processes on one PostgreSQL queue of four tiny runs: each run finishes exactly once
    /// (claims lock the run rows `FOR UPDATE SKIP LOCKED`), and nothing is left claimable.
    func testTwoWorkersOnAPostgresQueueFinishEveryRunOnce() throws {
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: ClosedPipeTests.executable.path),
            "no ser executable at \(ClosedPipeTests.executable.path): build with `swift build --build-tests`")
        let spec = try Self.writeFourRunSpec(directory.path("queued.yaml"))
        let store = ["--store", postgres!, "--artifacts", artifacts]
        let ids = try XCTUnwrap(SER.parseAsRoot(["run", spec, "--queue"] + store) as? RunCommand)
            .enqueue(log: { _ in }).map(\.runID)
        XCTAssertEqual(ids.count, 4)
        let fast = ["--threads", "1", "--heartbeat", "0.5", "--stale-after", "30", "--poll", "0.2", "--idle-exit", "2"]
        let workers = try ["p1", "p2"].map { name in
            try WorkerProcessTests.WorkerProcess(name: name, arguments: store + fast, in: directory)
        }
        for worker in workers {
            worker.wait(seconds: 600)
            XCTAssertEqual(worker.process.terminationStatus, 0, worker.log)
        }
        let finished = try workers.flatMap { try $0.finishedRuns() }
        XCTAssertEqual(finished.sorted(), ids, workers.map(\.log).joined(separator: "\n"))
        let reader = try RunStore.postgres(url: PostgresURL(postgres), artifacts: artifacts, readOnly: true)
        XCTAssertEqual(try ids.map { try reader.run($0)?.status }, Array(repeating: .finished, count: 4))
        XCTAssertEqual(Set(try reader.queueEntries().values.map(\.claims)), [1])
        XCTAssertEqual(try reader.claimableCount(), 0)
    }
}

/// Any JSON value (only its presence is checked).
private struct AnyDecodable: Decodable {
    init(from decoder: Decoder) throws {}
}
