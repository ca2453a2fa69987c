import ArgumentParser
import Checksum
import Foundation
import OutputFiles
import RunStore
import SndFile
import StoreTestSupport
import TestSupport
import XCTest

@testable import SERCommands

#if canImport(Glibc)
    import Glibc
#endif

/// No command destroys a file it was not asked to touch: `ser export -o`, `report -o`, `features --png/--npy`,
/// `lr-find --png/--svg` and `synth --out` on folders, devices, FIFOs, links, the store, a run's own files and
/// existing files (replaced only with --force).
final class OutputCommandTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }
    var weightsPath: String { directory.path("runs/1/weights.safetensors") }

    override func setUp() { directory = TemporaryDirectory("ser-output-commands") }

    /// A store with run 1 finished and its weights recorded as an artifact.
    @discardableResult
    func makeStore() throws -> RunStore {
        let store = try RunStore(path: storePath)
        let experiment = try store.findOrCreateExperiment(name: "alpha").id!
        let run = try store.createRun(
            experimentID: experiment, name: "alpha", specYAML: "seed: 1\n", specHash: "h1", seed: 1,
            toolVersion: "0.1.0")
        try store.markRunning(run)
        try FileManager.default.createDirectory(atPath: directory.path("runs/1"), withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: weightsPath))
        try store.addArtifact(runID: run, kind: "weights", path: weightsPath)
        try store.finish(run)
        return store
    }

    func export(_ output: String, _ extra: [String] = []) throws -> Export.Result {
        let command = try SER.parseAsRoot(["export", "1", "-o", output, "--store", storePath] + extra)
        return try XCTUnwrap(command as? Export).export()
    }

    /// `body` throws an ``OutputFileError`` equal to `expected`.
    func assertRefused(
        _ expected: OutputFileError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? OutputFileError, expected, "\(error)", file: file, line: line)
        }
    }

    /// Names under `path` (recursively, hidden ones included), sorted.
    func tree(_ path: String) -> [String] {
        (FileManager.default.subpaths(atPath: path) ?? []).sorted()
    }

    func noTemporaryFiles(file: StaticString = #filePath, line: UInt = #line) {
        let left = tree(directory.url.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(left, [], "temporary files left behind", file: file, line: line)
    }

    func fileType(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    // MARK: - ser export

    func testExportRefusesAFolderTree() throws {
        try makeStore()
        let victim = directory.path("victim")
        try FileManager.default.createDirectory(atPath: victim + "/sub", withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: victim + "/sub/notes.txt"))
        for extra in [[], ["--force"]] {
            assertRefused(.notRegular(path: victim, kind: .folder)) { _ = try export(victim, extra) }
        }
        XCTAssertEqual(tree(victim), ["sub", "sub/notes.txt"])
        XCTAssertEqual(try String(contentsOfFile: victim + "/sub/notes.txt", encoding: .utf8), "mine")
        noTemporaryFiles()
    }

    func testExportRefusesTheCurrentFolder() throws {
        try makeStore()
        let cwd = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.url.path))
        let before = tree(".")
        assertRefused(.notRegular(path: ".", kind: .folder)) { _ = try export(".", ["--force"]) }
        XCTAssertEqual(tree("."), before)
    }

    func testExportRefusesTheStoreAndItsCompanionFiles() throws {
        let store = try makeStore()
        let identity = FileIdentity(path: storePath)
        let spelled = directory.path("runs/1/../ser.sqlite")
        for target in [storePath, spelled] {
            assertRefused(.protected(path: target, role: "the run store")) { _ = try export(target, ["--force"]) }
        }
        XCTAssertEqual(FileIdentity(path: storePath), identity, "the store file is the same file")
        XCTAssertEqual(try store.detail(of: 1).run.name, "alpha", "the store still reads")
        let wal = storePath + "-wal"
        if FileManager.default.fileExists(atPath: wal) {
            assertRefused(.protected(path: wal, role: "the run store's write-ahead log")) {
                _ = try export(wal, ["--force"])
            }
        }
        noTemporaryFiles()
    }

    func testExportRefusesTheRunsOwnWeightsUnderAnySpellingOrHardLink() throws {
        try makeStore()
        let role = "the weights file of run 1"
        let hardLink = directory.path("linked.safetensors")
        XCTAssertEqual(link(weightsPath, hardLink), 0)
        for target in [weightsPath, directory.path("runs/../runs/1/weights.safetensors"), hardLink] {
            assertRefused(.protected(path: target, role: role)) { _ = try export(target, ["--force"]) }
        }
        XCTAssertEqual(try String(contentsOfFile: weightsPath, encoding: .utf8), "weights")
        noTemporaryFiles()
    }

    func testExportRefusesAFIFOAndADeviceNode() throws {
        try makeStore()
        let fifo = directory.path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        assertRefused(.notRegular(path: fifo, kind: .fifo)) { _ = try export(fifo, ["--force"]) }
        XCTAssertEqual(fileType(fifo), S_IFIFO)
        let device = directory.path("null")
        guard mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
            throw XCTSkip("mknod needs root")
        }
        assertRefused(.notRegular(path: device, kind: .characterDevice)) { _ = try export(device, ["--force"]) }
        XCTAssertEqual(fileType(device), S_IFCHR)
        noTemporaryFiles()
    }

    func testExportReplacesAnExistingFileOnlyWithForce() throws {
        try makeStore()
        let target = directory.path("models/model.safetensors")
        try FileManager.default.createDirectory(atPath: directory.path("models"), withIntermediateDirectories: true)
        try Data("older model".utf8).write(to: URL(fileURLWithPath: target))
        XCTAssertThrowsError(try export(target)) { error in
            XCTAssertEqual("\(error)", "\(target) exists; pass --force to replace it.")
        }
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "older model")
        let result = try export(target, ["--force"])
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "weights")
        XCTAssertEqual(result.sha256, SHA256.hex(of: "weights"))
        XCTAssertEqual(tree(directory.path("models")), ["model.safetensors"])
    }

    func testExportDoesNotReplaceASymbolicLink() throws {
        try makeStore()
        let real = directory.path("real.safetensors")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: real))
        let link = directory.path("link.safetensors")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        assertRefused(.notRegular(path: link, kind: .symbolicLink)) { _ = try export(link, ["--force"]) }
        XCTAssertEqual(fileType(link), S_IFLNK)
        XCTAssertEqual(try String(contentsOfFile: real, encoding: .utf8), "keep")
    }

    func testAFailedExportLeavesNoPartialFileNoTemporaryFileAndNoNewFolder() throws {
        try makeStore()
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: weightsPath))
        let target = directory.path("new/model.safetensors")
        XCTAssertThrowsError(try export(target)) { error in
            XCTAssertTrue("\(error)".contains("the file changed since training"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("new")))
        let existing = directory.path("old.safetensors")
        try Data("old".utf8).write(to: URL(fileURLWithPath: existing))
        XCTAssertThrowsError(try export(existing, ["--force"]))
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "old")
        noTemporaryFiles()
    }
}

