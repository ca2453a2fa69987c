import ArgumentParser
import Datasets
import Features
import Foundation
import Inference
import Synth
import TestSupport
import XCTest

@testable import SERCommands

/// `ser eval MODEL DIR --layout X --label-map k=v,…`: another corpus's shared classes are scored, the
/// classes the model does not know are counted, not scored as some other class.
final class CorpusEvalCommandTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-corpus-eval") }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        try XCTUnwrap(try SER.parseAsRoot(arguments) as? T)
    }

    /// A model of 4 emotions (untrained weights: only the bookkeeping is tested).
    func emotionModel() throws -> String {
        try writeTinyModelFile(
            to: directory.path("emotions.safetensors"), labels: ["neutral", "happy", "sad", "angry"],
            labelScheme: "emotion[neutral,happy,sad,angry]")
    }

    func testAnotherCorpusIsScoredOnTheSharedClassesAndTheOthersAreReported() throws {
        let model = try emotionModel()
        let emodb = directory.path("emodb")
        try SyntheticCorpus.ensure(at: emodb, actors: 1, seed: 1, layout: .emodb)
        // EMO-DB (one synthetic speaker): neutral 4, happy, sad, angry, fearful, disgust 8 each.
        let report = try parse(Eval.self, ["eval", model, emodb, "--layout", "EMO-DB", "--label-map", "A=happy"])
            .evaluate()
        XCTAssertEqual(report.files, 4 + 8 + 8 + 8 + 8, "fearful files count as happy")
        XCTAssertEqual(report.unknownClasses, ["disgust": 8])
        XCTAssertEqual(report.excluded, 8)
        XCTAssertEqual(report.confusion.flatMap { $0 }.reduce(0, +), report.files)
        XCTAssertEqual(report.confusion[1].reduce(0, +), 16, "happy and mapped fearful files")
        let json = try StoreFormat.json(report)
        XCTAssertTrue(json.contains("\"unknown_classes\""), json)

        // A map that does not fit the corpus, and a model sharing no class, are errors that say so.
        XCTAssertThrowsError(try parse(Eval.self, ["eval", model, emodb, "--label-map", "ps=surprised"]).evaluate()) {
            XCTAssertTrue("\($0)".contains("'ps' is not a label of the EMO-DB layout"), "\($0)")
        }
        XCTAssertThrowsError(try SER.parseAsRoot(["eval", model, emodb, "--label-map", "ps"])) {
            XCTAssertTrue(SER.message(for: $0).contains("expected label=target"), SER.message(for: $0))
        }
        let other = try writeTinyModelFile(to: directory.path("low-high.safetensors"))
        XCTAssertThrowsError(try parse(Eval.self, ["eval", other, emodb]).evaluate()) {
            XCTAssertTrue("\($0)".contains("shares no class with the model"), "\($0)")
        }
    }

    /// Each speaker's accuracy and UAR (RAVDESS actors here) equal what evaluating that speaker's files alone
    /// gives, and the speakers' correct files add up to the whole; a corpus without speakers has none.
    func testEvalBreaksTheScoreDownBySpeaker() throws {
        let model = try emotionModel()
        let corpus = directory.path("ravdess")
        try SyntheticCorpus.ensure(at: corpus, actors: 2, seed: 3, layout: .ravdess)
        let report = try parse(Eval.self, ["eval", model, corpus]).evaluate()
        XCTAssertEqual(report.perSpeaker.map(\.speaker), ["01", "02"])
        XCTAssertEqual(report.perSpeaker.map(\.files).reduce(0, +), report.files)
        let correct = report.perSpeaker.map { $0.accuracy * Double($0.files) }.reduce(0, +)
        XCTAssertEqual(correct, report.accuracy * Double(report.files), accuracy: 1e-9)

        let alone = directory.path("actor02")
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(corpus)/Actor_02", toPath: "\(alone)/Actor_02")
        let second = try parse(Eval.self, ["eval", model, alone]).evaluate()
        XCTAssertEqual(second.perSpeaker.map(\.speaker), ["02"])
        XCTAssertEqual(report.perSpeaker[1].files, second.files)
        XCTAssertEqual(report.perSpeaker[1].accuracy, second.accuracy, accuracy: 1e-12)
        XCTAssertEqual(report.perSpeaker[1].uar, second.uar, accuracy: 1e-12)
        let json = try StoreFormat.json(report)
        XCTAssertTrue(json.contains("\"per_speaker\""), json)

        let folders = directory.path("folders")
        try SyntheticCorpus.ensure(at: folders, actors: 1, seed: 3, layout: .folders)
        XCTAssertEqual(try parse(Eval.self, ["eval", model, folders]).evaluate().perSpeaker, [])
    }
}
