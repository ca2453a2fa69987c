import Foundation
import FuzzTargets
import XCTest

/// `tools/fuzz/<target>/corpus` of this checkout.
func corpusFolder(_ target: FuzzTarget) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/fuzz/\(target.rawValue)/corpus", isDirectory: true)
}

/// Every committed seed and regression input goes through the same function as the libFuzzer harness, so a
/// crash the fuzzer once found fails `swift test` if it comes back.
final class FuzzCorpusTests: XCTestCase {
    func files(_ target: FuzzTarget) throws -> [URL] {
        let folder = corpusFolder(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    func runCorpus(_ target: FuzzTarget, file: StaticString = #filePath, line: UInt = #line) throws {
        let inputs = try files(target)
        XCTAssertFalse(inputs.isEmpty, "no seeds in \(corpusFolder(target).path)", file: file, line: line)
        for url in inputs { target.run([UInt8](try Data(contentsOf: url))) }
    }

    func testSpecCorpus() throws { try runCorpus(.spec) }
    func testSafeTensorsCorpus() throws { try runCorpus(.safetensors) }
    func testModelCorpus() throws { try runCorpus(.model) }
    func testAudioCorpus() throws { try runCorpus(.audio) }
    func testPCMCorpus() throws { try runCorpus(.pcm) }
    func testCSVCorpus() throws { try runCorpus(.csv) }

    /// Seeds stay small: libFuzzer mutates them byte by byte, and they are committed. The largest is the
    /// smallest complete model file (ResNet-10 of width 1, 12.3 KiB, mostly its JSON header).
    func testSeedsAreSmall() throws {
        for target in FuzzTarget.allCases {
            for url in try files(target) {
                let size = try Data(contentsOf: url).count
                XCTAssertLessThanOrEqual(size, 16384, "\(url.path) is \(size) bytes")
            }
        }
    }
}

/// Writes the generated seeds (`FuzzSeeds.make`) into the corpora when `SER_UPDATE_FUZZ_SEEDS=1`.
final class FuzzSeedTests: XCTestCase {
    func testGeneratedSeedsAreAcceptedAndCommitted() throws {
        let update = ProcessInfo.processInfo.environment["SER_UPDATE_FUZZ_SEEDS"] == "1"
        for seed in try FuzzSeeds.make() {
            // What the writers produce, the readers accept: a seed that fails early teaches the fuzzer little.
            XCTAssertTrue(seed.target.run([UInt8](seed.bytes)), "\(seed.target) rejects its seed \(seed.name)")
            let url = corpusFolder(seed.target).appendingPathComponent(seed.name)
            if update { try seed.bytes.write(to: url) }
            XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "\(url.path) is not committed")
        }
    }
}
