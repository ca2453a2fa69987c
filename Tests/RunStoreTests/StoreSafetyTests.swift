import Checksum
import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// Stores that must not lose anything: claims, read-only opens, damaged files, failures on a full disk, run
/// folders of their own, and `removeRun` deleting only the run's own files.
final class StoreSafetyTests: XCTestCase {
    func makeRun(_ store: RunStore, name: String = "r") throws -> Int64 {
        let experimentID = try store.findOrCreateExperiment(name: "exp").id!
        return try store.createRun(
            experimentID: experimentID, name: name, specYAML: "seed: 1\n", specHash: "h", seed: 1, toolVersion: "t")
    }

    /// Every file in `folder` (recursively) with its bytes and modification time.
    func snapshot(_ folder: String) throws -> [String: (Data, Date)] {
        var result: [String: (Data, Date)] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let name = enumerator?.nextObject() as? String {
            let path = folder + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            result[name] = (
                try Data(contentsOf: URL(fileURLWithPath: path)), try XCTUnwrap(attributes[.modificationDate] as? Date)
            )
        }
        return result
    }

    func assertUnchanged(
        _ before: [String: (Data, Date)], _ after: [String: (Data, Date)], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(Set(before.keys), Set(after.keys), "files appeared or vanished", file: file, line: line)
        for (name, (data, date)) in before {
            XCTAssertEqual(after[name]?.0, data, "\(name) changed", file: file, line: line)
            XCTAssertEqual(after[name]?.1, date, "\(name) was touched", file: file, line: line)
        }
    }

    // MARK: Claims

