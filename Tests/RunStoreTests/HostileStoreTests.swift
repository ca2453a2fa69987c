import Checksum
import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// Issue #18: a store whose columns hold values of the wrong type (edited by hand, or damaged) gives an
/// error naming the table, the row and the column on every read, never a crash and never a silent 0.
final class HostileStoreTests: XCTestCase {
    /// A run with two epochs, a valid evaluation with a class metric and a prediction.
    func populate() throws -> (RunStore, Int64) {
        let store = try RunStore.inMemory()
        let experiment = try store.findOrCreateExperiment(name: "exp").id!
        let id = try store.createRun(
            experimentID: experiment, name: "r", specYAML: "seed: 1\n", specHash: SHA256.hex(of: "seed: 1\n"),
            seed: 1, toolVersion: "test")
        try store.markRunning(id)
        for epoch in 1...2 {
            try store.recordEpoch(
                EpochMetricRecord(
                    runId: id, epoch: epoch, trainLoss: 1, validLoss: 1, accuracy: 0.5, lr: 1e-3, seconds: 1))
        }
        try store.recordEvaluation(
            EvaluationRecord(
                runId: id, split: "valid", accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["a", "b"],
                confusion: [[1, 1], [1, 1]]),
            classMetrics: [
                ClassMetricRecord(runId: id, split: "valid", label: "a", precision: 1, recall: 1, f1: 1, support: 2)
            ],
            predictions: [
                PredictionRecord(
                    runId: id, split: "valid", path: "x.wav", label: "a", predicted: "a", confidence: 0.9,
                    probabilities: [0.9, 0.1])
            ])
        try store.finish(id)
        return (store, id)
    }

    func edit(_ store: RunStore, _ sql: String) throws {
        try store.writer.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: sql)
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
        }
    }

    func assertNames(
        _ table: String, _ row: String, _ column: String, _ body: @autoclosure () throws -> Any?, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), line: line) { error in
            // Checked on the message, so the test also compiles (and fails) on the code before the fix.
            let text = "\(error)"
            XCTAssertTrue(text.contains("table \(table), row \(row), column \(column) holds"), text, line: line)
        }
    }

    func testTextInAnEpochAccuracyIsAnErrorNamingTheRow() throws {
        let (store, id) = try populate()
        try edit(store, "UPDATE epoch_metric SET accuracy = 'x' WHERE epoch = 2")
        // `ser runs`: MAX(accuracy) is the text; GRDB's subscript stopped the process here.
        assertNames("epoch_metric", "run \(id)", "best_accuracy", try store.runs())
        assertNames("epoch_metric", "run \(id), epoch 2", "accuracy", try store.epochs(of: id))
        assertNames("epoch_metric", "run \(id), epoch 2", "accuracy", try store.detail(of: id))
        assertNames(
            "epoch_metric", "run \(id), epoch 2", "accuracy", try store.compare(metric: .accuracy))
    }

    func testTextInARunSeedIsAnErrorNotZero() throws {
        let (store, id) = try populate()
        try edit(store, "UPDATE run SET seed = 'abc'")
        assertNames("run", "run \(id)", "seed", try store.run(id))
        assertNames("run", "run \(id)", "seed", try store.detail(of: id))
    }

    func testAnUnknownStatusIsAnErrorNotAFailedRun() throws {
        let (store, id) = try populate()
        try edit(store, "UPDATE run SET status = 'weird'")
        assertNames("run", "run \(id)", "status", try store.runs())
        assertNames("run", "run \(id)", "status", try store.run(id))
        assertNames("run", "run \(id)", "status", try store.compare(metric: .accuracy))
        XCTAssertThrowsError(try store.runs()) { error in
            XCTAssertTrue("\(error)".contains("holds text 'weird'; expected one of queued, running"), "\(error)")
        }
    }

    func testMalformedConfusionAndLabelsAreErrors() throws {
        let (store, id) = try populate()
        try edit(store, "UPDATE evaluation SET confusion = '[[1, 1], [1'")
        assertNames("evaluation", "run \(id), split 'valid'", "confusion", try store.detail(of: id))
        try edit(store, "UPDATE evaluation SET confusion = '[[1, 1, 1], [1, 1]]'")
        assertNames("evaluation", "run \(id), split 'valid'", "confusion", try store.detail(of: id))
        try edit(store, "UPDATE evaluation SET confusion = '[[1, 1], [1, 1]]', labels = 'a, b'")
        assertNames("evaluation", "run \(id), split 'valid'", "labels", try store.detail(of: id))
    }

    func testMalformedProbabilitiesAreAnError() throws {
        let (store, id) = try populate()
        try edit(store, "UPDATE prediction SET probabilities = '{\"a\": 1}'")
        assertNames(
            "prediction", "run \(id), split 'valid', path 'x.wav'", "probabilities",
            try store.predictions(of: id, split: "valid"))
    }

    func testTextInOtherNumericColumnsIsAnError() throws {
        let (store, id) = try populate()
        try edit(store, "UPDATE class_metric SET support = 'many'")
        assertNames("class_metric", "run \(id), split 'valid', label 'a'", "support", try store.detail(of: id))
        try edit(store, "UPDATE class_metric SET support = 2; UPDATE evaluation SET accuracy = 'high'")
        assertNames("evaluation", "run \(id)", "accuracy", try store.compare(metric: .accuracy))
        assertNames("evaluation", "run \(id), split 'valid'", "accuracy", try store.detail(of: id))
        try edit(store, "UPDATE evaluation SET accuracy = 0.5; UPDATE run SET created_at = 'noon'")
        assertNames("run", "run \(id)", "created_at", try store.runs())
    }
}
