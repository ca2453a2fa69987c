import Foundation

/// A colour bar drawn beside an embedded raster: the colours from low to high and the value range.
public struct ImageColorBar: Equatable, Sendable {
    public var label: String
    public var unit: String?
    public var domain: ClosedRange<Double>
    /// `#rrggbb` stops from the lowest to the highest value (at least two), drawn as equal bands.
    public var colors: [String]

    public init(label: String, unit: String? = nil, domain: ClosedRange<Double>, colors: [String]) {
        precondition(colors.count >= 2, "a colour bar needs at least two colours")
        self.label = label
        self.unit = unit
        self.domain = domain
        self.colors = colors
    }

    /// Viridis sampled at 32 stops (the heat-map scale).
    public static func viridis(label: String, unit: String? = nil, domain: ClosedRange<Double>) -> ImageColorBar {
        colourMap(.viridis, label: label, unit: unit, domain: domain)
    }

    /// `map` sampled at 32 stops (e.g. `.magma` beside a spectrogram rendered with it).
    public static func colourMap(
        _ map: ColourMap, label: String, unit: String? = nil, domain: ClosedRange<Double>
    ) -> ImageColorBar {
        ImageColorBar(label: label, unit: unit, domain: domain, colors: map.stops(32))
    }
}

/// `data:image/png;base64,…` for PNG bytes, so a page needs no external file.
public func pngDataURI(_ png: Data) -> String {
    "data:image/png;base64," + png.base64EncodedString()
}

/// A PNG raster (e.g. a mel-spectrogram made by the raster code) embedded as a data URI, with SVG axes
/// around it: the image's left edge is `xAxis.domain.lowerBound`, its right edge the upper bound; its top
/// row is the *upper* end of `yAxis.domain` (as spectrogram images are stored, high frequencies first).
/// Use `ScaleKind.mel(htk:)` on the y axis for mel-spaced rows so the Hz ticks land where they belong.
///
/// - Parameters:
///   - xAxis/yAxis: must have fixed domains (e.g. 0...duration s, 0...sampleRate/2 Hz).
///   - colorBar: optional legend of the colour map (e.g. "Level", "dB", -80...0).
/// - Returns: a standalone `<svg>` containing one `<image>`. O(PNG size) for the base64 text.
public func imageFigure(
    title: String, png: Data, xAxis: AxisSpec, yAxis: AxisSpec, colorBar: ImageColorBar? = nil,
    size: ChartSize = ChartSize(width: 640, height: 300)
) -> String {
    let xDomain = xAxis.domain ?? 0...1
    let yDomain = yAxis.domain ?? 0...1
    // Reserve room on the right for the colour bar instead of a legend.
    let barRoom: [LegendEntry] =
        colorBar.map { bar in
            let labels = ChartTicks.linear(bar.domain.lowerBound, bar.domain.upperBound, targetCount: 4)
                .map { ChartTicks.linearLabel($0, step: 1) }
            let widest = max(labels.map { estimatedTextWidth($0) }.max() ?? 0, 12)
            return [
                LegendEntry(String(repeating: "0", count: Int((widest + 18) / 7)), style: SeriesStyle(color: "#000"))
            ]
        } ?? []
    let layout = ChartXYLayout(
        size: size, xAxis: xAxis, xDomain: xDomain, yAxis: yAxis, yDomain: yDomain, legend: barRoom)
    let area = layout.area
    var doc = SVGDocument(
        width: size.width, height: size.height, title: title,
        summary: "Image, \(xAxis.title) horizontally, \(yAxis.title) vertically")
    ChartDraw.title(&doc, title)
    doc.add(
        "image",
        [
            "class": "raster", "x": area.left, "y": area.top, "width": area.width, "height": area.height,
            "preserveAspectRatio": "none", "style": "image-rendering:pixelated", "href": pngDataURI(png),
        ])
    // Axes without gridlines (they would hide the picture).
    doc.open("g", ["class": "axes", "stroke": ChartTheme.axisColor, "stroke-width": 1])
    doc.add("rect", ["x": area.left, "y": area.top, "width": area.width, "height": area.height, "fill": "none"])
    for t in layout.xTicks {
        doc.add("line", ["x1": layout.x.map(t), "y1": area.bottom, "x2": layout.x.map(t), "y2": area.bottom + 5])
    }
    for t in layout.yTicks {
        doc.add("line", ["x1": area.left - 5, "y1": layout.y.map(t), "x2": area.left, "y2": layout.y.map(t)])
    }
    doc.close()
    for t in layout.xTicks {
        doc.add(
            "text",
            [
                "class": "tick-label x", "x": layout.x.map(t), "y": area.bottom + 19, "text-anchor": "middle",
                "fill": ChartTheme.textColor,
            ], text: layout.x.label(t, ticks: layout.xTicks))
    }
    for t in layout.yTicks {
        doc.add(
            "text",
            [
                "class": "tick-label y", "x": area.left - 8, "y": layout.y.map(t) + 4, "text-anchor": "end",
                "fill": ChartTheme.textColor,
            ], text: layout.y.label(t, ticks: layout.yTicks))
    }
    ChartDraw.xTitle(&doc, xAxis.title, area: area, y: area.bottom + 40)
    let yLabelWidth = layout.yTicks.map { estimatedTextWidth(layout.y.label($0, ticks: layout.yTicks)) }.max() ?? 0
    ChartDraw.yTitle(&doc, yAxis.title, area: area, x: area.left - yLabelWidth - 20)

    if let bar = colorBar {
        let x = area.right + 14
        let bands = bar.colors.count
        doc.open("g", ["class": "colorbar"])
        for (i, color) in bar.colors.enumerated() {
            let h = area.height / Double(bands)
            doc.add(
                "rect", ["x": x, "y": area.bottom - Double(i + 1) * h, "width": 12, "height": h + 0.5, "fill": color])
        }
        doc.add(
            "rect",
            [
                "x": x, "y": area.top, "width": 12, "height": area.height, "fill": "none",
                "stroke": ChartTheme.axisColor, "stroke-width": 0.5,
            ])
        let scale = ChartScale(kind: .linear, domain: bar.domain, start: area.bottom, end: area.top)
        let ticks = scale.ticks(targetCount: 4)
        for t in ticks {
            doc.add(
                "line",
                ["x1": x + 12, "y1": scale.map(t), "x2": x + 16, "y2": scale.map(t), "stroke": ChartTheme.axisColor])
            doc.add(
                "text",
                [
                    "class": "tick-label colorbar", "x": x + 19, "y": scale.map(t) + 4, "fill": ChartTheme.textColor,
                    "font-size": ChartTheme.smallFontSize,
                ], text: scale.label(t, ticks: ticks))
        }
        doc.add(
            "text",
            [
                "class": "axis-title colorbar", "x": x, "y": area.top - 8, "fill": ChartTheme.textColor,
                "font-size": ChartTheme.smallFontSize,
            ], text: bar.unit.map { "\(bar.label) (\($0))" } ?? bar.label)
        doc.close()
    }
    return doc.render()
}
