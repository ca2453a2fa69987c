import Foundation
import Plots
import TestSupport
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

final class SVGBuilderTests: XCTestCase {
    func testEscapesTheXMLSpecialCharacters() {
        XCTAssertEqual(xmlEscape(#"a<b & "c" 'd'>"#), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        XCTAssertEqual(xmlEscape("bell\u{07}"), "bell\u{FFFD}")
    }

    func testNumbersAreCompact() {
        XCTAssertEqual(svgNumber(12.5), "12.5")
        XCTAssertEqual(svgNumber(12.0), "12")
        XCTAssertEqual(svgNumber(1.23456), "1.23")
        XCTAssertEqual(svgNumber(-0.001), "0")
        XCTAssertEqual(svgNumber(-3.10), "-3.1")
        XCTAssertEqual(svgNumber(.nan), "0")
    }

    func testDocumentIsWellFormedAndKeepsTextIntact() throws {
        var doc = SVGDocument(width: 100, height: 50, title: "A & B <test>")
        doc.open("g", ["class": "x"])
        doc.add("text", ["x": 1.5, "y": 2], text: "fear & <disgust>")
        doc.add("rect", ["x": 0, "y": 0, "width": 10, "height": 10], tooltip: "\"quoted\"")
        let xml = try parseXML(doc.render())  // the open <g> is closed by render()
        XCTAssertEqual(xml.rootElement()?.name, "svg")
        XCTAssertEqual(xml.rootElement().flatMap { attribute($0, "viewBox") }, "0 0 100 50")
        XCTAssertEqual(elements(xml, "text").first?.stringValue, "fear & <disgust>")
        XCTAssertEqual(elements(xml, "title").first?.stringValue, "A & B <test>")
        XCTAssertEqual(elements(xml, "g", class: "x").count, 1)
    }

    func testClippedPathCutsSegmentsAtTheEdge() {
        let area = PlotArea(left: 0, top: 0, right: 100, bottom: 100)
        // Rises out of the top: the second segment ends at y = 0.
        let d = ChartDraw.clippedPath([(0, 100), (50, 50), (100, -50)], area: area)
        XCTAssertEqual(d, "M0 100L50 50L75 0")
        // A NaN breaks the line into two pieces.
        let gap = ChartDraw.clippedPath([(0, 10), (10, 10), (20, .nan), (30, 10), (40, 10)], area: area)
        XCTAssertEqual(gap, "M0 10L10 10M30 10L40 10")
        XCTAssertEqual(ChartDraw.clippedPath([(0, -5), (10, -6)], area: area), "")
    }

    func testHeatScaleIsViridisAndPicksContrastingText() {
        XCTAssertEqual(ChartHeatScale.hex(0), "#440154")
        XCTAssertEqual(ChartHeatScale.hex(1), "#fde725")
        XCTAssertEqual(ChartHeatScale.hex(0.5), "#21918c")
        XCTAssertEqual(ChartHeatScale.textColor(onValue: 0), "#ffffff")
        XCTAssertEqual(ChartHeatScale.textColor(onValue: 1), "#000000")
        // Luminance rises monotonically (a sequential scale).
        let l = stride(from: 0.0, through: 1, by: 0.05).map(ChartHeatScale.luminance)
        XCTAssertEqual(l, l.sorted())
    }

    func testPaletteIsOkabeIto() {
        XCTAssertEqual(
            Set(ChartPalette.categorical),
            ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"])
        XCTAssertNotEqual(SeriesStyle.run(0).dash, SeriesStyle.run(1).dash)
        XCTAssertNotEqual(SeriesStyle.run(0).color, SeriesStyle.run(1).color)
    }
}
