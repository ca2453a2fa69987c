import Foundation
import TestSupport
import XCTest

@testable import Specs

/// Hostile specs are refused quickly (well under a second each) with a clear error.
final class HostileSpecTests: XCTestCase {
    /// Loads `text` and returns the first error's message, failing if it loads or takes a second or more.
    func refusal(
        _ text: String, name: String = "hostile.yaml", overrides: [String] = [], file: StaticString = #filePath,
        line: UInt = #line
    ) -> String {
        let fixture = SpecFixture()
        fixture.write(name, text)
        let start = Date()
        let errors = fixture.errors(name, overrides: overrides, file: file, line: line)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, 1, "refusing took \(seconds) s", file: file, line: line)
        return errors.first?.description ?? ""
    }

    func testAnAliasBombIsRefused() {
        // Each level holds ten aliases of the previous one: 10^9 values once expanded.
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            lines.append("a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]")
        }
        let message = refusal(lines.joined(separator: "\n") + "\n")
        XCTAssertTrue(message.contains("expands to more than 20000 values"), message)
    }

    func testDeepNestingIsRefused() {
        let shallowEnough = refusal(
            "data: {synthetic: true}\nx: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
                + "\n")
        XCTAssertTrue(shallowEnough.contains("nests deeper than 32 levels"), shallowEnough)
        let veryDeep = refusal("x: " + String(repeating: "[", count: 100_000) + "\n")
        XCTAssertTrue(veryDeep.contains("nests too deeply") || veryDeep.contains("nests deeper"), veryDeep)
        let deepBlocks = (0..<200).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n")
        XCTAssertTrue(refusal(deepBlocks + " 1\n").contains("nests"))
    }

    func testAHugeFileIsRefusedBeforeParsing() {
        let big = String(repeating: "# padding to make the file large\n", count: 40_000)
        let message = refusal("data: {synthetic: true}\n" + big)
        XCTAssertTrue(message.contains("more than the 1048576 allowed"), message)
    }

    func testManyKeysAreRefusedByTheValueBudget() {
        let keys = (0..<60_000).map { "k\($0): [1]" }.joined(separator: "\n")
        let message = refusal(keys + "\n")
        XCTAssertTrue(message.contains("the spec has more than 10000 values"), message)
        // Comments do not count.
        let fixture = SpecFixture()
        fixture.write(
            "commented.yaml", "data: {synthetic: true}\n" + String(repeating: "# a, b, c: d - e\n", count: 5_000))
        XCTAssertNoThrow(try fixture.load("commented.yaml"))
    }

    func testLongExtendsChainsAndCyclesAreRefused() {
        let fixture = SpecFixture()
        for index in 0..<30 { fixture.write("s\(index).yaml", "extends: s\(index + 1).yaml\n") }
        fixture.write("s30.yaml", "data: {synthetic: true}\n")
        let start = Date()
        let errors = fixture.errors("s0.yaml")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertTrue(errors.first?.message.contains("extends chain longer than 16 files") ?? false, "\(errors)")
        // A chain within the limit works.
        let short = SpecFixture()
        for index in 0..<5 { short.write("s\(index).yaml", "extends: s\(index + 1).yaml\nseed: \(index)\n") }
        short.write("s5.yaml", "data: {synthetic: true}\nseed: 99\n")
        XCTAssertEqual(try short.load("s0.yaml").runs[0].spec.seed, 0)
    }

    func testExtendingAFileThatIsNotASpecDoesNotQuoteItsContents() {
        // Like `extends: /etc/passwd`: a plain-text file parses as one long string.
        let fixture = SpecFixture()
        let secret = (0..<20).map { "user\($0):x:\($0):\($0)::/home/user\($0):/bin/sh" }.joined(separator: "\n")
        fixture.write("accounts", secret + "\n")
        fixture.write("a.yaml", "extends: accounts\ndata: {synthetic: true}\n")
        let message = fixture.errors("a.yaml").map(\.description).joined(separator: "\n")
        XCTAssertTrue(message.contains("a spec is a section of key: value pairs, got 'user0:x:0:0::"), message)
        XCTAssertFalse(message.contains("user3"), "the error quotes the file's contents: \(message)")
        XCTAssertLessThan(message.count, 200, message)
    }

    func testAGiganticSweepIsRefusedBeforeExpanding() {
        let axes = [
            "model.depth", "model.width", "train.epochs", "train.batch_size", "features.n_mels", "features.hop_length",
            "seed",
        ]
        let sweep = axes.map { "  \($0): [\((1...10).map { "\($0 * 16)" }.joined(separator: ", "))]" }.joined(
            separator: "\n")
        let message = refusal("data: {synthetic: true}\nsweep:\n" + sweep + "\n")
        XCTAssertTrue(message.contains("expands to 10000000 runs, more than the 1000 allowed"), message)
    }

    func testSpecialFilesAndBinaryAreRefused() {
        let fixture = SpecFixture()
        XCTAssertTrue(
            (try? fixture.loader.load(path: "/dev/zero")) == nil)
        do {
            _ = try fixture.loader.load(path: "/dev/zero")
        } catch {
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
        let path = fixture.directory.path("binary.yaml")
        try? Data([0xff, 0xfe, 0x00, 0x80, 0x81]).write(to: URL(fileURLWithPath: path))
        do {
            _ = try fixture.loader.load(path: path)
            XCTFail("binary loaded")
        } catch {
            XCTAssertTrue("\(error)".contains("not UTF-8") || "\(error)".contains("YAML"), "\(error)")
        }
    }

    /// Found while writing the spec fuzz target: `extends: /proc/self/pagemap` (a regular file whose size
    /// reads as 0, and whose content is 256 GiB of zeros) was read to the end: minutes of reading, then a
    /// crash when memory ran out. The read now stops past the size limit.
    func testAnEndlessFileThatClaimsToBeEmptyIsRefused() throws {
        let endless = "/proc/self/pagemap"
        try XCTSkipUnless(FileManager.default.isReadableFile(atPath: endless), "no \(endless) here")
        let message = refusal("extends: \(endless)\ndata: {synthetic: true}\n")
        XCTAssertTrue(message.contains("holds more than the 1048576 bytes allowed"), message)
    }
}