/// The same rule, lighter, for `report -o`, `features --png/--npy`, `lr-find --png/--svg` and `synth --out`.
final class OtherOutputCommandTests: XCTestCase {
    var directory: TemporaryDirectory!
    var made: ReportFixture.Made!
    var storePath: String { made.storePath }

    override func setUpWithError() throws {
        directory = TemporaryDirectory("ser-output-others")
        made = try ReportFixture.make(in: directory)
    }

    func run<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    func report(_ output: String, _ extra: [String] = []) throws -> String {
        try run(Report.self, ["report", "1", "-o", output, "--store", storePath, "--no-spectrograms"] + extra).write()
    }

    func assertRefused(
        _ expected: OutputFileError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? OutputFileError, expected, "\(error)", file: file, line: line)
        }
    }

    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func testReportRefusesFoldersFIFOsTheStoreAndArtifactsAndReplacesOnlyWithForce() throws {
        let audio = directory.path("audio")
        let before = try FileManager.default.contentsOfDirectory(atPath: audio).sorted()
        assertRefused(.notRegular(path: audio, kind: .folder)) { _ = try report(audio, ["--force"]) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: audio).sorted(), before)

        let fifo = directory.path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        assertRefused(.notRegular(path: fifo, kind: .fifo)) { _ = try report(fifo, ["--force"]) }

        assertRefused(.protected(path: storePath, role: "the run store")) { _ = try report(storePath, ["--force"]) }
        XCTAssertEqual(try made.store.detail(of: 1).run.id, 1, "the store still reads")

        let weights = directory.path("runs/1/model.safetensors")
        try FileManager.default.createDirectory(atPath: directory.path("runs/1"), withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: weights))
        try made.store.addArtifact(runID: 1, kind: "weights", path: weights)
        let spelled = directory.path("runs/../runs/1/model.safetensors")
        assertRefused(.protected(path: spelled, role: "the weights file of run 1")) {
            _ = try report(spelled, ["--force"])
        }
        XCTAssertEqual(contents(weights), "weights")

        let page = directory.path("report.html")
        try Data("an older page".utf8).write(to: URL(fileURLWithPath: page))
        XCTAssertThrowsError(try report(page)) {
            XCTAssertEqual("\($0)", "\(page) exists; pass --force to replace it.")
        }
        XCTAssertEqual(contents(page), "an older page")
        _ = try report(page, ["--force"])
        XCTAssertTrue(contents(page)?.hasPrefix("<!DOCTYPE html>") ?? false)
        XCTAssertEqual(
            FileManager.default.subpaths(atPath: directory.url.path)?.filter { $0.hasSuffix(".tmp") }, [])
    }

    func testFeaturesRefusesFoldersAndTheInputAndReplacesOnlyWithForce() throws {
        let wav = made.audio[0]
        let npy = directory.path("f.npy")
        try Data("older".utf8).write(to: URL(fileURLWithPath: npy))
        XCTAssertThrowsError(try run(FeaturesCommand.self, ["features", wav, "--npy", npy]).run()) {
            XCTAssertEqual("\($0)", "\(npy) exists; pass --force to replace it.")
        }
        XCTAssertEqual(contents(npy), "older")
        try run(FeaturesCommand.self, ["features", wav, "--npy", npy, "--force"]).run()
        XCTAssertNotEqual(contents(npy), "older")

        let folder = directory.path("audio")
        assertRefused(.notRegular(path: folder, kind: .folder)) {
            try run(FeaturesCommand.self, ["features", wav, "--png", folder, "--force"]).run()
        }
        let original = try Data(contentsOf: URL(fileURLWithPath: wav))
        assertRefused(.protected(path: wav, role: "the audio file being read")) {
            try run(FeaturesCommand.self, ["features", wav, "--npy", wav, "--force"]).run()
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: wav)), original)
    }

    func testLRFindRefusesTheStoreAndReplacesOnlyWithForce() throws {
        let png = directory.path("lr.png")
        try Data("older".utf8).write(to: URL(fileURLWithPath: png))
        let arguments = ["lr-find", "--run", "1", "--store", storePath, "--png", png]
        XCTAssertThrowsError(try run(LRFind.self, arguments).output()) {
            XCTAssertEqual("\($0)", "\(png) exists; pass --force to replace it.")
        }
        XCTAssertEqual(contents(png), "older")
        _ = try run(LRFind.self, arguments + ["--force"]).output()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: png)).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
        assertRefused(.protected(path: storePath, role: "the run store")) {
            _ = try run(LRFind.self, ["lr-find", "--run", "1", "--store", storePath, "--svg", storePath, "--force"])
                .output()
        }
        // The spec it reads is not written over either (refused before the finder runs).
        let spec = directory.path("tiny.yaml")
        try Data("name: tiny\n".utf8).write(to: URL(fileURLWithPath: spec))
        assertRefused(.protected(path: spec, role: "the spec being read")) {
            _ = try run(LRFind.self, ["lr-find", spec, "--store", storePath, "--svg", spec, "--force"]).output()
        }
        XCTAssertEqual(contents(spec), "name: tiny\n")
    }

    func testSynthDoesNotReplaceACorpusFolderHoldingSomeoneElsesFiles() throws {
        let out = directory.path("corpus")
        try run(Synth.self, ["synth", "--out", out, "--actors", "1"]).run()
        let notes = out + "/notes.txt"
        try Data("mine".utf8).write(to: URL(fileURLWithPath: notes))
        let extra = out + "/Actor_01/mine.wav"
        try Data("mine".utf8).write(to: URL(fileURLWithPath: extra))
        XCTAssertThrowsError(try run(Synth.self, ["synth", "--out", out, "--actors", "2"]).run()) { error in
            XCTAssertTrue("\(error)".contains("Actor_01/mine.wav, which ser did not write"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: extra)
        XCTAssertThrowsError(try run(Synth.self, ["synth", "--out", out, "--actors", "2"]).run()) { error in
            XCTAssertTrue("\(error)".contains("notes.txt, which ser did not write"), "\(error)")
        }
        XCTAssertEqual(contents(notes), "mine")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/Actor_01/03-01-01-01-01-01-01.wav"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/Actor_02"))
        // Without foreign files, a corpus of other parameters is replaced as before.
        try FileManager.default.removeItem(atPath: notes)
        try run(Synth.self, ["synth", "--out", out, "--actors", "2"]).run()
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/Actor_02/03-01-01-01-01-01-02.wav"))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix(".") },
            [], "no staging or retired folder is left")
    }

    func testSynthDoesNotReplaceASymbolicLink() throws {
        let real = directory.path("real")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        let link = directory.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        XCTAssertThrowsError(try run(Synth.self, ["synth", "--out", link, "--actors", "1"]).run()) { error in
            XCTAssertTrue("\(error)".contains("is a symbolic link"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), real)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: real), [])
    }
}
