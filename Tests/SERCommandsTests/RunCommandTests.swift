import ArgumentParser
import BLAS
import Checksum
import Foundation
import Inference
import NeuralNet
import RunStore
import Runner
import TestSupport
import XCTest

@testable import SERCommands

/// `ser run`, `resume`, `export`, `predict` and `eval` end to end on a tiny synthetic corpus.
final class RunCommandTests: XCTestCase {
    var directory: TemporaryDirectory!
    var store: String { directory.path("runs/ser.sqlite") }

    override func setUp() { directory = TemporaryDirectory("ser-run-command") }

    let spec = tinyRunSpec(epochs: 2)

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    func writeSpec() throws -> String {
        let path = directory.path("tiny.yaml")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testRunShowExportPredictAndEvalAgreeWithTheStore() throws {
        let path = try writeSpec()
        let outcomes = try assertSwitchesToOneLanePerCore { observe in
            try parse(RunCommand.self, ["run", path, "--store", store, "--set", "train.epochs=2"])
                .perform(output: .silent, log: { _ in observe() }, trap: false)
        }
        XCTAssertEqual(outcomes.map(\.status), [.finished], "\(outcomes.map(\.error))")
        let id = outcomes[0].runID
        let text = RunOutput.text(outcomes)
        XCTAssertTrue(text.contains("run \(id) (tiny) finished after 2 epochs"), text)
        XCTAssertTrue(text.contains("weights: "), text)

        let runs = try parse(Runs.self, ["runs", "--store", store]).output()
        XCTAssertTrue(runs.contains("tiny") && runs.contains("finished"), runs)
        let show = try parse(Show.self, ["show", String(id), "--store", store]).output()
        for expected in ["status       finished", "minimum", "(used)", "Valid: UAR ", "weights", "checkpoint"] {
            XCTAssertTrue(show.contains(expected), "missing \(expected) in\n\(show)")
        }

        let model = directory.path("model.safetensors")
        _ = try parse(Export.self, ["export", String(id), "--store", store, "-o", model]).export()
        let runStore = try RunStore(path: store)
        let recorded = try runStore.predictions(of: id, split: "valid")
        XCTAssertEqual(recorded.count, 28, "actor 2's files of 4 emotions: 4 neutral + 3 × 8")
        let predicted = try parse(Predict.self, ["predict", model] + recorded.map(\.path) + ["--top-k", "2"])
            .predictions()
        XCTAssertEqual(predicted.map(\.label), recorded.map { $0.predicted })
        for (p, r) in zip(predicted, recorded) {
            XCTAssertEqual(p.top?.count, 2)
            XCTAssertEqual(try XCTUnwrap(p.probability), r.confidence, accuracy: 1e-4)
        }

        // An unreadable file among readable ones: the others are still classified, the bad one named.
        let junk = directory.path("junk.wav")
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: junk))
        let predict = try parse(Predict.self, ["predict", model, recorded[0].path, junk, recorded[1].path])
        let mixed = try predict.predictions()
        XCTAssertEqual(mixed.map(\.label), [recorded[0].predicted, nil, recorded[1].predicted])
        XCTAssertNil(mixed[0].error)
        let problem = try XCTUnwrap(mixed[1].error)
        XCTAssertTrue(problem.contains("junk.wav") && problem.contains("libsndfile"), problem)
        XCTAssertThrowsError(try predict.run()) { XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1, "\($0)") }

        // `ser listen`'s classifier gives the same answer on the decoded samples.
        let live = try BundleClassifier(path: model)
        XCTAssertEqual(live.classNames, ["neutral", "happy", "sad", "angry"])
        XCTAssertEqual(live.sampleRate, 16000)
        let samples = try AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil)
            .decoder(recorded[0].path, 16000)
        let window = try live.classify(samples)
        XCTAssertEqual(Double(window.max()!), recorded[0].confidence, accuracy: 1e-4)

        // eval on a folder holding exactly the validation files gives the recorded evaluation.
        let folder = directory.url.appendingPathComponent("valid/Actor_02")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for r in recorded {
            try FileManager.default.copyItem(
                atPath: r.path, toPath: folder.appendingPathComponent((r.path as NSString).lastPathComponent).path)
        }
        let report = try parse(Eval.self, ["eval", model, directory.path("valid")]).evaluate()
        let evaluation = try XCTUnwrap(try runStore.detail(of: id).evaluations.first { $0.split == "valid" })
        XCTAssertEqual(report.files, recorded.count)
        XCTAssertEqual(report.confusion, evaluation.confusion)
        XCTAssertEqual(report.accuracy, evaluation.accuracy, accuracy: 1e-12)
        XCTAssertEqual(report.uar, evaluation.balancedAccuracy, accuracy: 1e-12)
        XCTAssertEqual(report.labels, ["neutral", "happy", "sad", "angry"])

        // `ser resume` finishes a run marked interrupted, also with one lane per core.
        try runStore.interrupt(id, reason: "interrupted by a test")
        let resumed = try assertSwitchesToOneLanePerCore { observe in
            try parse(Resume.self, ["resume", String(id), "--store", store])
                .perform(output: .silent, log: { _ in observe() }, trap: false)
        }
        XCTAssertEqual(resumed.status, .finished, resumed.error ?? "")
        XCTAssertEqual(try runStore.run(id)?.status, .finished)
        XCTAssertEqual(try runStore.epochs(of: id).map(\.epoch), [1, 2], "nothing recorded is lost")
    }

    /// Before, `--store dir/a.sqlite` and `--store dir/b.sqlite` both wrote run 1's files into `dir/1/`.
    func testTwoStoresInOneFolderKeepTheirOwnRunOne() throws {
        let path = try writeSpec()
        var exported: [String: String] = [:]
        for (name, seed) in [("a", "5"), ("b", "6")] {
            let storePath = directory.path("shared/\(name).sqlite")
            let outcomes = try parse(
                RunCommand.self,
                ["run", path, "--store", storePath, "--set", "train.epochs=1", "--set", "seed=\(seed)"]
                    + ["--set", "lr_finder.enabled=false", "--set", "train.lr=0.01"]
            ).perform(output: .silent, log: { _ in }, trap: false)
            XCTAssertEqual(outcomes.map(\.status), [.finished], "\(outcomes.map(\.error))")
            XCTAssertEqual(outcomes[0].runID, 1)
            XCTAssertEqual(outcomes[0].weights, directory.path("shared/\(name)-runs/1/model.safetensors"))
            exported[name] = directory.path("\(name).safetensors")
        }
        // Each store's run 1 exports its own weights, whose hash is the one that store recorded.
        var hashes: [String] = []
        for name in ["a", "b"] {
            let storePath = directory.path("shared/\(name).sqlite")
            let result = try parse(Export.self, ["export", "1", "--store", storePath, "-o", exported[name]!]).export()
            let recorded = try XCTUnwrap(
                try RunStore(readingPath: storePath).detail(of: 1).artifacts.first { $0.kind == "weights" })
            XCTAssertEqual(result.sha256, recorded.sha256)
            XCTAssertEqual(SHA256.hex(of: try Data(contentsOf: URL(fileURLWithPath: exported[name]!))), recorded.sha256)
            XCTAssertEqual(
                try ModelBundle.load(from: URL(fileURLWithPath: exported[name]!)).source.specHash,
                try RunStore(readingPath: storePath).run(1)?.specHash)
            hashes.append(result.sha256)
        }
        XCTAssertNotEqual(hashes[0], hashes[1], "two seeds, two models")
    }

    func testRunValidatesFirstAndNamesTheBadKey() throws {
        let path = try writeSpec()
        XCTAssertThrowsError(
            try parse(RunCommand.self, ["run", path, "--store", store, "--set", "data.path=/no/such/folder"])
                .perform(output: .silent, log: { _ in }, trap: false)
        ) { error in
            XCTAssertEqual((error as? ExitCode)?.rawValue, 1, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "nothing is recorded for an invalid spec")
        var lines: [String] = []
        XCTAssertThrowsError(
            try RunCommand.loadPlans([path], overrides: ["model.depth=19"], report: { lines.append($0) }))
        XCTAssertTrue(lines.joined(separator: "\n").contains("model.depth"), "\(lines)")
    }

    func testPredictAndEvalRefuseFilesThatAreNotModels() throws {
        let bogus = directory.path("bogus.safetensors")
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: bogus))
        XCTAssertThrowsError(try parse(Predict.self, ["predict", bogus, "x.wav"]).predictions()) { error in
            XCTAssertTrue("\(error)".contains("bogus.safetensors"), "\(error)")
        }
        XCTAssertThrowsError(try SER.parseAsRoot(["predict", bogus, "x.wav", "--top-k", "0"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["eval", bogus, "dir", "--layout", "flat"]))
    }
}

