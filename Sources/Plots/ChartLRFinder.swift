import Foundation
import LRCurve

/// Where a suggestion of the LR finder sits on its curve: the method's name as users know it ("valley",
/// "slide", "minimum", "steep", possibly with a note such as "(used)"), the rate it suggests and the (smoothed)
/// loss of the curve at that rate. A mark on a plot, not a point of the sweep (that is ``LRFinderPoint``).
public struct LRSuggestionMarker: Equatable, Sendable {
    /// Method name as users know it: "valley", "slide", "minimum", "steep".
    public var method: String
    public var learningRate: Double
    public var loss: Double

    public init(method: String, learningRate: Double, loss: Double) {
        self.method = method
        self.learningRate = learningRate
        self.loss = loss
    }

    /// Legend text, e.g. "valley 1.3e-3".
    public var label: String { "\(method) \(ChartTicks.scientific(learningRate))" }
}

/// The LR-finder sweep as it is drawn: learning rates (ascending, > 0), the smoothed loss at each, and the
/// suggestions marked on the curve. What the report and `ser lr-find` plot, from a finder run or the store.
public struct LRFinderCurve: Equatable, Sendable {
    public var learningRates: [Double]
    public var losses: [Double]
    public var suggestions: [LRSuggestionMarker]

    public init(learningRates: [Double], losses: [Double], suggestions: [LRSuggestionMarker]) {
        precondition(learningRates.count == losses.count, "LR finder: rates and losses differ in length")
        self.learningRates = learningRates
        self.losses = losses
        self.suggestions = suggestions
    }

    /// The curve of `points` (in the order given, smoothed losses) with each suggestion marked at the point of
    /// the nearest rate on a log scale.
    public init(points: [LRFinderPoint], suggestions: [(method: String, learningRate: Double)]) {
        let rates = points.map(\.learningRate)
        let losses = points.map(\.smoothedLoss)
        self.init(
            learningRates: rates, losses: losses,
            suggestions: suggestions.map {
                LRSuggestionMarker(
                    method: $0.method, learningRate: $0.learningRate,
                    loss: losses.isEmpty ? .nan : losses[Self.nearest($0.learningRate, in: rates)])
            })
    }

    /// The index of the rate closest to `lr` on a log scale (0 for an empty list).
    public static func nearest(_ lr: Double, in rates: [Double]) -> Int {
        rates.indices.min { abs(log(rates[$0] / lr)) < abs(log(rates[$1] / lr)) } ?? 0
    }
}

/// The LR-finder curve (loss against learning rate on a log10 x axis) with one distinct marker per
/// suggestion and a legend naming method and value ("valley 1.3e-3"), as fastai's `lr_find()` plots it.
///
/// The y axis stops a little above the starting loss so the divergence at the end (often 10–100× the
/// minimum) does not flatten the interesting part; the curve is cut at the top edge.
/// - Returns: a standalone `<svg>` element with one `<path class="series">` and one marker per suggestion.
public func lrFinderChart(
    title: String = "Learning-rate finder", learningRates: [Double], losses: [Double],
    suggestions: [LRSuggestionMarker], lossLabel: String = "Loss (smoothed)", size: ChartSize = .standard
) -> String {
    precondition(learningRates.count == losses.count, "LR finder: \(learningRates.count) rates, \(losses.count) losses")
    let xAxis = AxisSpec("Learning rate", scale: .log10)
    let yDomain = lrFinderLossDomain(losses: losses, suggestions: suggestions)
    let yAxis = AxisSpec("Loss", domain: yDomain)
    let curveStyle = SeriesStyle(color: ChartPalette.blue)
    var legend = [LegendEntry(lossLabel, style: curveStyle)]
    let markerStyles = suggestions.indices.map { i in
        SeriesStyle(color: ChartPalette.color(i + 1), marker: ChartPalette.marker(i))
    }
    for (s, style) in zip(suggestions, markerStyles) {
        legend.append(LegendEntry(s.label, style: style, kind: .marker))
    }
    let layout = ChartXYLayout(
        size: size, xAxis: xAxis, xDomain: xAxis.resolvedDomain(for: learningRates), yAxis: yAxis, yDomain: yDomain,
        legend: legend)
    var doc = SVGDocument(
        width: size.width, height: layout.height, title: title,
        summary: "Loss against learning rate (log scale); suggestions: "
            + suggestions.map(\.label).joined(separator: ", "))
    ChartDraw.title(&doc, title)
    ChartDraw.axes(
        &doc, area: layout.area, x: layout.x, y: layout.y, xAxis: xAxis, yAxis: yAxis, xTicks: layout.xTicks,
        yTicks: layout.yTicks)
    drawSeries(&doc, [LineSeries(name: lossLabel, x: learningRates, y: losses, style: curveStyle)], layout: layout)
    doc.open("g", ["class": "suggestions"])
    for (s, style) in zip(suggestions, markerStyles) {
        let px = layout.x.map(s.learningRate)
        guard px >= layout.area.left - 0.5, px <= layout.area.right + 0.5 else { continue }
        doc.add(
            "line",
            [
                "x1": px, "y1": layout.area.top, "x2": px, "y2": layout.area.bottom, "stroke": style.color,
                "stroke-width": 1, "stroke-dasharray": "3 3", "opacity": 0.7,
            ])
        let py = min(max(layout.y.map(s.loss), layout.area.top), layout.area.bottom)
        ChartDraw.marker(
            &doc, style.marker!, x: px, y: py, size: 6, color: style.color,
            tooltip: "\(s.label) (loss \(compactNumber(s.loss)))")
    }
    doc.close()
    ChartDraw.legend(&doc, legend, x: layout.legendOrigin.x, y: layout.legendOrigin.y)
    return doc.render()
}

/// The loss range an LR-finder plot shows (SVG and raster alike): from a little under the minimum to a little
/// above the starting loss (so the final divergence does not flatten the curve), widened to include every
/// suggestion's marker, rounded to nice ticks.
public func lrFinderLossDomain(losses: [Double], suggestions: [LRSuggestionMarker]) -> ClosedRange<Double> {
    let finite = losses.filter(\.isFinite)
    guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
    let start = finite.prefix(max(1, finite.count / 20)).max() ?? hi
    var top = min(hi, start + 0.35 * max(start - lo, 1e-9))
    top = max(top, suggestions.map(\.loss).filter(\.isFinite).max() ?? top)
    // A little room under the minimum so the valley does not sit on the axis.
    return ChartTicks.niceDomain(lo - 0.04 * (top - lo), max(top, lo + 1e-9), targetCount: 5)
}
