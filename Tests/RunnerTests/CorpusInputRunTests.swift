import Datasets
import Foundation
import RunStore
import Synth
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

/// A CSV manifest's `split` column as the split (`split.kind: manifest`), `data.speakers` on any corpus, and
/// the errors on bad corpus input, each naming the file, row or key at fault.
final class CorpusInputRunTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-corpus-input") }

    func plan(_ text: String, overrides: [String] = []) throws -> ExperimentPlan {
        let path = directory.path("spec.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(
            path: path, overrides: overrides)
    }

    static let quick = ["lr_finder.enabled=false", "train.lr=0.01"]

    /// The synthetic corpus in the csv layout, with its manifest rewritten to `name` with a `split` column
    /// whose cell for each row (speaker, row number from 0) `part` gives; nil leaves the column out.
    func manifest(_ name: String = "split.csv", part: ((String, Int) -> String)?) throws -> String {
        let folder = directory.path("csv")
        try SyntheticCorpus.ensure(at: folder, actors: 2, seed: 1, layout: .csv)
        let lines = try String(contentsOfFile: folder + "/" + SyntheticCorpus.manifestName, encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "path,label,speaker,gender")
        var out = [lines[0] + (part == nil ? "" : ",split")]
        for (row, line) in lines.dropFirst().enumerated() {
            let speaker = line.split(separator: ",")[2]
            out.append(line + (part.map { "," + $0(String(speaker), row) } ?? ""))
        }
        let path = folder + "/" + name
        try (out.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func csvOverrides(_ path: String) -> [String] {
        ["data.synthetic=null", "data.path=\(path)", "data.layout=csv", "split={kind: manifest}"]
    }

    func testTheManifestSplitColumnGivesTheTrainValidAndTestParts() throws {
        // Speaker 01 trains; speaker 02's rows alternate between valid and test (any letter case).
        let path = try manifest { speaker, row in speaker == "01" ? "train" : row % 2 == 0 ? "Valid" : "TEST" }
        let spec = try plan(tinySpec(name: "manifest-split", epochs: 1), overrides: Self.quick + csvOverrides(path))
        let data = try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))
        let valid = try XCTUnwrap(data.manifestValid)
        XCTAssertFalse(valid.isEmpty)
        XCTAssertFalse(data.testIndices.isEmpty)
        XCTAssertTrue(valid.isDisjoint(with: data.testIndices))
        for index in valid.union(data.testIndices) {
            XCTAssertEqual(data.items[index].speaker, "02")
            XCTAssertEqual(
                data.items[index].file.metadata?["split"]?.lowercased(), valid.contains(index) ? "valid" : "test")
        }
        let store = try RunStore(path: storePath)
        let runner = ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
        let outcome = try runner.run(spec)[0]
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        let validPaths = Set(try store.predictions(of: outcome.runID, split: "valid").map(\.path))
        let testPaths = Set(try store.predictions(of: outcome.runID, split: "test").map(\.path))
        XCTAssertEqual(validPaths, Set(valid.map { data.items[$0].path }))
        XCTAssertEqual(testPaths, Set(data.testIndices.map { data.items[$0].path }))
    }

    func testAManifestSplitIsCheckedAtValidationNamingTheRow() throws {
        let spec = tinySpec(name: "manifest-bad")
        // No split column: the manifest is named.
        let none = try manifest("none.csv", part: nil)
        XCTAssertThrowsError(try plan(spec, overrides: csvOverrides(none))) {
            XCTAssertTrue("\($0)".contains("\(none): no 'split' column; split.kind manifest reads"), "\($0)")
        }
        // An unknown part: the row's file and manifest line.
        let odd = try manifest("odd.csv") { _, row in row == 3 ? "holdout" : row % 2 == 0 ? "train" : "valid" }
        XCTAssertThrowsError(try plan(spec, overrides: csvOverrides(odd))) {
            XCTAssertTrue(
                "\($0)".contains("(manifest line 5): split 'holdout' is not a part; expected train, valid or test"),
                "\($0)")
        }
        // An empty part.
        let noValid = try manifest("novalid.csv") { _, row in row % 2 == 0 ? "train" : "test" }
        XCTAssertThrowsError(try plan(spec, overrides: csvOverrides(noValid))) {
            XCTAssertTrue("\($0)".contains("\(noValid): no file is in the 'valid' part"), "\($0)")
        }
        // Another layout has no manifest.
        XCTAssertThrowsError(try plan(spec, overrides: ["split={kind: manifest}"])) {
            XCTAssertTrue("\($0)".contains("split.kind manifest takes each file's part from a CSV manifest"), "\($0)")
        }
        // A part emptied by the data filters is an error of the run, naming the manifest.
        let sadValid = try manifest("sad.csv") { speaker, row in speaker == "01" ? "train" : "valid" }
        let filtered = try plan(spec, overrides: csvOverrides(sadValid) + ["data.speakers=['01']"])
        XCTAssertThrowsError(try RunData.load(filtered.runs[0].spec, paths: RunnerPaths(storePath: storePath))) {
            XCTAssertTrue("\($0)".contains("\(sadValid): no file is in the 'valid' part"), "\($0)")
        }
    }

    func testDataSpeakersKeepsASubsetOfAnyCorpusAndIsCheckedAtValidation() throws {
        let spec = tinySpec(name: "speakers", epochs: 1)
        let tess = try plan(spec, overrides: ["data.layout=tess", "data.speakers=[YAF]"])
        let data = try RunData.load(tess.runs[0].spec, paths: RunnerPaths(storePath: storePath))
        XCTAssertFalse(data.items.isEmpty)
        XCTAssertEqual(Set(data.items.compactMap(\.speaker)), ["YAF"])
        XCTAssertThrowsError(try plan(spec, overrides: ["data.layout=tess", "data.speakers=[MAF]"])) {
            XCTAssertTrue(
                "\($0)".contains(
                    "data.speakers names speaker MAF not in the synthetic corpus (its speakers: OAF, YAF)"),
                "\($0)")
        }
        // RAVDESS numbers: data.speakers [2] and its RAVDESS spelling data.actors [2] keep actor 02.
        for key in ["data.speakers", "data.actors"] {
            let ravdess = try plan(spec, overrides: ["\(key)=[2]"])
            let kept = try RunData.load(ravdess.runs[0].spec, paths: RunnerPaths(storePath: storePath))
            XCTAssertEqual(Set(kept.items.compactMap(\.speaker)), ["02"], key)
        }
        XCTAssertThrowsError(try plan(spec, overrides: ["data.actors=[9]"])) {
            XCTAssertTrue("\($0)".contains("data.actors names speaker 09 not in the synthetic corpus"), "\($0)")
        }
        XCTAssertThrowsError(try plan(spec, overrides: ["data.speakers=['01']", "data.actors=[1]"])) {
            XCTAssertTrue("\($0)".contains("data.actors is RAVDESS's spelling of data.speakers; keep one"), "\($0)")
        }
        XCTAssertThrowsError(
            try plan(spec, overrides: ["data.speakers=['01']", "split={kind: speakers, valid: [2]}"])
        ) {
            XCTAssertTrue("\($0)".contains("split.valid speakers 02 are not among data.speakers"), "\($0)")
        }
    }

    func testAnEmotionNoFileHasIsAnErrorNamingTheCorpus() throws {
        // RAVDESS has neutral only at normal intensity: with intensity strong no file is neutral.
        let spec = try plan(tinySpec(name: "empty-class"), overrides: ["data.intensity=strong"])
        XCTAssertThrowsError(try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))) {
            XCTAssertTrue("\($0)".contains("data.emotions names neutral but no file of "), "\($0)")
            XCTAssertTrue("\($0)".contains("has that class (after data.label_map and the data filters)"), "\($0)")
        }
    }

    func testManifestRowsWhoseFileIsMissingOrRepeatedAreReportedByLine() throws {
        let folder = directory.path("rows")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/a.wav", contents: Data())
        FileManager.default.createFile(atPath: folder + "/b.wav", contents: Data())
        let path = folder + "/m.csv"
        try "path,label\na.wav,happy\nb.wav,sad\ngone.wav,sad\na.wav,happy\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let listing = try DatasetListing.make(path, layout: .csv)
        XCTAssertEqual(listing.files.map(\.relativePath), ["a.wav", "b.wav"])
        XCTAssertEqual(
            listing.problems.map(\.description),
            [
                "gone.wav: listed on line 4 of \(path) but no such file",
                "a.wav: line 5 lists the file again (first on line 2); ignored",
            ])
    }

    func testAManifestWithoutASpeakerColumnOrFileIsNamed() throws {
        // A speaker split on a manifest without a speaker column names the first row's file and line.
        let path = try manifest(part: nil)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 2 }
                .map(\.element).joined(separator: ",")
        }
        XCTAssertEqual(lines.first, "path,label,gender")
        let noSpeakers = directory.path("csv/nospeakers.csv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: noSpeakers, atomically: true, encoding: .utf8)
        let spec = try plan(
            tinySpec(name: "no-speaker-column"),
            overrides: [
                "data.synthetic=null", "data.path=\(noSpeakers)", "data.layout=csv",
                "split={kind: speakers, valid_pct: 0.5}",
            ])
        XCTAssertThrowsError(try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))) {
            XCTAssertTrue(
                "\($0)".contains("(manifest line 2) has no speaker, but split.kind speakers needs one for every file"),
                "\($0)")
        }
        // A manifest that does not exist is named.
        let gone = directory.path("csv/gone.csv")
        XCTAssertThrowsError(try DatasetListing.make(gone, layout: .csv)) {
            XCTAssertTrue("\($0)".contains("\(gone): no such file or directory"), "\($0)")
        }
    }
}