/// The text `ser run` prints at the end, and its exit codes.
final class RunOutputTests: XCTestCase {
    func outcome(_ id: Int64, fold: Int?, accuracy: Double?, status: RunStatus = .finished) -> RunOutcome {
        var o = RunOutcome(
            runID: id, name: "x", sweep: fold.map { "split.fold=\($0)" } ?? "", status: status, epochs: 2, seconds: 65)
        o.valid = accuracy.map { OutcomeMetrics(loss: 1, accuracy: $0, uar: $0 - 0.1, f1Macro: $0 - 0.2) }
        return o
    }

    func testFoldsEndWithMeanAndStandardDeviation() {
        let text = RunOutput.text([outcome(1, fold: 1, accuracy: 0.5), outcome(2, fold: 2, accuracy: 0.7)])
        XCTAssertTrue(text.contains("run 1 (x) finished after 2 epochs in 1m05s"), text)
        // UAR is the headline, next to accuracy.
        XCTAssertTrue(text.contains("k-fold over 2 folds: UAR 0.5000 ± 0.1414, accuracy 0.6000 ± 0.1414"), text)
        XCTAssertTrue(text.contains("  valid: UAR 0.4000, accuracy 0.5000, macro-F1 0.3000"), text)
        XCTAssertNil(
            RunOutput.foldSummary([outcome(1, fold: nil, accuracy: 0.5), outcome(2, fold: nil, accuracy: 0.7)]))
    }