    func testTwoConcurrentClaimsOfAStaleRunHaveExactlyOneWinner() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        let store = try RunStore(path: path)
        let id = try makeRun(store)
        // Every process is gone: a run stamped by a dead pid is stale; the claimer's own pid is alive.
        let me = Int64(getpid())
        let staleness = Staleness(isAlive: { $0 == me })
        for round in 0..<8 {
            try store.writer.write { db in
                try db.execute(
                    sql: "UPDATE run SET status = 'running', pid = 999999, heartbeat_at = ? WHERE id = ?",
                    arguments: [Date(), id])
            }
            XCTAssertEqual(try store.summary(of: id, staleness: staleness).displayStatus, .stale)
            let results = ClaimResults()
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for _ in 0..<2 {
                DispatchQueue.global().async(group: group) {
                    do {
                        let mine = try RunStore(path: path)
                        start.wait()
                        try mine.claim(id, staleness: staleness)
                        results.won()
                    } catch {
                        results.lost(error)
                    }
                }
            }
            start.signal()
            start.signal()
            group.wait()
            XCTAssertEqual(results.wins, 1, "round \(round): \(results.errors)")
            XCTAssertEqual(results.errors.count, 1, "round \(round)")
            let message = results.errors.first.map { "\($0)" } ?? ""
            XCTAssertTrue(message.contains("run \(id)") && message.contains("pid \(me)"), message)
            XCTAssertEqual(try store.run(id)?.pid, me)
        }
        // A finished run is never claimed again.
        try store.finish(id)
        XCTAssertThrowsError(try store.claim(id, staleness: staleness)) { error in
            XCTAssertTrue("\(error)".contains("it has finished"), "\(error)")
        }
    }

    // MARK: Read-only opens

    func filledStore(_ path: String) throws {
        let store = try RunStore(path: path)
        let id = try makeRun(store)
        try store.markRunning(id)
        try store.recordEpoch(EpochMetricRecord(runId: id, epoch: 1, validLoss: 1, accuracy: 0.5))
        try store.finish(id)
    }

    func readEverything(_ path: String) throws {
        let store = try RunStore(readingPath: path)
        XCTAssertEqual(try store.runs().map(\.displayStatus), [.finished])
        XCTAssertEqual(try store.detail(of: 1).epochs.count, 1)
        XCTAssertEqual(try store.compare(metric: .accuracy).first?.best, 0.5)
        XCTAssertEqual(try RunStore.query(path: path, sql: "SELECT COUNT(*) FROM run").rows, [[.integer(1)]])
        XCTAssertThrowsError(try store.fail(1, reason: "x"), "a read-only store refuses writes")
        XCTAssertThrowsError(try RunStore.query(path: path, sql: "DELETE FROM run"))
    }

    func testReadingOpensChangeNothingInTheStoreFolder() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        try filledStore(path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"), "closed cleanly")
        let before = try snapshot(dir.url.path)
        Thread.sleep(forTimeInterval: 0.02)
        try readEverything(path)
        assertUnchanged(before, try snapshot(dir.url.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-shm"))
    }

    func testAReadOnlyFileAndAReadOnlyFolderCanBeRead() throws {
        let dir = TemporaryDirectory()
        let folder = dir.path("ro")
        let path = folder + "/ser.sqlite"
        try filledStore(path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder) }
        let before = try snapshot(folder)
        try readEverything(path)
        assertUnchanged(before, try snapshot(folder))
    }

    func testReadingWhileAWriterHasTheStoreOpenUsesItsFilesAndLeavesNoneBehind() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        try filledStore(path)
        let writer = try RunStore(path: path)
        try writer.heartbeat(1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        try readEverything(path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted(), names)
    }

    func testAReadOnlyOpenOfAnOlderStoreNeedingTablesSaysToRunAWritingCommand() throws {
        let dir = TemporaryDirectory()
        let old = dir.path("v2.sqlite")
        try RunStore.createOldStore(path: old, migrations: 2)
        XCTAssertThrowsError(try RunStore(readingPath: old)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(old) && message.contains("v3-lr-finder-artifacts"), message)
            XCTAssertTrue(message.contains("read-only open cannot apply") && message.contains("writes"), message)
        }
        // A store from before run folders of its own is readable as it is: every run is in the old layout.
        let v3 = dir.path("v3.sqlite")
        try RunStore.createOldStore(path: v3, migrations: 3)
        let store = try RunStore(readingPath: v3)
        XCTAssertNil(store.identity)
        XCTAssertEqual(store.runFolder(of: 7).path, dir.path("7"))
        XCTAssertEqual(try store.appliedMigrations().count, 3, "nothing migrated")
    }

    // MARK: Damaged stores

    func testADamagedStoreIsReportedNamingTheFileAndWhatToDo() throws {
        let dir = TemporaryDirectory()
        // Not a database at all.
        let garbage = dir.path("garbage.sqlite")
        try Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: garbage))
        for open in [{ try RunStore(path: garbage) }, { try RunStore(readingPath: garbage) }] {
            XCTAssertThrowsError(try open().runs()) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(garbage), message)
                XCTAssertTrue(message.contains("not a readable run store"), message)
                XCTAssertTrue(message.contains("restore it from a backup"), message)
            }
        }
        // A store cut short, and one with garbage pages.
        let whole = dir.path("whole.sqlite")
        do {
            let store = try RunStore(path: whole)
            let experimentID = try store.findOrCreateExperiment(name: "exp").id!
            for i in 0..<300 {
                try store.createRun(
                    experimentID: experimentID, name: "run \(i)", specYAML: String(repeating: "k: v\n", count: 100),
                    specHash: "h", seed: 1, toolVersion: "t")
            }
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        XCTAssertGreaterThan(data.count, 40 * 4096)
        let truncated = dir.path("truncated.sqlite")
        try data.prefix(12 * 4096).write(to: URL(fileURLWithPath: truncated))
        let scribbled = dir.path("scribbled.sqlite")
        var pages = data
        for offset in stride(from: 6 * 4096, to: data.count - 4096, by: 4096 * 3) {
            pages.replaceSubrange(offset..<offset + 4096, with: [UInt8](repeating: 0xA5, count: 4096))
        }
        try pages.write(to: URL(fileURLWithPath: scribbled))
        for path in [truncated, scribbled] {
            XCTAssertThrowsError(try RunStore(readingPath: path).runs()) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path) && message.contains("restore it from a backup"), message)
            }
        }
    }

    // MARK: A full disk

    func testAFailureTheFullStoreCannotRecordGoesToTheNoteAndIsRecordedOnTheNextWritingOpen() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        let store = try RunStore(path: path)
        let id = try makeRun(store)
        try store.claim(id)
        let folder = try store.prepareRunFolder(id)
        // No new page may be allocated: a long reason needs overflow pages, as a real full disk would refuse.
        try store.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let reason = "the disk filled: " + String(repeating: "x", count: 20_000)
        XCTAssertThrowsError(try store.fail(id, reason: reason)) { error in
            XCTAssertTrue("\(error)".contains("full"), "\(error)")
        }
        XCTAssertEqual(try store.run(id)?.status, .running, "the store could not record it")
        let note = try XCTUnwrap(FailureNote.read(in: folder))
        XCTAssertEqual(note.status, .failed)
        XCTAssertTrue(note.reason.hasPrefix("the disk filled: xxx"))
        XCTAssertEqual(
            try Data(contentsOf: folder.appendingPathComponent(RunFolders.failureNoteName)).count, FailureNote.size)
        // Reading commands show it as failed with the reason, without writing.
        let reader = try RunStore(readingPath: path)
        let summary = try reader.summary(of: id)
        XCTAssertEqual(summary.displayStatus, .failed)
        XCTAssertEqual(summary.error, note.reason)
        XCTAssertEqual(try reader.detail(of: id).run.status, .failed)
        XCTAssertEqual(try reader.run(id)?.status, .running)
        // The next writing open records it and empties the note.
        let reopened = try RunStore(path: path)
        let run = try XCTUnwrap(reopened.run(id))
        XCTAssertEqual(run.status, .failed)
        XCTAssertEqual(run.error, note.reason)
        XCTAssertNil(FailureNote.read(in: folder))
    }

    // MARK: Run folders

    func testStoresInOneFolderHaveRunFoldersOfTheirOwnAndRecordRelativePaths() throws {
        let dir = TemporaryDirectory()
        let a = try RunStore(path: dir.path("a.sqlite"))
        let b = try RunStore(path: dir.path("b.sqlite"))
        XCTAssertNotEqual(a.identity, b.identity)
        let runA = try makeRun(a), runB = try makeRun(b)
        XCTAssertEqual(runA, runB)
        let folderA = try a.prepareRunFolder(runA), folderB = try b.prepareRunFolder(runB)
        XCTAssertEqual(folderA.path, dir.path("a-runs/1"))
        XCTAssertEqual(folderB.path, dir.path("b-runs/1"))
        let file = folderA.appendingPathComponent("model.safetensors")
        try Data("weights".utf8).write(to: file)
        let artifact = try a.addArtifact(runID: runA, kind: "weights", path: file.path)
        XCTAssertEqual(artifact.path, "a-runs/1/model.safetensors")
        XCTAssertEqual(a.resolvedPath(of: artifact), file.path)
        // Checkpoint rows are replaced, not added per epoch.
        let checkpoint = folderA.appendingPathComponent("checkpoint.json")
        for epoch in 1...3 {
            try Data("epoch \(epoch)".utf8).write(to: checkpoint)
            try a.replaceArtifact(runID: runA, kind: "checkpoint", path: checkpoint.path, epoch: epoch)
        }
        XCTAssertEqual(try a.detail(of: runA).artifacts.filter { $0.kind == "checkpoint" }.map(\.epoch), [3])
        // A folder whose marker names another store, or that holds files but no marker, is refused.
        let c = try RunStore(path: dir.path("c.sqlite"))
        let runC = try makeRun(c)
        try FileManager.default.createDirectory(atPath: dir.path("c-runs"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: folderB.path, toPath: dir.path("c-runs/1"))
        XCTAssertThrowsError(try c.prepareRunFolder(runC)) { error in
            XCTAssertTrue("\(error)".contains(dir.path("c-runs/1")) && "\(error)".contains("another store"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: dir.path("c-runs/1/\(RunFolders.markerName)"))
        XCTAssertThrowsError(try c.prepareRunFolder(runC)) { error in
            XCTAssertTrue("\(error)".contains("no ownership marker"), "\(error)")
        }
    }

    func testAnOlderStoreKeepsItsRunsInTheOldFoldersAndNewRunsGetTheNewOnes() throws {
        let dir = TemporaryDirectory()
        let path = dir.path("ser.sqlite")
        try RunStore.createOldStore(path: path, migrations: 3)
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: "INSERT INTO experiment (name, created_at) VALUES ('old', '2026-01-01 10:00:00.000')")
            try db.execute(
                sql: """
                    INSERT INTO run (experiment_id, name, spec_yaml, spec_hash, status, seed, tool_version, host, created_at)
                    VALUES (1, 'old run', 'seed: 7', 'abc', 'interrupted', 7, '0.0.1', 'h', '2026-01-01 10:00:00.000')
                    """)
        }
        try old.close()
        let store = try RunStore(path: path)
        XCTAssertNotNil(store.identity)
        XCTAssertEqual(store.runFolder(of: 1).path, dir.path("1"))
        let new = try makeRun(store)
        XCTAssertEqual(store.runFolder(of: new).path, dir.path("ser-runs/\(new)"))
        // The old run resumes in its old folder: its recorded checkpoint proves the folder is its own.
        let checkpoint = dir.path("1/checkpoints/checkpoint.json")
        try FileManager.default.createDirectory(atPath: dir.path("1/checkpoints"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: checkpoint))
        let (hash, bytes) = try SHA256.hexAndSize(ofFileAt: checkpoint)
        try store.addArtifact(
            ArtifactRecord(runId: 1, kind: "checkpoint", path: checkpoint, sha256: hash, bytes: bytes, epoch: 1))
        XCTAssertEqual(try store.prepareRunFolder(1).path, dir.path("1"))
        XCTAssertEqual(store.resolvedPath(of: try XCTUnwrap(store.latestCheckpoint(of: 1))), checkpoint)
    }

    /// An older store's run folder (`<folder>/1/`, absolute paths) with a model file and a checkpoint.
    func legacyStore(in folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/1/checkpoints", withIntermediateDirectories: true)
        let path = folder + "/ser.sqlite"
        try RunStore.createOldStore(path: path, migrations: 3)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO experiment (name, created_at) VALUES ('old', '2026-01-01 10:00:00.000')")
            try db.execute(
                sql: """
                    INSERT INTO run (experiment_id, name, spec_yaml, spec_hash, status, seed, tool_version, host, created_at)
                    VALUES (1, 'old run', 'seed: 7', 'abc', 'finished', 7, '0.0.1', 'h', '2026-01-01 10:00:00.000')
                    """)
            for (kind, name, epoch) in [
                ("checkpoint", "checkpoints/checkpoint.json", 1), ("weights", "model.safetensors", 0),
            ] {
                let file = folder + "/1/" + name
                try Data("\(kind) of the old run".utf8).write(to: URL(fileURLWithPath: file))
                let (hash, bytes) = try SHA256.hexAndSize(ofFileAt: file)
                try db.execute(
                    sql: """
                        INSERT INTO artifact (run_id, kind, path, sha256, bytes, epoch, created_at)
                        VALUES (1, ?, ?, ?, ?, ?, '2026-01-01 10:00:00.000')
                        """, arguments: [kind, file, hash, bytes, epoch == 0 ? nil : epoch])
            }
        }
        try queue.close()
        try Data("model weights".utf8).write(
            to: URL(fileURLWithPath: folder + "/1/checkpoints/model-e0000.safetensors"))
    }

    func testRemovingARunWhoseFolderIsMarkedAsAnotherStoresDeletesNothingThere() throws {
        let dir = TemporaryDirectory()
        let store = try RunStore(path: dir.path("ser.sqlite"))
        let id = try makeRun(store)
        let folder = try store.prepareRunFolder(id)
        let model = folder.appendingPathComponent("model.safetensors")
        try Data("weights".utf8).write(to: model)
        try store.addArtifact(runID: id, kind: "weights", path: model.path)
        for marker in [#"{"run":1,"store":"someone-else"}"#, "garbage"] {
            try Data(marker.utf8).write(to: folder.appendingPathComponent(RunFolders.markerName))
            let removal = try store.removalPlan(id, artifacts: try store.detail(of: id).artifacts)
            XCTAssertEqual(removal.files, [], marker)
            XCTAssertTrue(
                removal.refused.contains { $0.path == model.path && $0.reason.contains("another run or store") })
        }
        let removal = try store.removeRun(id)
        XCTAssertEqual(removal.removed, [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.path))
    }

    func testRemovingARunOfACopiedOlderStoreDeletesOnlyTheCopysFiles() throws {
        let dir = TemporaryDirectory()
        let live = dir.path("live"), backup = dir.path("backup")
        try legacyStore(in: live)
        try FileManager.default.copyItem(atPath: live, toPath: backup)
        let liveFiles = try snapshot(live)
        let store = try RunStore(path: backup + "/ser.sqlite")
        let removal = try store.removeRun(1)
        assertUnchanged(liveFiles, try snapshot(live))
        XCTAssertEqual(
            Set(removal.removed),
            Set(
                ["1/model.safetensors", "1/checkpoints/checkpoint.json", "1/checkpoints/model-e0000.safetensors"].map {
                    backup + "/" + $0
                }))
        XCTAssertEqual(
            Set(removal.refused.map(\.path)), [live + "/1/model.safetensors", live + "/1/checkpoints/checkpoint.json"])
        XCTAssertTrue(removal.refused.allSatisfy { $0.reason.contains("outside run 1's folder") }, "\(removal.refused)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: backup + "/1"), "the emptied folders are removed")
        XCTAssertEqual(try store.runs().count, 0)
    }
}

final class ClaimResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var wins = 0
    private(set) var errors: [Error] = []
    func won() { lock.withLock { wins += 1 } }
    func lost(_ error: Error) { lock.withLock { errors.append(error) } }
}
