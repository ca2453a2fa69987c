import Foundation
import TestSupport
import Training
import XCTest

@testable import Specs

/// `model.init` with `train.fine_tune` and a `train.lr` range (issue #23).
final class FineTuneSpecTests: XCTestCase {
    func messages(_ fixture: SpecFixture, _ text: String) -> [String] {
        fixture.write("spec.yaml", text)
        return fixture.errors("spec.yaml").map(\.message)
    }

    func testFineTuneAndARateRangeLoad() throws {
        let fixture = SpecFixture()
        fixture.write("weights.safetensors", "")
        fixture.write(
            "spec.yaml",
            "data: {synthetic: true}\nmodel: {init: weights.safetensors}\ntrain: {epochs: 4, lr: [1.0e-5, 1.0e-3], fine_tune: {freeze_epochs: 2}}\n"
        )
        let spec = try fixture.load("spec.yaml").runs[0].spec
        XCTAssertEqual(spec.train.lr, .range(low: 1e-5, high: 1e-3))
        XCTAssertEqual(spec.train.fineTune, TrainSpec.FineTuneSpec(freezeEpochs: 2))
        XCTAssertEqual(spec.train.lr.resolve(nil), 1e-3)
        fixture.write(
            "on.yaml", "data: {synthetic: true}\nmodel: {init: weights.safetensors}\ntrain: {fine_tune: true}\n")
        XCTAssertEqual(try fixture.load("on.yaml").runs[0].spec.train.fineTune?.freezeEpochs, 1)
        fixture.write("off.yaml", "data: {synthetic: true}\n")
        XCTAssertNil(try fixture.load("off.yaml").runs[0].spec.train.fineTune)
    }

    func testBadRangesAndFineTuneWithoutABodyAreRefused() {
        let fixture = SpecFixture()
        fixture.write("w.safetensors", "")
        XCTAssertEqual(
            messages(fixture, "data: {synthetic: true}\ntrain: {lr: [1.0e-3, 1.0e-5]}\n"),
            ["expected [low, high] with low below high for train.lr, got [0.001, 1.0e-05]"])
        XCTAssertEqual(
            messages(fixture, "data: {synthetic: true}\ntrain: {lr: [1.0e-5, 1.0e-4, 1.0e-3]}\n"),
            ["expected two numbers [low, high] for train.lr, got 3 items"])
        XCTAssertEqual(messages(fixture, "data: {synthetic: true}\ntrain: {lr: [0, 1.0e-3]}\n").count, 1)
        XCTAssertEqual(
            messages(fixture, "data: {synthetic: true}\ntrain: {fine_tune: {freeze_epochs: 1}}\n"),
            [
                "train.fine_tune freezes a pretrained body, but model.init is null; set model.init to a checkpoint or remove train.fine_tune"
            ])
        XCTAssertEqual(
            messages(
                fixture,
                "data: {synthetic: true}\nmodel: {init: w.safetensors}\ntrain: {epochs: 3, fine_tune: {freeze_epochs: 4}}\n"
            ),
            ["expected train.fine_tune.freeze_epochs ≤ train.epochs (3), got 4"])
    }
}

/// experiments/ravdess-notebook-pretrained.yaml: the notebook's spec from an ImageNet ResNet-34.
final class PretrainedExperimentFileTests: XCTestCase {
    func testThePretrainedNotebookSpecNeedsACheckpointAndFineTunes() throws {
        let corpus = TemporaryDirectory("ser-fake-ravdess")
        let cwd = TemporaryDirectory("ser-cwd")
        let path = ExperimentFilesTests.folder.appendingPathComponent("ravdess-notebook-pretrained.yaml").path
        let loader = SpecLoader(environment: ["SER_DATA": corpus.url.path], workingDirectory: cwd.url.path)
        XCTAssertThrowsError(try loader.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("model.init is null"), "\(error)")
        }
        let weights = corpus.url.appendingPathComponent("resnet34.safetensors")
        FileManager.default.createFile(atPath: weights.path, contents: Data())
        let spec = try loader.load(path: path, overrides: ["model.init=\(weights.path)"]).runs[0].spec
        XCTAssertEqual(spec.model.initWeights, weights.path)
        XCTAssertEqual(spec.model.depth, 34)
        XCTAssertEqual(spec.model.width, 64)
        XCTAssertEqual(spec.model.stem, .imageNet)
        XCTAssertEqual(spec.train.fineTune?.freezeEpochs, 1)
        XCTAssertEqual(spec.split.kind, .random)
        XCTAssertEqual(spec.data.labels, .genderEmotion)
    }
}
