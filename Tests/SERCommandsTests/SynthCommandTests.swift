import ArgumentParser
import Foundation
import TestSupport
import XCTest

@testable import SERCommands

final class SynthCommandTests: XCTestCase {
    func testSynthWritesTheCorpusThenLeavesItAlone() throws {
        let dir = TemporaryDirectory("synth-command")
        let out = dir.path("corpus")
        var command = try SER.parseAsRoot(["synth", "--out", out, "--actors", "2"])
        XCTAssertTrue(command is Synth)
        try command.run()
        let fm = FileManager.default
        for actor in ["Actor_01", "Actor_02"] {
            let names = try fm.contentsOfDirectory(atPath: "\(out)/\(actor)")
            XCTAssertEqual(names.filter { $0.hasSuffix(".wav") }.count, 60, actor)
        }
        XCTAssertFalse(fm.fileExists(atPath: "\(out)/Actor_03"))
        let marker = try String(contentsOfFile: "\(out)/.ser-synth.json", encoding: .utf8)
        XCTAssertTrue(marker.contains("\"actors\" : 2") && marker.contains("\"seed\" : 1"), marker)

        // Running again with the same parameters is a no-op.
        let probe = "\(out)/Actor_02/03-01-08-02-02-02-02.wav"
        let before = try fm.attributesOfItem(atPath: probe)[.modificationDate] as! Date
        var again = try SER.parseAsRoot(["synth", "--out", out, "--actors", "2"])
        try again.run()
        XCTAssertEqual(try fm.attributesOfItem(atPath: probe)[.modificationDate] as! Date, before)
    }

    func testSynthRejectsImpossibleArguments() {
        XCTAssertThrowsError(try SER.parseAsRoot(["synth", "--out", "/tmp/x", "--actors", "0"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["synth", "--out", "/tmp/x", "--actors", "25"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["synth", "--out", "/tmp/x", "--sample-rate", "4000"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["synth"]), "--out is required")
        XCTAssertThrowsError(try SER.parseAsRoot(["synth", "--out", "/tmp/x", "--actors", "30"])) { error in
            XCTAssertTrue(SER.message(for: error).contains("between 1 and 24"), SER.message(for: error))
        }
    }
}
