import Foundation
import Plots
import TestSupport
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

final class ChartTests: XCTestCase {
    func testLineChartDrawsOnePathPerSeriesWithTicksAndLegend() throws {
        let epochs = (1...10).map(Double.init)
        let series = [
            LineSeries(name: "Train loss", x: epochs, y: epochs.map { 2 / $0 }, style: .series(0)),
            LineSeries(name: "Valid loss", x: epochs, y: epochs.map { 2.2 / $0 + 0.1 }, style: .series(1)),
            LineSeries(name: "Accuracy", x: epochs, y: epochs.map { $0 / 12 }, style: .series(2)),
        ]
        let svg = lineChart(
            title: "Loss", series: series, xAxis: AxisSpec("Epoch", integerTicks: true),
            yAxis: AxisSpec("Loss", domain: 0...2.5))
        let doc = try parseXML(svg)
        XCTAssertEqual(elements(doc, "path", class: "series").count, 3)
        XCTAssertEqual(elements(doc, "g", class: "legend-entry").count, 3)
        XCTAssertEqual(
            elements(doc, "g", class: "legend-entry").compactMap { $0.stringValue },
            ["Train loss", "Valid loss", "Accuracy"])
        XCTAssertEqual(texts(doc, class: "tick-label", and: "y"), ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"])
        XCTAssertEqual(texts(doc, class: "tick-label", and: "x"), ["0", "2", "4", "6", "8", "10"])
        XCTAssertEqual(texts(doc, class: "axis-title", and: "x"), ["Epoch"])
        XCTAssertEqual(texts(doc, class: "chart-title"), ["Loss"])
        // 10 markers per series.
        XCTAssertEqual(elements(doc, "g", class: "markers").map { $0.childCount }, [10, 10, 10])
        // Tick positions follow the scale: y = 0 on the x axis line, y = 2.5 at the top of the plot.
        let yLabels = elements(doc, "text", class: "tick-label").filter { attribute($0, "class") == "tick-label y" }
        XCTAssertGreaterThan(number(yLabels[0], "y"), number(yLabels[5], "y"))
    }

    func testOverlaidRunsGetDistinctColourAndDash() throws {
        let x = [1.0, 2, 3]
        let svg = lineChart(
            title: "Valid loss",
            series: (0..<3).map { LineSeries(name: "run \($0)", x: x, y: x.map { $0 * 0.1 }, style: .run($0)) },
            xAxis: AxisSpec("Epoch"), yAxis: AxisSpec("Loss"))
        let paths = elements(try parseXML(svg), "path", class: "series")
        XCTAssertEqual(Set(paths.compactMap { attribute($0, "stroke") }).count, 3)
        XCTAssertEqual(Set(paths.map { attribute($0, "stroke-dasharray") ?? "solid" }).count, 3)
    }

    func testGapsAndOutOfRangeValues() throws {
        let svg = lineChart(
            title: "t", series: [LineSeries(name: "s", x: [1, 2, 3, 4], y: [0.5, .nan, 0.5, 5], style: .series(0))],
            xAxis: AxisSpec("x"), yAxis: AxisSpec("y", domain: 0...1))
        let d = attribute(elements(try parseXML(svg), "path", class: "series")[0], "d") ?? ""
        XCTAssertEqual(d.filter { $0 == "M" }.count, 1, d)  // lone point before the gap draws no segment
        XCTAssertFalse(d.isEmpty)
    }

    func testLRFinderChartHasDecadeTicksAndOneMarkerPerSuggestion() throws {
        let lrs = (0..<80).map { 1e-7 * pow(1e8, Double($0) / 79) }
        let losses = lrs.map { 2 - 0.8 / (1 + exp(-(log10($0) + 3.5) * 2)) + max(0, log10($0) + 1.5) * 3 }
        let suggestions = [
            LRSuggestionMarker(method: "valley", learningRate: 1.3e-3, loss: 1.4),
            LRSuggestionMarker(method: "slide", learningRate: 4e-3, loss: 1.3),
            LRSuggestionMarker(method: "minimum", learningRate: 2.5e-2, loss: 1.25),
            LRSuggestionMarker(method: "steep", learningRate: 2.1e-4, loss: 1.7),
        ]
        let doc = try parseXML(lrFinderChart(learningRates: lrs, losses: losses, suggestions: suggestions))
        XCTAssertEqual(elements(doc, "path", class: "series").count, 1)
        let x = texts(doc, class: "tick-label", and: "x")
        XCTAssertEqual(x, ["1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "0.01", "0.1", "1", "10"])
        let markers =
            elements(doc, "g", class: "suggestions").first?.children?.compactMap { $0 as? XMLElement }
            .filter { (attribute($0, "class") ?? "").hasPrefix("marker") } ?? []
        XCTAssertEqual(markers.count, 4)
        XCTAssertEqual(Set(markers.compactMap { attribute($0, "class") }).count, 4, "distinct marker shapes")
        let legend = elements(doc, "g", class: "legend-entry").compactMap(\.stringValue)
        XCTAssertEqual(legend, ["Loss (smoothed)", "valley 1.3e-3", "slide 4e-3", "minimum 2.5e-2", "steep 2.1e-4"])
        // The valley marker sits at the 1.3e-3 position: between the 1e-3 and 0.01 tick labels.
        let ticks = elements(doc, "text", class: "tick-label").filter { attribute($0, "class") == "tick-label x" }
        let valleyX = markers.map { attribute($0, "cx") ?? attribute($0, "x") ?? "" }.compactMap(Double.init).first!
        XCTAssertGreaterThan(valleyX, number(ticks[4], "x"))
        XCTAssertLessThan(valleyX, number(ticks[5], "x"))
    }

    func testConfusionHeatmapHasOneCellPerPairAndEscapesNames() throws {
        let names = ["a<b", "c&d", "neutral"]
        let counts = [[5, 1, 0], [2, 8, 0], [0, 0, 0]]
        let doc = try parseXML(confusionHeatmap(title: "Counts", classNames: names, counts: counts))
        XCTAssertEqual(elements(doc, "rect", class: "cell").count, 9)
        XCTAssertEqual(texts(doc, class: "class-label", and: "row"), names)
        XCTAssertEqual(texts(doc, class: "class-label", and: "column"), names)
        XCTAssertEqual(texts(doc, class: "cell-value"), ["5", "1", "0", "2", "8", "0", "0", "0", "0"])
        // The largest count is yellow with black text; zeros dark purple with white text.
        let cells = elements(doc, "rect", class: "cell")
        let values = elements(doc, "text", class: "cell-value")
        XCTAssertEqual(attribute(cells[4], "fill"), "#fde725")
        XCTAssertEqual(attribute(values[4], "fill"), "#000000")
        XCTAssertEqual(attribute(cells[2], "fill"), "#440154")
        XCTAssertEqual(attribute(values[2], "fill"), "#ffffff")
        XCTAssertEqual(elements(doc, "g", class: "colorbar").count, 1)
    }

    func testRowNormalisedHeatmapShowsPercentages() throws {
        let doc = try parseXML(
            confusionHeatmap(
                title: "Normalised", classNames: ["x", "y"], counts: [[3, 1], [0, 0]], values: .rowNormalized))
        XCTAssertEqual(texts(doc, class: "cell-value"), ["75%", "25%", "–", "–"])
        XCTAssertTrue(texts(doc, class: "tick-label", and: "colorbar").contains("100%"))
    }

    func testLongClassNamesAreRotated() throws {
        let names = (0..<12).map { "class number \($0)" }
        let counts = (0..<12).map { r in (0..<12).map { r == $0 ? 10 : 1 } }
        let doc = try parseXML(confusionHeatmap(title: "t", classNames: names, counts: counts))
        XCTAssertEqual(elements(doc, "rect", class: "cell").count, 144)
        let columns = elements(doc, "text", class: "class-label").filter {
            attribute($0, "class") == "class-label column"
        }
        XCTAssertTrue(columns.allSatisfy { (attribute($0, "transform") ?? "").hasPrefix("rotate(-45") })
    }

    func testGroupedBarsOnePerCategoryAndSeries() throws {
        let classes = ["happy", "sad", "angry", "fear & <dread>"]
        let values = classes.indices.map { i in [0.5 + 0.1 * Double(i), 0.4, 0.45] }
        let svg = groupedBarChart(
            title: "Per-class", categories: classes, seriesNames: ["Precision", "Recall", "F1"], values: values,
            valueAxis: AxisSpec("Score", domain: 0...1), categoryAxisTitle: "Class")
        let doc = try parseXML(svg)
        let bars = elements(doc, "rect", class: "bar")
        XCTAssertEqual(bars.count, 12)
        XCTAssertEqual(texts(doc, class: "category"), classes)
        XCTAssertEqual(texts(doc, class: "tick-label", and: "y"), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        // Heights are proportional to values: 0.8 is twice 0.4.
        XCTAssertEqual(number(bars[9], "height"), 2 * number(bars[1], "height"), accuracy: 0.05)
        XCTAssertEqual(
            elements(doc, "g", class: "legend-entry").compactMap(\.stringValue), ["Precision", "Recall", "F1"])
    }

    func testImageFigureEmbedsThePNGAsADataURIWithAxes() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5])
        let svg = imageFigure(
            title: "Mel spectrogram", png: png, xAxis: AxisSpec("Time", unit: "s", domain: 0...3.2),
            yAxis: AxisSpec("Frequency", unit: "Hz", domain: 0...8000, tickCount: 4),
            colorBar: .viridis(label: "Level", unit: "dB", domain: -80...0))
        let doc = try parseXML(svg)
        let images = elements(doc, "image")
        XCTAssertEqual(images.count, 1)
        let href = attribute(images[0], "href") ?? ""
        XCTAssertTrue(href.hasPrefix("data:image/png;base64,"))
        XCTAssertEqual(Data(base64Encoded: String(href.dropFirst("data:image/png;base64,".count))), png)
        XCTAssertEqual(texts(doc, class: "tick-label", and: "y"), ["0", "2000", "4000", "6000", "8000"])
        XCTAssertEqual(texts(doc, class: "tick-label", and: "x"), ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"])
        XCTAssertEqual(texts(doc, class: "axis-title", and: "x"), ["Time (s)"])
        XCTAssertEqual(texts(doc, class: "axis-title", and: "y"), ["Frequency (Hz)"])
        XCTAssertEqual(texts(doc, class: "tick-label", and: "colorbar"), ["-80", "-60", "-40", "-20", "0"])
    }
}
