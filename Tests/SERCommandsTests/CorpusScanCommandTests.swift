import ArgumentParser
import Audio
import Datasets
import Foundation
import Runner
import SndFile
import Stopping
import TestSupport
import XCTest

@testable import SERCommands

#if canImport(Glibc)
    import Glibc
#endif

/// How `ser data`, `ser bench features` and `ser features` meet loops, links, FIFOs and stop requests.
final class CorpusScanCommandTests: XCTestCase {
    /// Two RAVDESS-named WAVs under Actor_01, plus the entries every command must skip.
    private func makeCorpus() throws -> (TemporaryDirectory, fifo: String) {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("Actor_01/a.wav"), withIntermediateDirectories: true)
        for name in ["03-01-01-01-01-01-01.wav", "03-01-05-01-01-01-01.wav"] {
            try SoundFile.write(
                [Float](repeating: 0.01, count: 800), sampleRate: 8000, to: dir.path("Actor_01/" + name))
        }
        let fifo = dir.path("Actor_01/03-01-03-01-01-01-01.wav")
        try makeFIFO(fifo)
        let links = ["Actor_01/loop": "..", "self.wav": "self.wav", "gone": "nowhere"]
        for (name, target) in links {
            try FileManager.default.createSymbolicLink(atPath: dir.path(name), withDestinationPath: target)
        }
        return (dir, fifo)
    }

    func testDataListsSkippedEntriesWithTheirReasonInTextAndJSON() throws {
        let (dir, fifo) = try makeCorpus()
        let result = finishing(within: 30, releasing: [fifo]) { () -> (String, String) in
            (
                try DataCommand.parse([dir.url.path, "--json"]).output(),
                try DataCommand.parse([dir.url.path]).output()
            )
        }
        let (json, text) = try XCTUnwrap(result, "ser data hung on a corpus with a FIFO").get()
        let report = try DataReport.decoded(from: json)
        XCTAssertEqual(report.files, 2, "each file once, the FIFO not among them")
        XCTAssertEqual(report.readable, 2)
        XCTAssertEqual(
            report.skipped.map(\.path),
            ["Actor_01/03-01-03-01-01-01-01.wav", "Actor_01/a.wav", "Actor_01/loop", "gone", "self.wav"])
        XCTAssertEqual(report.skipped.first?.reason, SkipReason.specialFile(.fifo).description)
        XCTAssertTrue(text.contains("2 audio files, 2 readable, 0 unreadable; 5 entries skipped (see below)"), text)
        XCTAssertTrue(text.contains("Skipped (5):\n  Actor_01/03-01-03-01-01-01-01.wav: a FIFO (named pipe)"), text)
        XCTAssertTrue(text.contains("  Actor_01/loop: a link to the corpus folder itself; not followed"), text)
        XCTAssertTrue(text.contains("  gone: a symbolic link to nowhere, which does not exist"), text)
        XCTAssertTrue(text.contains("  self.wav: a symbolic link to self.wav that leads back to itself"), text)
        XCTAssertTrue(text.contains("  Actor_01/a.wav: a folder named like an audio file"), text)
    }

    func testASymlinkedCorpusFolderIsListedAlikeByDataAndBenchFeatures() throws {
        let (dir, fifo) = try makeCorpus()
        let links = TemporaryDirectory()
        let corpus = links.path("corpus")
        try FileManager.default.createSymbolicLink(atPath: corpus, withDestinationPath: dir.url.path)
        let result = finishing(within: 30, releasing: [fifo]) { () -> ([String], DataReport) in
            let bench = try BenchFeatures.audioFiles(under: corpus)
            let json = try DataCommand.parse([corpus, "--json"]).output()
            return (bench, try DataReport.decoded(from: json))
        }
        let (bench, report) = try XCTUnwrap(result, "listing hung").get()
        XCTAssertEqual(
            bench, ["03-01-01-01-01-01-01.wav", "03-01-05-01-01-01-01.wav"].map { corpus + "/Actor_01/" + $0 })
        XCTAssertEqual(report.files, bench.count)
        XCTAssertEqual(report.source, corpus)
    }

    func testBenchFeaturesRefusesASystemFolder() {
        XCTAssertThrowsError(try BenchFeatures.audioFiles(under: "/proc")) { error in
            XCTAssertEqual(error as? DatasetError, .systemFolder(path: "/proc", folder: "/proc"))
        }
    }

    func testFeaturesOfAFIFOIsAnErrorNotAHang() throws {
        let dir = TemporaryDirectory()
        let fifo = dir.path("x.wav")
        try makeFIFO(fifo)
        let started = Date()
        let result = finishing(within: 20, releasing: [fifo]) { try FeaturesCommand.parse([fifo]).run() }
        XCTAssertThrowsError(try XCTUnwrap(result, "ser features hung on a FIFO").get()) { error in
            XCTAssertEqual(error as? AudioError, AudioError(path: fifo, problem: .notARegularFile(.fifo)))
            XCTAssertTrue("\(error)".contains("x.wav: is a FIFO (named pipe), not a regular file"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testDataStopsWhenAStopIsRequested() throws {
        let (dir, _) = try makeCorpus()
        let stop = StopFlag()
        stop.request(reason: "interrupted by Ctrl-C")
        XCTAssertThrowsError(try DataCommand.parse([dir.url.path]).output(stop: stop)) { error in
            XCTAssertEqual(error as? DatasetError, .stopped(path: dir.url.path))
        }
    }

    /// Ctrl-C during `ser data` reaches the walk through the command's signal trap and exits with 130.
    func testCtrlCDuringDataExitsWith130() throws {
        let (dir, _) = try makeCorpus()
        DataCommand.trapInstalled = { stop in
            kill(getpid(), SIGINT)
            let deadline = Date().addingTimeInterval(5)
            while !stop.isRequested && Date() < deadline { usleep(1000) }
        }
        defer { DataCommand.trapInstalled = nil }
        XCTAssertThrowsError(try DataCommand.parse([dir.url.path]).run()) { error in
            XCTAssertEqual((error as? ExitCode)?.rawValue, 130, "\(error)")
        }
    }
}
