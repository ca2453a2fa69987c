import Foundation
import Plots
import TestSupport
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Degenerate inputs still give well-formed SVG (and never trap): empty series, a single point, all-NaN
/// values, zero classes, an empty LR sweep.
final class ChartEdgeCaseTests: XCTestCase {
    func testDegenerateLineCharts() throws {
        let cases: [[LineSeries]] = [
            [],
            [LineSeries(name: "one", x: [1], y: [0.5], style: .series(0))],
            [LineSeries(name: "nan", x: [1, 2], y: [.nan, .nan], style: .series(0))],
            [LineSeries(name: "flat", x: [1, 2, 3], y: [2, 2, 2], style: .series(0))],
            [LineSeries(name: "inf", x: [1, 2, 3], y: [1, .infinity, 3], style: .series(0))],
        ]
        for series in cases {
            let doc = try parseXML(lineChart(title: "t", series: series, xAxis: AxisSpec("x"), yAxis: AxisSpec("y")))
            XCTAssertEqual(elements(doc, "path", class: "series").count, series.count)
            XCTAssertFalse(texts(doc, class: "tick-label", and: "y").isEmpty)
        }
        // Log axis over less than a decade still gets labelled ticks.
        let doc = try parseXML(
            lineChart(
                title: "t", series: [LineSeries(name: "s", x: [3e-3, 4.5e-3], y: [1, 2], style: .series(0))],
                xAxis: AxisSpec("lr", scale: .log10), yAxis: AxisSpec("y")))
        XCTAssertGreaterThanOrEqual(texts(doc, class: "tick-label", and: "x").count, 2)
    }

    func testDegenerateOtherCharts() throws {
        _ = try parseXML(lrFinderChart(learningRates: [], losses: [], suggestions: []))
        _ = try parseXML(
            lrFinderChart(
                learningRates: [1e-5, 1e-4], losses: [.nan, 2],
                suggestions: [LRSuggestionMarker(method: "valley", learningRate: 1e-9, loss: 1)]))
        let empty = try parseXML(confusionHeatmap(title: "t", classNames: [], counts: []))
        XCTAssertEqual(elements(empty, "rect", class: "cell").count, 0)
        let zeros = try parseXML(confusionHeatmap(title: "t", classNames: ["a"], counts: [[0]], values: .rowNormalized))
        XCTAssertEqual(texts(zeros, class: "cell-value"), ["–"])
        let bars = try parseXML(
            groupedBarChart(
                title: "t", categories: [], seriesNames: ["p"], values: [], valueAxis: AxisSpec("v", domain: 0...1)))
        XCTAssertEqual(elements(bars, "rect", class: "bar").count, 0)
        XCTAssertEqual(TerminalConfusionGrid.render(classNames: [], counts: [], style: .plain).count, 1)
        XCTAssertEqual(Sparkline.labelled("x", []), "x  (no values)")
    }

    func testLongTitlesAndLegendLabelsAreShortenedToFit() throws {
        let long = String(repeating: "very long run name ", count: 8)
        let svg = lineChart(
            title: long, series: [LineSeries(name: long, x: [1, 2], y: [1, 2], style: .run(0))], xAxis: AxisSpec("x"),
            yAxis: AxisSpec("y"))
        let doc = try parseXML(svg)
        let shown = texts(doc, class: "chart-title")[0]
        XCTAssertTrue(shown.hasSuffix("…"))
        XCTAssertLessThan(estimatedTextWidth(shown, fontSize: 15), 640)
        XCTAssertTrue(elements(doc, "g", class: "legend-entry")[0].stringValue!.hasSuffix("…"))
        XCTAssertEqual(elements(doc, "title").first?.stringValue, long)  // full text kept for screen readers
        XCTAssertEqual(truncated("short", toWidth: 100), "short")
    }
}
