import Foundation
import RunStore
import Runner
import Specs
import Synth
import TestSupport
import XCTest

@testable import SERCommands

/// A cross-corpus test set's files of classes the model does not know are recorded with the `test` evaluation
/// and shown by `ser show`, not only logged.
final class UnknownTestClassesTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-unknown-classes") }

    func testTheTestEvaluationRecordsAndShowsTheClassesItDidNotScore() throws {
        // The test corpus: the synthetic corpus under EMO-DB names, fearful mapped to disgust, which the model
        // (neutral, happy, sad, angry) does not know.
        let emodb = directory.path("emodb")
        try SyntheticCorpus.ensure(at: emodb, actors: 2, seed: 1, layout: .emodb)
        let spec = """
            name: unknown-classes
            seed: 3
            data:
              synthetic: {actors: 2, seed: 1}
              labels: emotion
              emotions: [neutral, happy, sad, angry]
            audio: {sample_rate: 16000, duration: 1.0}
            features: {n_fft: 256, hop_length: 160, n_mels: 16}
            model: {depth: 10, width: 8, stem: small, dropout: 0.1}
            lr_finder: {enabled: false}
            train: {epochs: 1, batch_size: 16, schedule: one_cycle, lr: 0.01}
            split: {kind: random, valid_pct: 0.25}
            test: {path: \(emodb), layout: emodb, label_map: {A: disgust}}
            """
        let path = directory.path("spec.yaml")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let plan = try SpecLoader(environment: [:], workingDirectory: directory.url.path).load(path: path)
        let storePath = directory.path("runs/ser.sqlite")
        let store = try RunStore(path: storePath)
        let outcome = try ExperimentRunner(store: store, options: RunnerOptions(toolVersion: "test", threads: 2))
            .run(plan)[0]
        XCTAssertEqual(outcome.status, .finished, outcome.error ?? "")
        let detail = try store.detail(of: outcome.runID)
        let test = try XCTUnwrap(detail.evaluations.first { $0.split == "test" })
        XCTAssertEqual(test.unknownClasses, ["disgust": 32])
        XCTAssertNil(try XCTUnwrap(detail.evaluations.first { $0.split == "valid" }).unknownClasses)
        // Read back from a fresh open, and shown.
        let reopened = try RunStore(readingPath: storePath).detail(of: outcome.runID)
        XCTAssertEqual(reopened.evaluations.first { $0.split == "test" }?.unknownClasses, test.unknownClasses)
        let text = Show.text(reopened, includeSpec: false)
        XCTAssertTrue(
            text.contains("Not scored: 32 files of classes the model does not know: disgust (32)"),
            text)
    }
}
