import Foundation
import RunStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import Reports

/// A test evaluation's files of classes the model does not know are named under the test set's scores.
final class UnknownTestClassesReportTests: XCTestCase {
    func testTheTestSetNamesTheClassesItDidNotScore() throws {
        let directory = TemporaryDirectory("ser-unknown-classes-report")
        let made = try ReportFixture.make(in: directory)
        let run = made.runs[1]
        try made.store.recordEvaluation(
            EvaluationRecord(
                runId: run, split: "test", accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5, labels: ["calm", "sad"],
                confusion: [[1, 1], [0, 2]], unknownClasses: ["boredom": 81, "disgust": 3]),
            classMetrics: [], predictions: [])
        let data = try StoreReport.runData(store: made.store, runID: run)
        let test = try XCTUnwrap(data.otherEvaluations.first { $0.title == "Test set" })
        let note = "Not scored (test set): 84 files of classes the model does not know: boredom (81), disgust (3)"
        XCTAssertEqual(test.note, note)
        let html = try StoreReport.render(store: made.store, runIDs: [run], title: "t")
        XCTAssertTrue(html.contains("<p>\(note)</p>"), "the page shows it")
    }
}
