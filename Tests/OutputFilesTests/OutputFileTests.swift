import Foundation
import OutputFiles
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `OutputFile.write`: what it refuses, what it replaces, and what a failure leaves behind.
final class OutputFileTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-output-file") }

    struct Boom: Error {}

    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// Every name in the folder (hidden ones included), sorted.
    func names(_ path: String? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path ?? directory.url.path)) ?? []).sorted()
    }

    func assertRefused(
        _ path: String, existing: ExistingFile = .replace, protected: [ProtectedFile] = [],
        _ expected: OutputFileError, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(
            try OutputFile.write(Data("new".utf8), to: path, existing: existing, protected: protected), file: file,
            line: line
        ) { error in
            XCTAssertEqual(error as? OutputFileError, expected, file: file, line: line)
        }
        XCTAssertFalse(
            names().contains { $0.hasSuffix(".tmp") }, "temporary file left: \(names())", file: file, line: line)
    }

    func testWritesANewFileCreatingItsFolders() throws {
        let path = directory.path("a/b/out.txt")
        try OutputFile.write(Data("hello".utf8), to: path, existing: .refuse)
        XCTAssertEqual(contents(path), "hello")
        XCTAssertEqual(names(directory.path("a/b")), ["out.txt"])
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o600, 0o600)
        XCTAssertEqual(mode & 0o111, 0, "not executable")
    }

    func testAnExistingFileIsReplacedOnlyWhenAsked() throws {
        let path = directory.path("report.html")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        assertRefused(path, existing: .refuse, .exists(path: path))
        XCTAssertEqual(contents(path), "old")
        XCTAssertEqual("\(OutputFileError.exists(path: path))", "\(path) exists; pass --force to replace it.")
        try OutputFile.write(Data("new".utf8), to: path, existing: .replace)
        XCTAssertEqual(contents(path), "new")
        XCTAssertEqual(names(), ["report.html"])
    }

    func testFoldersAreNeverReplaced() throws {
        let victim = directory.path("victim")
        try FileManager.default.createDirectory(atPath: victim + "/sub", withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: victim + "/sub/file"))
        assertRefused(victim, .notRegular(path: victim, kind: .folder))
        XCTAssertEqual(contents(victim + "/sub/file"), "keep")
        let cwd = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        FileManager.default.changeCurrentDirectoryPath(victim)
        assertRefused(".", .notRegular(path: ".", kind: .folder))
        XCTAssertEqual(names(victim), ["sub"])
    }

    func testFIFOsAndDevicesAreNeverReplaced() throws {
        let fifo = directory.path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0, String(cString: strerror(errno)))
        assertRefused(fifo, .notRegular(path: fifo, kind: .fifo))
        var info = stat()
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still there")

        let device = directory.path("null")
        // The same device numbers as /dev/null (1, 3); only root may make device nodes.
        guard mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
            throw XCTSkip("mknod needs root: \(String(cString: strerror(errno)))")
        }
        assertRefused(device, .notRegular(path: device, kind: .characterDevice))
        XCTAssertEqual(lstat(device, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "the device node is still there")
    }

    func testSymbolicLinksAreNotReplaced() throws {
        let real = directory.path("real.txt")
        try Data("real".utf8).write(to: URL(fileURLWithPath: real))
        let link = directory.path("link.txt")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        assertRefused(link, .notRegular(path: link, kind: .symbolicLink))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), real)
        XCTAssertEqual(contents(real), "real")
        let dangling = directory.path("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: directory.path("nowhere"))
        assertRefused(dangling, .notRegular(path: dangling, kind: .symbolicLink))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("nowhere")))
    }

    func testProtectedFilesAreCaughtUnderAnySpellingAndThroughHardLinks() throws {
        try FileManager.default.createDirectory(atPath: directory.path("runs/1"), withIntermediateDirectories: true)
        let weights = directory.path("runs/1/model.safetensors")
        try Data("weights".utf8).write(to: URL(fileURLWithPath: weights))
        let protected = [try XCTUnwrap(ProtectedFile(path: weights, role: "the weights of run 1"))]
        let spelled = directory.path("runs/../runs/1/./model.safetensors")
        let hardLink = directory.path("copy.safetensors")
        XCTAssertEqual(link(weights, hardLink), 0)
        for path in [weights, spelled, hardLink] {
            assertRefused(path, protected: protected, .protected(path: path, role: "the weights of run 1"))
        }
        XCTAssertEqual(contents(weights), "weights")
        XCTAssertEqual(
            "\(OutputFileError.protected(path: weights, role: "the weights of run 1"))",
            "\(weights) is the weights of run 1; write somewhere else (it was left as is).")
    }

    func testAFailedWriteLeavesNoPartialTargetNoTemporaryFileAndNoNewFolder() throws {
        let path = directory.path("new/sub/out.bin")
        XCTAssertThrowsError(
            try OutputFile.write(to: path, existing: .refuse) { writer in
                try writer.write(Data(repeating: 7, count: 100_000))
                throw Boom()
            }
        ) { XCTAssertTrue($0 is Boom, "\($0)") }
        XCTAssertEqual(names(), [], "neither the file, its temporary nor the folders it made are left")

        let old = directory.path("old.bin")
        try Data("old".utf8).write(to: URL(fileURLWithPath: old))
        XCTAssertThrowsError(
            try OutputFile.write(to: old, existing: .replace) { writer in
                try writer.write(Data(repeating: 7, count: 100_000))
                throw Boom()
            })
        XCTAssertEqual(contents(old), "old", "the file it was to replace is intact")
        XCTAssertEqual(names(), ["old.bin"])
    }

    func testAPathThatNamesNoFileIsRefused() throws {
        for path in ["", directory.path("new") + "/"] {
            assertRefused(path, .noFileName(path: path))
        }
        XCTAssertEqual(names(), [])
    }

    func testAFolderThatCannotHoldTheFileIsReported() throws {
        let file = directory.path("plain")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try OutputFile.write(Data("y".utf8), to: file + "/out.txt", existing: .refuse)) {
            error in
            guard case .io(let path, _, let reason)? = error as? OutputFileError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, file + "/out.txt")
            XCTAssertEqual(reason, "Not a directory")
        }
        XCTAssertEqual(contents(file), "x")
    }
}
