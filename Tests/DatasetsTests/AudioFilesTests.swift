import Audio
import Foundation
import TestSupport
import XCTest

@testable import Datasets

#if canImport(Glibc)
    import Glibc
#endif

/// The corpus walker: each real file once, loops and special files skipped and listed, never a hang.
final class AudioFilesTests: XCTestCase {
    private func link(_ dir: TemporaryDirectory, _ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: dir.path(relative), withDestinationPath: target)
    }

    private func reasons(_ walk: AudioFileWalk) -> [String: SkipReason] {
        Dictionary(uniqueKeysWithValues: walk.skipped.map { ($0.path, $0.reason) })
    }

    func testALinkBackUpTheTreeCountsEachFileOnce() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "Actor_01/03-01-01-01-01-01-01.wav")
        try Fixtures.wav(dir, "Actor_01/deeper/03-01-02-01-01-01-01.wav")
        try link(dir, "Actor_01/loop", to: "..")
        try link(dir, "Actor_01/deeper/up", to: "..")

        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["Actor_01/03-01-01-01-01-01-01.wav", "Actor_01/deeper/03-01-02-01-01-01-01.wav"])
        XCTAssertEqual(
            reasons(walk),
            ["Actor_01/loop": .folderLoop(ancestor: ""), "Actor_01/deeper/up": .folderLoop(ancestor: "Actor_01")])
        let listing = try DatasetListing.make(dir.url.path)
        XCTAssertEqual(listing.files.count, 2)
        XCTAssertEqual(listing.skipped.map(\.path), ["Actor_01/deeper/up", "Actor_01/loop"])
    }

    func testSelfLinksAndDanglingLinksAreListedAsSkipped() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "a/03-01-01-01-01-01-01.wav")
        try link(dir, "a/self.wav", to: "self.wav")
        try link(dir, "a/gone.wav", to: "missing.wav")
        try link(dir, "ring1", to: "ring2")
        try link(dir, "ring2", to: "ring1")

        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["a/03-01-01-01-01-01-01.wav"])
        XCTAssertEqual(
            reasons(walk),
            [
                "a/self.wav": .linkLoop(target: "self.wav"), "a/gone.wav": .danglingLink(target: "missing.wav"),
                "ring1": .linkLoop(target: "ring2"), "ring2": .linkLoop(target: "ring1"),
            ])
        XCTAssertEqual(
            walk.skipped.first { $0.path == "a/gone.wav" }?.description,
            "a/gone.wav: a symbolic link to missing.wav, which does not exist")
    }

    func testAFIFONamedLikeAudioIsSkippedAndTheScanDoesNotHang() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "Actor_01/03-01-01-01-01-01-01.wav")
        let fifo = dir.path("Actor_01/03-01-02-01-01-01-01.wav")
        try makeFIFO(fifo)
        let socketPath = dir.path("Actor_01/sock")
        let socketFD = try bindSocket(socketPath)
        defer { close(socketFD) }

        let result = finishing(within: 20, releasing: [fifo]) { () -> (DatasetListing, DatasetScan) in
            let listing = try DatasetListing.make(dir.url.path)
            return (listing, try DatasetScan.run(try Dataset(listing: listing)))
        }
        let (listing, scan) = try XCTUnwrap(result, "listing or scanning a corpus with a FIFO hung").get()
        XCTAssertEqual(listing.files.map(\.relativePath), ["Actor_01/03-01-01-01-01-01-01.wav"])
        XCTAssertEqual(
            Dictionary(uniqueKeysWithValues: listing.skipped.map { ($0.path, $0.reason) }),
            ["Actor_01/03-01-02-01-01-01-01.wav": .specialFile(.fifo), "Actor_01/sock": .specialFile(.socket)])
        XCTAssertEqual(scan.readableCount, 1)
        XCTAssertEqual(listing.ignoredFiles, 0, "a socket is not a regular file")
    }

    func testAFIFOListedInAManifestIsUnreadableNotAHang() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "ok.wav")
        let fifo = dir.path("pipe.wav")
        try makeFIFO(fifo)
        try Fixtures.text(dir, "m.csv", "path,label\nok.wav,a\npipe.wav,b\n")
        let result = finishing(within: 20, releasing: [fifo]) {
            try DatasetScan.run(try Dataset.load(dir.path("m.csv")))
        }
        let scan = try XCTUnwrap(result, "scanning a manifest row naming a FIFO hung").get()
        XCTAssertEqual(
            scan.unreadable,
            [DatasetProblem(path: "pipe.wav", reason: "is a FIFO (named pipe), not a regular file; not opened")])
        let failFast = finishing(within: 20, releasing: [fifo]) {
            try DatasetScan.run(try Dataset.load(dir.path("m.csv")), stopOnError: true)
        }
        XCTAssertThrowsError(try XCTUnwrap(failFast, "hung").get()) { error in
            XCTAssertEqual(error as? AudioError, AudioError(path: fifo, problem: .notARegularFile(.fifo)))
        }
        // A FIFO given as the manifest itself is refused before it is read.
        let manifestFIFO = dir.path("pipe.csv")
        try makeFIFO(manifestFIFO)
        let manifest = finishing(within: 20, releasing: [manifestFIFO]) { try DatasetListing.make(manifestFIFO) }
        XCTAssertThrowsError(try XCTUnwrap(manifest, "reading a FIFO manifest hung").get()) { error in
            XCTAssertEqual(error as? DatasetError, .specialFile(path: manifestFIFO, kind: .fifo))
        }
    }

    func testAFolderNamedLikeAnAudioFileIsListedAsSkipped() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "happy/h1.wav")
        try Fixtures.wav(dir, "happy/a.wav/inner.wav")
        try FileManager.default.createDirectory(atPath: dir.path("sad.FLAC"), withIntermediateDirectories: true)
        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["happy/h1.wav"])
        XCTAssertEqual(reasons(walk), ["happy/a.wav": .folderNamedLikeAudio, "sad.FLAC": .folderNamedLikeAudio])
    }

    func testAnUnreadableFolderIsListedWithTheSystemsMessage() throws {
        try XCTSkipIf(geteuid() == 0, "root reads a folder whatever its mode")
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "a/1.wav")
        try Fixtures.wav(dir, "locked/2.wav")
        XCTAssertEqual(chmod(dir.path("locked"), 0), 0)
        defer { chmod(dir.path("locked"), 0o755) }
        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["a/1.wav"])
        XCTAssertEqual(reasons(walk), ["locked": .unreadable(String(cString: strerror(EACCES)))])
    }

    /// A path longer than PATH_MAX cannot be read by anyone, root included.
    func testAnEntryWhosePathIsTooLongIsListedWithTheSystemsMessage() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "a/1.wav")
        let name = String(repeating: "d", count: 250)
        let levels = 18  // 18 × 251 characters > PATH_MAX (4096)
        var folders = [open(dir.url.path, O_RDONLY | O_DIRECTORY)]
        for _ in 0..<levels {
            XCTAssertEqual(mkdirat(folders.last!, name, 0o755), 0)
            folders.append(openat(folders.last!, name, O_RDONLY | O_DIRECTORY))
        }
        close(openat(folders.last!, "deep.wav", O_CREAT | O_WRONLY, 0o644))
        defer {
            unlinkat(folders.last!, "deep.wav", 0)
            for level in stride(from: folders.count - 1, to: 0, by: -1) {
                close(folders[level])
                unlinkat(folders[level - 1], name, AT_REMOVEDIR)
            }
            close(folders[0])
        }
        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["a/1.wav"])
        XCTAssertEqual(walk.skipped.count, 1)
        XCTAssertEqual(walk.skipped.first?.reason, .unreadable(String(cString: strerror(ENAMETOOLONG))))
        XCTAssertTrue(walk.skipped.first?.path.hasPrefix(name + "/" + name) == true)
    }

    func testTheSameFileReachedByTwoPathsCountsOnceUnderItsOwnPath() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "Actor_01/03-01-01-01-01-01-01.wav")
        try Fixtures.wav(dir, "Actor_02/03-01-01-01-01-01-02.wav")
        // A link that sorts before the folder it points to, a hard link, and a link to a file.
        try link(dir, "0link", to: "Actor_01")
        try FileManager.default.linkItem(
            atPath: dir.path("Actor_01/03-01-01-01-01-01-01.wav"), toPath: dir.path("Actor_02/hard.wav"))
        try link(dir, "Actor_02/soft.wav", to: "../Actor_01/03-01-01-01-01-01-01.wav")

        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["Actor_01/03-01-01-01-01-01-01.wav", "Actor_02/03-01-01-01-01-01-02.wav"])
        XCTAssertEqual(
            reasons(walk),
            [
                "0link": .sameFolder(as: "Actor_01"),
                "Actor_02/hard.wav": .sameFile(as: "Actor_01/03-01-01-01-01-01-01.wav"),
                "Actor_02/soft.wav": .sameFile(as: "Actor_01/03-01-01-01-01-01-01.wav"),
            ])
    }

    func testALinkedFolderOutsideTheTreeIsSearchedUnderTheLinksName() throws {
        let outside = TemporaryDirectory()
        try Fixtures.wav(outside, "03-01-01-01-01-01-03.wav")
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "Actor_01/03-01-01-01-01-01-01.wav")
        try link(dir, "Actor_03", to: outside.url.path)
        let linked = TemporaryDirectory()
        try link(linked, "corpus", to: dir.url.path)

        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["Actor_01/03-01-01-01-01-01-01.wav", "Actor_03/03-01-01-01-01-01-03.wav"])
        XCTAssertTrue(walk.skipped.isEmpty)
        // The corpus given through a link to it: the same files.
        let throughLink = try AudioFiles.walk(linked.path("corpus"))
        XCTAssertEqual(throughLink.audio, walk.audio)
        XCTAssertEqual(throughLink.audioPaths.first, linked.path("corpus") + "/Actor_01/03-01-01-01-01-01-01.wav")
    }

    func testSystemFoldersAreRefusedAndLinksIntoThemNotFollowed() throws {
        for path in ["/", "/proc", "/sys", "/dev", "/proc/self"] {
            let result = finishing(within: 10) { try AudioFiles.walk(path) }
            XCTAssertThrowsError(try XCTUnwrap(result, "walking \(path) did not end").get()) { error in
                guard case .systemFolder(_, let folder)? = error as? DatasetError else {
                    return XCTFail("\(path): \(error)")
                }
                XCTAssertTrue(path.hasPrefix(folder), "\(path) refused as \(folder)")
                XCTAssertTrue("\(error)".contains("point data.path (or the command's folder) at the corpus folder"))
            }
        }
        let listing = finishing(within: 10) { try DatasetListing.make("/proc") }
        XCTAssertThrowsError(try XCTUnwrap(listing, "listing /proc did not end").get()) { error in
            XCTAssertEqual(error as? DatasetError, .systemFolder(path: "/proc", folder: "/proc"))
        }
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "a/1.wav")
        try link(dir, "proc", to: "/proc")
        try link(dir, "disk", to: "/")
        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["a/1.wav"])
        XCTAssertEqual(reasons(walk), ["proc": .systemFolder("/proc"), "disk": .systemFolder("/")])
    }

    func testTheWalkIsBoundedByTheNumberOfEntries() throws {
        let dir = TemporaryDirectory()
        for i in 0..<30 { try Fixtures.text(dir, "f\(i / 10)/n\(i).txt", "x") }
        XCTAssertEqual(try AudioFiles.walk(dir.url.path, limit: 33).entries, 33)
        XCTAssertThrowsError(try AudioFiles.walk(dir.url.path, limit: 32)) { error in
            XCTAssertEqual(error as? DatasetError, .tooManyEntries(path: dir.url.path, limit: 32))
            XCTAssertTrue("\(error)".contains("more than 32 entries"), "\(error)")
        }
        XCTAssertEqual(AudioFiles.maximumEntries, 1_000_000, "the bound docs/datasets.md states")
    }

    func testFoldersTooDeepAreListedAsSkipped() throws {
        let dir = TemporaryDirectory()
        let deep = (1...AudioFiles.maximumDepth).map { "d\($0)" }.joined(separator: "/")
        try Fixtures.wav(dir, "a/1.wav")
        try Fixtures.wav(dir, deep + "/2.wav")
        let walk = try AudioFiles.walk(dir.url.path)
        XCTAssertEqual(walk.audio, ["a/1.wav"])
        XCTAssertEqual(reasons(walk), [deep: .tooDeep(limit: AudioFiles.maximumDepth)])
    }

    func testAStopRequestEndsTheWalkAndTheScan() throws {
        let dir = TemporaryDirectory()
        for i in 0..<40 { try Fixtures.text(dir, "f\(i / 10)/n\(i).wav", "x") }
        let asked = Counter()
        XCTAssertThrowsError(try AudioFiles.walk(dir.url.path, shouldStop: { asked.increment() > 5 })) { error in
            guard case .stopped? = error as? DatasetError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(asked.value, 6, "the walk stops at the first question answered yes")
        XCTAssertThrowsError(try DatasetListing.make(dir.url.path, shouldStop: { true })) { error in
            XCTAssertEqual(error as? DatasetError, .stopped(path: dir.url.path))
        }
        let dataset = try Dataset.load(dir.url.path, layout: .folders)
        XCTAssertThrowsError(try DatasetScan.run(dataset, shouldStop: { true })) { error in
            XCTAssertEqual(error as? DatasetError, .stopped(path: dir.url.path))
        }
    }

    /// A listening Unix socket at `path` (closed by the caller).
    private func bindSocket(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8CString)
        guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else {
            throw CocoaError(.fileWriteInvalidFileName)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            bytes.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw CocoaError(.fileWriteUnknown) }
        return descriptor
    }
}

/// A thread-safe counter.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() -> Int {
        lock.withLock {
            count += 1; return count
        }
    }
}
