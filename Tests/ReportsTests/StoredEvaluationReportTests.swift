import Foundation
import RunStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import Reports

/// `ser eval --store` results appear in the report of the model's run.
final class StoredEvaluationReportTests: XCTestCase {
    func testAStoredEvaluationIsAFurtherEvaluationOfItsRun() throws {
        let directory = TemporaryDirectory("ser-stored-eval-report")
        let made = try ReportFixture.make(in: directory)
        let run = made.runs[1]
        let before = try StoreReport.runData(store: made.store, runID: run)
        let stored = try made.store.recordStoredEvaluation(
            StoredEvaluationRecord(
                runId: run, modelPath: "/m.safetensors", modelSha256: "ab", dataPath: "/corpora/crema-d",
                layout: "folders", files: 4, excluded: 0, accuracy: 0.75, balancedAccuracy: 0.5, f1Macro: 0.4,
                labels: ["calm", "sad"], confusion: [[2, 0], [1, 1]],
                perClass: [.init(label: "calm", precision: 0.67, recall: 1, f1: 0.8, support: 2)]))
        let data = try StoreReport.runData(store: made.store, runID: run)
        XCTAssertEqual(data.otherEvaluations.count, before.otherEvaluations.count + 1)
        let shown = try XCTUnwrap(data.otherEvaluations.last)
        XCTAssertEqual(
            shown.title, "Evaluation \(stored.id!) (ser eval): /corpora/crema-d (folders, accuracy 75.0 %, UAR 50.0 %)")
        XCTAssertEqual(shown.confusion?.counts, [[2, 0], [1, 1]])
        XCTAssertEqual(shown.perClass.first?.precision, 0.67, "the recorded per-class scores")
        XCTAssertEqual(data.evaluationTitle, "Validation")
        let html = try StoreReport.render(store: made.store, runIDs: [run], title: "t")
        XCTAssertTrue(html.contains("/corpora/crema-d"), "the report names the corpus")
    }
}
