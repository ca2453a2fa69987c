import Foundation
import RunStore
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

/// How a run lists its corpus: skipped entries in the log, and a stop request while listing.
final class CorpusListingTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-listing") }

    func plan(_ text: String) throws -> ExperimentPlan {
        let path = directory.path("tiny.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(path: path, overrides: [])
    }

    func testTheRunsLogNamesTheEntriesTheListingSkipped() throws {
        let corpus = directory.path("corpus")
        try FileManager.default.createDirectory(atPath: corpus + "/Actor_01", withIntermediateDirectories: true)
        for emotion in ["01", "03", "04", "05"] {
            // Listing opens no file: empty files with RAVDESS names are enough.
            FileManager.default.createFile(
                atPath: corpus + "/Actor_01/03-01-\(emotion)-01-01-01-01.wav", contents: Data())
        }
        try makeFIFO(corpus + "/Actor_01/03-01-03-02-01-01-01.wav")
        try FileManager.default.createSymbolicLink(atPath: corpus + "/Actor_01/loop", withDestinationPath: "..")
        let spec = tinySpec().replacingOccurrences(of: "synthetic: {actors: 2, seed: 1}", with: "path: corpus")
        var lines: [String] = []
        let data = try RunData.load(
            try plan(spec).runs[0].spec, paths: RunnerPaths(storePath: storePath), log: { lines.append($0) })
        XCTAssertEqual(data.items.count, 4, "the loop adds no file and the FIFO is not listed")
        XCTAssertEqual(
            lines,
            [
                "listing \(corpus): skipped 2 entries: Actor_01/03-01-03-02-01-01-01.wav (a FIFO (named pipe), not a "
                    + "regular file or folder; not opened); Actor_01/loop (a link to the corpus folder itself; not "
                    + "followed (it would loop)) (ser data \(corpus) lists them all)"
            ])
    }

    func testAStopRequestedWhileTheCorpusIsListedInterruptsTheRunBeforeTraining() throws {
        let store = try RunStore(path: storePath)
        let runner = ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
        // "run N: name" is logged just before the run lists its corpus.
        runner.options.log = { [unowned runner] line in
            if line.hasPrefix("run ") { runner.stop.request(reason: "interrupted by Ctrl-C") }
        }
        let outcome = try runner.run(try plan(tinySpec(epochs: 2)))[0]
        XCTAssertEqual(outcome.status, .interrupted)
        let run = try XCTUnwrap(try store.run(outcome.runID))
        XCTAssertEqual(run.status, .interrupted)
        XCTAssertTrue(
            run.error?.hasPrefix("interrupted by Ctrl-C while listing the corpus ") == true, run.error ?? "nil")
        XCTAssertEqual(try store.epochs(of: outcome.runID).count, 0, "no epoch was trained")

        // It resumes to the run it would have been.
        let resumed = try ExperimentRunner(
            store: try RunStore(path: storePath), options: RunnerOptions(toolVersion: "test", threads: 2)
        ).resume(runID: outcome.runID, loader: SpecLoader(environment: [:]))
        XCTAssertEqual(resumed.status, .finished, resumed.error ?? "")
        XCTAssertEqual(try store.epochs(of: outcome.runID).map(\.epoch), [1, 2])
    }
}
