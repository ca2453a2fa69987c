import Datasets
import Foundation
import RunStore
import Synth
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

/// A tiny spec runs end to end on the synthetic corpus written in each layout; speakers are named as each
/// corpus writes them; a test corpus of another layout scores the shared classes and reports the others.
final class CorpusLayoutRunTests: XCTestCase {
    var directory: TemporaryDirectory!
    var storePath: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-corpus-runs") }

    func plan(_ text: String, overrides: [String] = []) throws -> ExperimentPlan {
        let path = directory.path("spec.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(
            path: path, overrides: overrides)
    }

    func run(_ plan: ExperimentPlan) throws -> (RunOutcome, RunStore) {
        let store = try RunStore(path: storePath)
        let runner = ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
        return (try runner.run(plan)[0], store)
    }

    static let quick = ["lr_finder.enabled=false", "train.lr=0.01"]

    func testATinySpecRunsOnTheSyntheticCorpusInEveryLayout() throws {
        for layout in DatasetLayout.allCases {
            let (outcome, store) = try run(
                try plan(
                    tinySpec(name: "layout-\(layout.rawValue)", epochs: 1),
                    overrides: Self.quick + ["data.layout=\(layout.rawValue)"]))
            XCTAssertEqual(outcome.status, .finished, "\(layout): \(outcome.error ?? "")")
            let valid = try XCTUnwrap(try store.detail(of: outcome.runID).evaluations.first { $0.split == "valid" })
            XCTAssertEqual(valid.labels, ["neutral", "happy", "sad", "angry"], "\(layout)")
        }
    }

    func testSpeakersAreNamedAsTheCorpusWritesThemAndCheckedAtValidation() throws {
        let spec = tinySpec(name: "tess-speakers", epochs: 1)
        let (outcome, store) = try run(
            try plan(spec, overrides: Self.quick + ["data.layout=tess", "split={kind: speakers, valid: [YAF]}"]))
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        let predictions = try store.predictions(of: outcome.runID, split: "valid")
        XCTAssertFalse(predictions.isEmpty)
        XCTAssertTrue(predictions.allSatisfy { $0.path.contains("/YAF_") }, "\(predictions.map(\.path))")
        // A speaker the corpus lacks is refused when the spec is loaded, naming the corpus's speakers.
        XCTAssertThrowsError(
            try plan(spec, overrides: ["data.layout=tess", "split={kind: speakers, valid: [MAF]}"])
        ) {
            XCTAssertTrue(
                "\($0)".contains("split.valid names speaker MAF not in the synthetic corpus (its speakers: OAF, YAF)"),
                "\($0)")
        }
        // RAVDESS actor numbers still work, and name a missing actor.
        XCTAssertNoThrow(try plan(spec, overrides: ["split={kind: speakers, valid: [2]}"]))
        XCTAssertThrowsError(try plan(spec, overrides: ["split={kind: speakers, valid: [9]}"])) {
            XCTAssertTrue("\($0)".contains("split.valid names speaker 09 not in the synthetic corpus"), "\($0)")
        }
        XCTAssertThrowsError(try plan(spec, overrides: ["test.speakers=[OAF]"])) {
            XCTAssertTrue("\($0)".contains("test.speakers names speaker OAF"), "\($0)")
        }
    }

