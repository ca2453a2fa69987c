import Foundation
import TestSupport
import XCTest

@testable import Reports

#if canImport(FoundationXML)
    import FoundationXML
#endif

final class HTMLReportTests: XCTestCase {
    static let run1 = ExampleReportData.run(name: "baseline", lr: 1e-3, epochs: 12, quality: 1, seed: 7)
    static let run2 = ExampleReportData.run(name: "fast <lr> & more", lr: 4e-3, epochs: 8, quality: 0.8, seed: 8)

    /// Charts of one full example run: loss, scores, LR finder, 2 confusion maps, per-class bars, 4 spectrograms.
    static let chartsPerRun = 10

    func testSingleRunPageIsSelfContainedWellFormedAndHasEveryChart() throws {
        let html = HTMLReport.render(runs: [Self.run1], title: "Report")
        let doc = try parseXML(html)
        assertSelfContained(html, doc)
        XCTAssertEqual(elements(doc, "svg").count, Self.chartsPerRun)
        XCTAssertEqual(elements(doc, "section", class: "run").count, 1)
        XCTAssertEqual(elements(doc, "section", class: "comparison").count, 0)
        XCTAssertEqual(elements(doc, "rect", class: "cell").count, 2 * 8 * 8)
        XCTAssertEqual(elements(doc, "rect", class: "bar").count, 8 * 3)
        XCTAssertEqual(elements(doc, "image").count, 4)
        let h3 = elements(doc, "h3").compactMap(\.stringValue)
        XCTAssertEqual(
            h3,
            [
                "Training curves", "Learning-rate finder", "Confusion matrix", "Per-class scores",
                "Most confused pairs",
                "Top losses",
            ])
        // The spec is shown verbatim.
        XCTAssertEqual(elements(doc, "pre").first?.stringValue, Self.run1.specYAML)
    }

    func testSeveralRunsAddAComparisonWithOverlaidCurvesAndDifferingParameters() throws {
        let html = HTMLReport.render(runs: [Self.run1, Self.run2])
        let doc = try parseXML(html)
        assertSelfContained(html, doc)
        let comparison = elements(doc, "section", class: "comparison")
        XCTAssertEqual(comparison.count, 1)
        // 4 overlaid curves (valid loss, train loss, accuracy, UAR), each with one path per run.
        XCTAssertEqual(elements(doc, "svg").count, 4 + 2 * Self.chartsPerRun)
        let sectionDoc = try parseXML(comparison[0].xmlString)
        XCTAssertEqual(elements(sectionDoc, "svg").count, 4)
        XCTAssertEqual(elements(sectionDoc, "path", class: "series").count, 4 * 2)
        // Only the parameters that differ are listed: epochs and lr, not dataset/arch/batch size.
        let firstTable = elements(sectionDoc, "table")[0]
        let rows = elements(try parseXML(firstTable.xmlString), "tr").map { row in
            elements(try! parseXML(row.xmlString), "td").compactMap(\.stringValue)
        }.filter { !$0.isEmpty }
        XCTAssertEqual(rows, [["train.epochs", "12", "8"], ["train.lr", "1e-3", "4e-3"]])
        // Run names are escaped in headings, tables and legends, and the page links to each run.
        XCTAssertTrue(html.contains("fast &lt;lr&gt; &amp; more"))
        XCTAssertFalse(html.contains("fast <lr>"))
        let links = elements(doc, "a").compactMap { attribute($0, "href") }
        XCTAssertEqual(links, ["#comparison", "#run-baseline", "#run-fast-lr-more"])
        XCTAssertEqual(
            Set(elements(doc, "section").compactMap { attribute($0, "id") }),
            ["comparison", "run-baseline", "run-fast-lr-more"])
    }

    func testBestMetricIsBold() throws {
        let a = RunReportData(
            name: "a",
            metrics: [
                ReportMetric(name: "Accuracy", value: 0.7, isFraction: true),
                ReportMetric(name: "Loss", value: 0.9, higherIsBetter: false),
            ])
        let b = RunReportData(
            name: "b",
            metrics: [
                ReportMetric(name: "Accuracy", value: 0.6, isFraction: true),
                ReportMetric(name: "Loss", value: 0.8, higherIsBetter: false),
            ])
        let doc = try parseXML(HTMLReport.render(runs: [a, b]))
        XCTAssertEqual(elements(doc, "strong").compactMap(\.stringValue), ["70.0 %", "0.800"])
    }

    func testEmptySectionsAreLeftOut() throws {
        let run = RunReportData(
            name: "curves only",
            epochs: [
                ReportEpoch(epoch: 1, trainLoss: 2, validLoss: 2.1, accuracy: nil, uar: nil),
                ReportEpoch(epoch: 2, trainLoss: 1.5, validLoss: 1.8, accuracy: nil, uar: nil),
            ])
        let doc = try parseXML(HTMLReport.render(runs: [run]))
        XCTAssertEqual(elements(doc, "svg").count, 1)
        XCTAssertEqual(elements(doc, "h3").compactMap(\.stringValue), ["Training curves"])
        XCTAssertEqual(elements(doc, "path", class: "series").count, 2)
    }

    func testSectionIDsAreUnique() {
        XCTAssertEqual(
            HTMLReport.sectionIDs(["A b", "a-b", "", "ü"]), ["run-a-b", "run-a-b-2", "run-unnamed", "run-ü"])
    }

    func testTinyPNGFixtureIsAValidPNGSignature() {
        let png = TinyPNG.encode(width: 2, height: 2) { _, _ in (1, 2, 3) }
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}
