/// A grouped vertical bar chart: one group per category (e.g. per class), one bar per series in each group
/// (e.g. precision, recall, F1), a legend naming the series. Bars use Okabe–Ito colours in series order.
///
/// - Parameters:
///   - values: `categories.count × seriesNames.count`; non-finite values draw no bar.
///   - valueAxis: the y axis; give a fixed domain (0...1) for scores so runs compare at a glance.
/// - Returns: a standalone `<svg>` with `categories × series` `<rect class="bar">` elements. O(bars).
public func groupedBarChart(
    title: String, categories: [String], seriesNames: [String], values: [[Double]], valueAxis: AxisSpec,
    categoryAxisTitle: String? = nil, size: ChartSize = .standard
) -> String {
    precondition(
        values.count == categories.count && values.allSatisfy { $0.count == seriesNames.count },
        "bar chart values must be \(categories.count)×\(seriesNames.count)")
    let styles = seriesNames.indices.map { SeriesStyle(color: ChartPalette.color($0)) }
    let legend = zip(seriesNames, styles).map { LegendEntry($0.0, style: $0.1, kind: .swatch) }
    let yDomain = valueAxis.resolvedDomain(for: values.flatMap { $0 } + (valueAxis.includeZero ? [0] : []))
    // Category labels below the axis: rotate when they do not fit their slot.
    let widest = categories.map { estimatedTextWidth($0) }.max() ?? 0
    var layout = ChartXYLayout(
        size: size, xAxis: AxisSpec(""), xDomain: 0...1, yAxis: valueAxis, yDomain: yDomain, legend: legend)
    let slot = layout.area.width / Double(max(categories.count, 1))
    let rotate = widest > slot - 6
    var height = size.height
    if rotate {
        height += widest * 0.71
        layout = ChartXYLayout(
            size: ChartSize(width: size.width, height: height), xAxis: AxisSpec(""), xDomain: 0...1, yAxis: valueAxis,
            yDomain: yDomain, legend: legend)
        layout.area.bottom = size.height - 54
        layout.y = ChartScale(kind: valueAxis.scale, domain: yDomain, start: layout.area.bottom, end: layout.area.top)
    }
    let area = layout.area
    var doc = SVGDocument(
        width: size.width, height: height, title: title,
        summary: seriesNames.joined(separator: ", ") + " per " + (categoryAxisTitle ?? "category"))
    ChartDraw.title(&doc, title)
    // Horizontal gridlines and y axis only (the x axis is categorical).
    doc.open("g", ["class": "grid", "stroke-width": 1])
    for t in layout.yTicks {
        doc.add(
            "line",
            [
                "x1": area.left, "y1": layout.y.map(t), "x2": area.right, "y2": layout.y.map(t),
                "stroke": ChartTheme.gridColor,
            ])
    }
    doc.close()
    for t in layout.yTicks {
        doc.add(
            "text",
            [
                "class": "tick-label y", "x": area.left - 8, "y": layout.y.map(t) + 4, "text-anchor": "end",
                "fill": ChartTheme.textColor,
            ], text: layout.y.label(t, ticks: layout.yTicks))
    }
    let yLabelWidth = layout.yTicks.map { estimatedTextWidth(layout.y.label($0, ticks: layout.yTicks)) }.max() ?? 0
    ChartDraw.yTitle(&doc, valueAxis.title, area: area, x: area.left - yLabelWidth - 20)

    let baseValue = min(max(0, yDomain.lowerBound), yDomain.upperBound)
    let baseY = layout.y.map(baseValue)
    let groupWidth = slot * 0.8
    let barWidth = groupWidth / Double(max(seriesNames.count, 1))
    doc.open("g", ["class": "bars"])
    for (ci, category) in categories.enumerated() {
        let groupLeft = area.left + Double(ci) * slot + (slot - groupWidth) / 2
        for (si, series) in seriesNames.enumerated() {
            let v = values[ci][si]
            guard v.isFinite else { continue }
            let y = min(max(layout.y.map(v), area.top), area.bottom)
            doc.add(
                "rect",
                [
                    "class": "bar", "x": groupLeft + Double(si) * barWidth + 0.5, "y": min(y, baseY),
                    "width": max(barWidth - 1, 0.5), "height": abs(baseY - y), "fill": styles[si].color,
                ],
                tooltip: "\(category) \(series): \(compactNumber(v))")
        }
    }
    doc.close()
    doc.open("g", ["class": "axes", "stroke": ChartTheme.axisColor, "stroke-width": 1])
    doc.add("line", ["x1": area.left, "y1": baseY, "x2": area.right, "y2": baseY])
    doc.add("line", ["x1": area.left, "y1": area.top, "x2": area.left, "y2": area.bottom])
    doc.close()
    for (ci, category) in categories.enumerated() {
        let cx = area.left + (Double(ci) + 0.5) * slot
        let y = area.bottom + 18
        var attrs: SVGAttributes = ["class": "tick-label x category", "x": cx, "y": y, "fill": ChartTheme.textColor]
        if rotate {
            attrs.append("text-anchor", "end")
            attrs.append("transform", "rotate(-45 \(svgNumber(cx)) \(svgNumber(y)))")
        } else {
            attrs.append("text-anchor", "middle")
        }
        doc.add("text", attrs, text: category)
    }
    if let categoryAxisTitle {
        ChartDraw.xTitle(&doc, categoryAxisTitle, area: area, y: height - 12)
    }
    ChartDraw.legend(&doc, legend, x: layout.legendOrigin.x, y: layout.legendOrigin.y)
    return doc.render()
}