    func testACrossCorpusTestSetScoresSharedClassesAndReportsTheOthers() throws {
        // The test corpus: the synthetic corpus under EMO-DB names, its labels mapped (fear → disgust).
        let emodb = directory.path("emodb")
        try SyntheticCorpus.ensure(at: emodb, actors: 2, seed: 1, layout: .emodb)
        var lines: [String] = []
        let spec = try plan(
            tinySpec(name: "cross", epochs: 1),
            overrides: Self.quick + ["test={path: \(emodb), layout: emodb, label_map: {A: disgust}}"])
        let store = try RunStore(path: storePath)
        let runner = ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
        let data = try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath)) { lines.append($0) }
        XCTAssertEqual(data.classNames, ["neutral", "happy", "sad", "angry"])
        XCTAssertEqual(data.unknownTestClasses, ["disgust": 32], "EMO-DB's disgust and fearful (mapped) files")
        XCTAssertEqual(data.testIndices.count, 56, "neutral, happy, sad and angry of both speakers")
        XCTAssertTrue(
            lines.contains { $0.contains("32 files of classes the model does not know, not scored: disgust (32)") },
            "\(lines)")
        let outcome = try runner.run(spec)[0]
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        let test = try store.predictions(of: outcome.runID, split: "test")
        XCTAssertEqual(test.count, 56)
        XCTAssertTrue(test.allSatisfy { $0.path.hasPrefix(emodb) })
        // No shared class at all is an error naming the test corpus.
        let disjoint = try plan(
            tinySpec(name: "disjoint", epochs: 1),
            overrides: Self.quick + ["data.emotions=[calm, surprised]", "test={path: \(emodb), layout: emodb}"])
        XCTAssertThrowsError(try RunData.load(disjoint.runs[0].spec, paths: RunnerPaths(storePath: storePath))) {
            XCTAssertTrue("\($0)".contains("test set \(emodb) shares no class with the model"), "\($0)")
        }
    }

    func testALabelMapMergesClassesBeforeTheEmotionFilter() throws {
        let spec = try plan(
            tinySpec(name: "merged", epochs: 1),
            overrides: ["data.label_map={calm: neutral}", "data.emotions=[neutral, happy]"])
        let data = try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))
        XCTAssertEqual(data.classNames, ["neutral", "happy"])
        // Per actor: 4 neutral + 8 calm (now neutral) + 8 happy.
        XCTAssertEqual(data.items.filter { $0.label == "neutral" }.count, 24)
        XCTAssertThrowsError(try plan(tinySpec(), overrides: ["data.label_map={ps: surprised}"])) {
            XCTAssertTrue(
                "\($0)".contains(
                    "data.label_map: label_map entry 'ps: surprised': 'ps' is not a label of the RAVDESS layout"),
                "\($0)")
        }
        XCTAssertThrowsError(
            try plan(tinySpec(), overrides: ["test={path: \(directory.url.path), layout: emodb, label_map: {W: rage}}"])
        ) {
            XCTAssertTrue(
                "\($0)".contains("test.label_map: label_map entry 'w: rage': 'rage' is not an emotion"), "\($0)")
        }
    }

    /// Two synthetic corpora (RAVDESS and EMO-DB names) in the test folder, as `data.sources` overrides.
    func twoSources() throws -> [String] {
        let ravdess = directory.path("corpora/ravdess")
        let emodb = directory.path("corpora/emodb")
        try SyntheticCorpus.ensure(at: ravdess, actors: 2, seed: 1)
        try SyntheticCorpus.ensure(at: emodb, actors: 2, seed: 1, layout: .emodb)
        return [
            "data.synthetic=null",
            "data.sources=[{path: \(ravdess), layout: ravdess}, {path: \(emodb), layout: emodb, name: berlin}]",
        ]
    }

    func testSeveralCorporaTrainTogetherWithPerCorpusMetrics() throws {
        let sources = try twoSources()
        let spec = try plan(tinySpec(name: "sources", epochs: 1), overrides: Self.quick + sources)
        let data = try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))
        XCTAssertEqual(data.classNames, ["neutral", "happy", "sad", "angry"])
        XCTAssertEqual(data.items.filter { $0.file.corpus == "ravdess" }.count, 56)
        XCTAssertEqual(data.items.filter { $0.file.corpus == "berlin" }.count, 56)
        let (outcome, store) = try run(spec)
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        let evaluations = try store.detail(of: outcome.runID).evaluations
        let valid = try XCTUnwrap(evaluations.first { $0.split == "valid" })
        let perCorpus = evaluations.filter { $0.split.hasPrefix("valid/") }
        XCTAssertEqual(perCorpus.map(\.split).sorted(), ["valid/berlin", "valid/ravdess"])
        func count(_ confusion: [[Int]]) -> Int { confusion.joined().reduce(0, +) }
        let shares: [Int] = perCorpus.map { count($0.confusion) }
        XCTAssertEqual(shares.reduce(0, +), count(valid.confusion), "the corpora's shares add up to the validation set")
    }

    func testLeaveOneCorpusOutIsOneRunPerCorpus() throws {
        let sources = try twoSources()
        let plan = try plan(
            tinySpec(name: "loco", epochs: 1), overrides: Self.quick + sources + ["split={kind: corpus}"])
        XCTAssertEqual(plan.runs.map(\.spec.split.fold), [1, 2])
        let (outcome, store) = try run(
            try self.plan(
                tinySpec(name: "loco", epochs: 1), overrides: Self.quick + sources + ["split={kind: corpus, fold: 2}"]))
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        let valid = try store.predictions(of: outcome.runID, split: "valid")
        XCTAssertEqual(valid.count, 56)
        XCTAssertTrue(valid.allSatisfy { $0.path.contains("/corpora/emodb/") }, "EMO-DB is held out")
        XCTAssertThrowsError(try self.plan(tinySpec(), overrides: ["split={kind: corpus}"])) {
            XCTAssertTrue("\($0)".contains("split.kind corpus holds out one of data.sources"), "\($0)")
        }
    }

    func testAFileInTwoSourcesIsAnErrorNamingBoth() throws {
        let ravdess = directory.path("corpora/ravdess")
        try SyntheticCorpus.ensure(at: ravdess, actors: 2, seed: 1)
        let spec = try plan(
            tinySpec(),
            overrides: [
                "data.synthetic=null",
                "data.sources=[{path: \(ravdess), layout: ravdess}, {path: \(ravdess)/Actor_02, layout: ravdess, name: again}]",
            ])
        XCTAssertThrowsError(try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))) {
            XCTAssertTrue("\($0)".contains("is in two data.sources: 'ravdess' (\(ravdess)) and 'again'"), "\($0)")
        }
        XCTAssertThrowsError(
            try plan(
                tinySpec(),
                overrides: [
                    "data.synthetic=null",
                    "data.sources=[{path: \(ravdess), layout: ravdess}, {path: \(ravdess), layout: ravdess}]",
                ])
        ) {
            XCTAssertTrue("\($0)".contains("two data.sources are called 'ravdess'"), "\($0)")
        }
    }

    func testASpeakerSplitOnAFolderCorpusNamesAFileWithoutASpeaker() throws {
        let spec = try plan(
            tinySpec(name: "no-speakers"), overrides: ["data.layout=folders", "split={kind: speakers, valid_pct: 0.5}"])
        XCTAssertThrowsError(try RunData.load(spec.runs[0].spec, paths: RunnerPaths(storePath: storePath))) {
            XCTAssertTrue(
                "\($0)".contains("angry/a01_s1_r1_i1.wav has no speaker, but split.kind speakers needs one"), "\($0)")
        }
    }
}