    func testTheKeptEpochIsNamedWithHowItWasChosen() {
        var best = outcome(1, fold: nil, accuracy: 0.5)
        best.bestEpoch = 1
        best.selectedBy = "accuracy"
        var last = outcome(2, fold: nil, accuracy: 0.5)
        last.bestEpoch = 2
        last.selectedBy = "last"
        var average = outcome(3, fold: nil, accuracy: 0.5)
        average.bestEpoch = 4
        average.selectedBy = "average of epochs 2–4"
        let text = RunOutput.text([best, last, average])
        XCTAssertTrue(text.contains("(epoch 1, best accuracy)"), text)
        XCTAssertTrue(text.contains("(epoch 2, the last)"), text)
        XCTAssertTrue(text.contains("macro-F1 0.3000 (average of epochs 2–4)"), text)
    }

    func testARunWithoutValidationSaysSoAndShowsItsTestSet() {
        var o = outcome(1, fold: nil, accuracy: nil)
        o.bestEpoch = 2
        o.selectedBy = "last"
        o.test = OutcomeMetrics(loss: 1, accuracy: 0.7, uar: 0.6, f1Macro: 0.5)
        let text = RunOutput.text([o])
        XCTAssertTrue(text.contains("  valid: none (split.kind: none); kept epoch 2, the last"), text)
        XCTAssertTrue(text.contains("  test:  UAR 0.6000, accuracy 0.7000, macro-F1 0.5000"), text)
    }

    func testExitCodes() {
        XCTAssertEqual(RunOutput.exitCode([outcome(1, fold: nil, accuracy: 0.5)]), 0)
        XCTAssertEqual(RunOutput.exitCode([outcome(1, fold: nil, accuracy: nil, status: .failed)]), 1)
        XCTAssertEqual(
            RunOutput.exitCode([
                outcome(1, fold: nil, accuracy: nil, status: .failed),
                outcome(2, fold: nil, accuracy: nil, status: .interrupted),
            ]), 130)
    }
}
