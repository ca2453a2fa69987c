/// One named curve of a line chart. `x` and `y` have the same length; non-finite values leave a gap.
public struct LineSeries: Equatable, Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var style: SeriesStyle

    public init(name: String, x: [Double], y: [Double], style: SeriesStyle) {
        precondition(x.count == y.count, "LineSeries \(name): \(x.count) x values but \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
        self.style = style
    }
}

/// A line chart of several series on shared axes (epoch curves, overlaid runs): one `<path class="series">`
/// per series, point markers when a series has at most 60 points, a legend naming every series.
///
/// - Parameters:
///   - title: shown top-left and as the SVG's accessible name.
///   - xAxis/yAxis: titles, units, scales; automatic domains cover all series.
/// - Returns: a standalone `<svg>` element. O(total points).
public func lineChart(
    title: String, series: [LineSeries], xAxis: AxisSpec, yAxis: AxisSpec, size: ChartSize = .standard
) -> String {
    let xDomain = xAxis.resolvedDomain(for: series.flatMap(\.x))
    let yDomain = yAxis.resolvedDomain(for: series.flatMap(\.y))
    let legend = series.map { LegendEntry($0.name, style: $0.style) }
    let layout = ChartXYLayout(
        size: size, xAxis: xAxis, xDomain: xDomain, yAxis: yAxis, yDomain: yDomain, legend: legend)
    var doc = SVGDocument(
        width: size.width, height: layout.height, title: title,
        summary: "\(yAxis.title) against \(xAxis.title) for " + series.map(\.name).joined(separator: ", "))
    ChartDraw.title(&doc, title)
    ChartDraw.axes(
        &doc, area: layout.area, x: layout.x, y: layout.y, xAxis: xAxis, yAxis: yAxis, xTicks: layout.xTicks,
        yTicks: layout.yTicks)
    drawSeries(&doc, series, layout: layout)
    ChartDraw.legend(&doc, legend, x: layout.legendOrigin.x, y: layout.legendOrigin.y)
    return doc.render()
}

/// Draws series paths and markers in a laid-out x/y chart (shared by the line and LR-finder charts).
func drawSeries(_ doc: inout SVGDocument, _ series: [LineSeries], layout: ChartXYLayout) {
    doc.open("g", ["class": "plot"])
    for s in series {
        let pixels = zip(s.x, s.y).map { (x: layout.x.map($0.0), y: layout.y.map($0.1)) }
        var attrs: SVGAttributes = [
            "class": "series", "d": ChartDraw.clippedPath(pixels, area: layout.area), "fill": "none",
            "stroke": s.style.color, "stroke-width": s.style.lineWidth, "stroke-linejoin": "round",
            "stroke-linecap": "round",
        ]
        if let dash = s.style.dash { attrs.append("stroke-dasharray", dash) }
        doc.add("path", attrs, tooltip: s.name)
        if let marker = s.style.marker, s.x.count <= 60 {
            doc.open("g", ["class": "markers"])
            for (i, p) in pixels.enumerated() where ChartDraw.inside((p.x, p.y), layout.area) {
                ChartDraw.marker(
                    &doc, marker, x: p.x, y: p.y, size: 3.5, color: s.style.color,
                    tooltip: "\(s.name): \(compactNumber(s.x[i])), \(compactNumber(s.y[i]))")
            }
            doc.close()
        }
    }
    doc.close()
}

/// A value for tooltips and tables: up to four significant digits, scientific when very small or large.
public func compactNumber(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "–" : (value > 0 ? "∞" : "−∞") }
    if value == value.rounded() && abs(value) < 1e7 { return String(Int(value)) }
    if abs(value) < 1e-3 || abs(value) >= 1e7 { return ChartTicks.scientific(value, significantDigits: 3) }
    var s = String(format: "%.4g", value)
    if s.contains("e") { return ChartTicks.scientific(value, significantDigits: 3) }
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s
}
