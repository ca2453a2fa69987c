import Foundation

/// Describes one axis of a chart: its title and unit, scale kind and (optionally) a fixed domain.
public struct AxisSpec: Equatable, Sendable {
    /// What is measured, e.g. "Loss", "Learning rate", "Time".
    public var label: String
    /// Unit shown in parentheses after the label, e.g. "s", "Hz", "%"; nil for unitless quantities.
    public var unit: String?
    public var scale: ScaleKind
    /// Fixed domain; nil means "from the data", widened to nice tick values (decades on log axes).
    public var domain: ClosedRange<Double>?
    /// Whether an automatic linear domain is stretched to include zero.
    public var includeZero: Bool
    /// Approximate number of ticks on a linear axis.
    public var tickCount: Int
    /// Keep only whole-number ticks (epochs, counts).
    public var integerTicks: Bool

    public init(
        _ label: String, unit: String? = nil, scale: ScaleKind = .linear, domain: ClosedRange<Double>? = nil,
        includeZero: Bool = false, tickCount: Int = 5, integerTicks: Bool = false
    ) {
        self.integerTicks = integerTicks
        self.label = label
        self.unit = unit
        self.scale = scale
        self.domain = domain
        self.includeZero = includeZero
        self.tickCount = tickCount
    }

    /// "Label (unit)".
    public var title: String { unit.map { "\(label) (\($0))" } ?? label }

    /// The domain to draw: the fixed one, or one covering the finite `values` (positive ones on log axes).
    public func resolvedDomain(for values: [Double]) -> ClosedRange<Double> {
        if let domain { return domain }
        var finite = values.filter { $0.isFinite }
        if scale == .log10 { finite = finite.filter { $0 > 0 } }
        guard var lo = finite.min(), var hi = finite.max() else {
            return scale == .log10 ? 1...10 : 0...1
        }
        switch scale {
        case .log10:
            let kLo = Foundation.log10(lo).rounded(.down)
            let kHi = Foundation.log10(hi).rounded(.up)
            if kHi - kLo >= 2 { return ChartTicks.pow10(Int(kLo))...ChartTicks.pow10(Int(kHi)) }
            if lo == hi {
                lo /= 2
                hi *= 2
            }
            return lo...hi
        case .linear, .mel:
            if includeZero {
                lo = min(lo, 0)
                hi = max(hi, 0)
            }
            return ChartTicks.niceDomain(lo, hi, targetCount: tickCount)
        }
    }
}

/// The plot rectangle inside a chart, in SVG user units.
public struct PlotArea: Equatable, Sendable {
    public var left: Double
    public var top: Double
    public var right: Double
    public var bottom: Double
    public init(left: Double, top: Double, right: Double, bottom: Double) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }
    public var width: Double { right - left }
    public var height: Double { bottom - top }
}

/// One legend row: a line sample (with dash and marker) or a filled swatch.
public struct LegendEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case line, swatch, marker }
    public var label: String
    public var style: SeriesStyle
    public var kind: Kind
    public init(_ label: String, style: SeriesStyle, kind: Kind = .line) {
        self.label = label
        self.style = style
        self.kind = kind
    }
}

/// Drawing helpers shared by the charts. All of them append to an `SVGDocument`.
public enum ChartDraw {
    /// The chart title, top-left, bold.
    /// Long titles are shortened with "…" to fit the chart width (the full text stays the SVG's `<title>`).
    public static func title(_ doc: inout SVGDocument, _ text: String, x: Double = 12, y: Double = 22) {
        doc.add(
            "text",
            [
                "class": "chart-title", "x": x, "y": y, "font-size": ChartTheme.titleFontSize, "font-weight": "600",
                "fill": ChartTheme.textColor,
            ],
            text: truncated(text, toWidth: doc.width - x - 8, fontSize: ChartTheme.titleFontSize * 1.05))
    }

    /// Gridlines, axis lines, ticks, tick labels and axis titles for an x/y chart.
    /// Returns nothing; tick labels carry the classes `tick-label x` / `tick-label y` so tests can find them.
    public static func axes(
        _ doc: inout SVGDocument, area: PlotArea, x: ChartScale, y: ChartScale, xAxis: AxisSpec, yAxis: AxisSpec,
        xTicks: [Double], yTicks: [Double]
    ) {
        doc.open("g", ["class": "grid", "stroke-width": 1])
        for t in x.minorTicks() {
            let px = x.map(t)
            doc.add(
                "line", ["x1": px, "y1": area.top, "x2": px, "y2": area.bottom, "stroke": ChartTheme.minorGridColor])
        }
        for t in y.minorTicks() {
            let py = y.map(t)
            doc.add(
                "line", ["x1": area.left, "y1": py, "x2": area.right, "y2": py, "stroke": ChartTheme.minorGridColor])
        }
        for t in xTicks {
            let px = x.map(t)
            doc.add("line", ["x1": px, "y1": area.top, "x2": px, "y2": area.bottom, "stroke": ChartTheme.gridColor])
        }
        for t in yTicks {
            let py = y.map(t)
            doc.add("line", ["x1": area.left, "y1": py, "x2": area.right, "y2": py, "stroke": ChartTheme.gridColor])
        }
        doc.close()
        doc.open("g", ["class": "axes", "stroke": ChartTheme.axisColor, "stroke-width": 1])
        doc.add("line", ["x1": area.left, "y1": area.bottom, "x2": area.right, "y2": area.bottom])
        doc.add("line", ["x1": area.left, "y1": area.top, "x2": area.left, "y2": area.bottom])
        for t in xTicks {
            let px = x.map(t)
            doc.add("line", ["x1": px, "y1": area.bottom, "x2": px, "y2": area.bottom + 5])
        }
        for t in yTicks {
            let py = y.map(t)
            doc.add("line", ["x1": area.left - 5, "y1": py, "x2": area.left, "y2": py])
        }
        doc.close()
        for t in xTicks {
            doc.add(
                "text",
                [
                    "class": "tick-label x", "x": x.map(t), "y": area.bottom + 19, "text-anchor": "middle",
                    "fill": ChartTheme.textColor,
                ], text: x.label(t, ticks: xTicks))
        }
        for t in yTicks {
            doc.add(
                "text",
                [
                    "class": "tick-label y", "x": area.left - 8, "y": y.map(t) + 4, "text-anchor": "end",
                    "fill": ChartTheme.textColor,
                ], text: y.label(t, ticks: yTicks))
        }
        xTitle(&doc, xAxis.title, area: area, y: area.bottom + 40)
        let yLabelWidth = yTicks.map { estimatedTextWidth(y.label($0, ticks: yTicks)) }.max() ?? 0
        yTitle(&doc, yAxis.title, area: area, x: area.left - yLabelWidth - 20)
    }

    public static func xTitle(_ doc: inout SVGDocument, _ text: String, area: PlotArea, y: Double) {
        doc.add(
            "text",
            [
                "class": "axis-title x", "x": (area.left + area.right) / 2, "y": y, "text-anchor": "middle",
                "fill": ChartTheme.textColor, "font-weight": "500",
            ], text: text)
    }

    public static func yTitle(_ doc: inout SVGDocument, _ text: String, area: PlotArea, x: Double) {
        let cy = (area.top + area.bottom) / 2
        doc.add(
            "text",
            [
                "class": "axis-title y", "x": x, "y": cy, "text-anchor": "middle",
                "transform": "rotate(-90 \(svgNumber(x)) \(svgNumber(cy)))", "fill": ChartTheme.textColor,
                "font-weight": "500",
            ], text: text)
    }

    /// Width a legend of these entries needs (sample + gap + longest label).
    public static func legendWidth(_ entries: [LegendEntry]) -> Double {
        guard !entries.isEmpty else { return 0 }
        return 34 + (entries.map { estimatedTextWidth($0.label) }.max() ?? 0)
    }

    /// A vertical legend whose top-left corner is (`x`, `y`); rows 20 units apart.
    public static func legend(_ doc: inout SVGDocument, _ entries: [LegendEntry], x: Double, y: Double) {
        guard !entries.isEmpty else { return }
        doc.open("g", ["class": "legend"])
        for (i, entry) in entries.enumerated() {
            let cy = y + 10 + Double(i) * 20
            doc.open("g", ["class": "legend-entry"])
            switch entry.kind {
            case .line:
                var attrs: SVGAttributes = [
                    "x1": x, "y1": cy, "x2": x + 26, "y2": cy, "stroke": entry.style.color,
                    "stroke-width": entry.style.lineWidth,
                ]
                if let dash = entry.style.dash { attrs.append("stroke-dasharray", dash) }
                doc.add("line", attrs)
                if let marker = entry.style.marker {
                    self.marker(&doc, marker, x: x + 13, y: cy, size: 4, color: entry.style.color)
                }
            case .swatch:
                doc.add("rect", ["x": x + 4, "y": cy - 6, "width": 18, "height": 12, "fill": entry.style.color])
            case .marker:
                self.marker(&doc, entry.style.marker ?? .circle, x: x + 13, y: cy, size: 6, color: entry.style.color)
            }
            doc.add(
                "text", ["x": x + 32, "y": cy + 4, "fill": ChartTheme.textColor],
                text: truncated(entry.label, toWidth: doc.width - x - 38))
            doc.close()
        }
        doc.close()
    }

    /// A marker centred on (`x`, `y`); `size` is the half-width. White outline so it stands out on lines.
    public static func marker(
        _ doc: inout SVGDocument, _ shape: MarkerShape, x: Double, y: Double, size: Double, color: String,
        tooltip: String? = nil
    ) {
        let s = size
        var attrs: SVGAttributes
        let name: String
        switch shape {
        case .circle:
            name = "circle"
            attrs = ["cx": x, "cy": y, "r": s]
        case .square:
            name = "rect"
            attrs = ["x": x - s * 0.9, "y": y - s * 0.9, "width": s * 1.8, "height": s * 1.8]
        case .triangle:
            name = "polygon"
            attrs = ["points": points([(x, y - s * 1.15), (x + s * 1.1, y + s * 0.85), (x - s * 1.1, y + s * 0.85)])]
        case .triangleDown:
            name = "polygon"
            attrs = ["points": points([(x, y + s * 1.15), (x + s * 1.1, y - s * 0.85), (x - s * 1.1, y - s * 0.85)])]
        case .diamond:
            name = "polygon"
            attrs = ["points": points([(x, y - s * 1.25), (x + s * 1.25, y), (x, y + s * 1.25), (x - s * 1.25, y)])]
        case .cross:
            name = "path"
            let a = s * 1.1
            attrs = [
                "d": "M\(svgNumber(x - a)) \(svgNumber(y - a))L\(svgNumber(x + a)) \(svgNumber(y + a))"
                    + "M\(svgNumber(x - a)) \(svgNumber(y + a))L\(svgNumber(x + a)) \(svgNumber(y - a))",
                "stroke": color, "stroke-width": max(2, s * 0.6), "stroke-linecap": "round",
            ]
        }
        attrs.append("class", "marker \(shape.rawValue)")
        if shape != .cross {
            attrs.append("fill", color)
            attrs.append("stroke", "#ffffff")
            attrs.append("stroke-width", 1)
        } else {
            attrs.append("fill", "none")
        }
        if let tooltip { doc.add(name, attrs, tooltip: tooltip) } else { doc.add(name, attrs) }
    }

    static func points(_ pts: [(Double, Double)]) -> String {
        pts.map { "\(svgNumber($0.0)),\(svgNumber($0.1))" }.joined(separator: " ")
    }

    /// SVG path data for a polyline through `points`, clipped to `area`: segments leaving the area are cut
    /// at its edge, points outside are skipped, and non-finite points break the line (a lone point between
    /// gaps draws nothing; markers show it). Returns "" when nothing is visible.
    public static func clippedPath(_ points: [(x: Double, y: Double)], area: PlotArea) -> String {
        var d = ""
        var penAt: (Double, Double)? = nil
        func move(_ p: (Double, Double)) { d += "M\(svgNumber(p.0)) \(svgNumber(p.1))"; penAt = p }
        func line(_ p: (Double, Double)) { d += "L\(svgNumber(p.0)) \(svgNumber(p.1))"; penAt = p }
        var previous: (Double, Double)? = nil
        for p in points {
            guard p.x.isFinite, p.y.isFinite else {
                previous = nil
                penAt = nil
                continue
            }
            let current = (p.x, p.y)
            if let prev = previous {
                if let (a, b) = clipSegment(prev, current, area) {
                    if let pen = penAt, abs(pen.0 - a.0) < 1e-6, abs(pen.1 - a.1) < 1e-6 {
                        line(b)
                    } else {
                        move(a)
                        line(b)
                    }
                }
                if !inside(current, area) { penAt = nil }
            }
            previous = current
        }
        return d
    }

    static func inside(_ p: (Double, Double), _ a: PlotArea) -> Bool {
        p.0 >= a.left - 1e-6 && p.0 <= a.right + 1e-6 && p.1 >= a.top - 1e-6 && p.1 <= a.bottom + 1e-6
    }

    /// Liang–Barsky clipping of the segment p→q to the area.
    static func clipSegment(_ p: (Double, Double), _ q: (Double, Double), _ a: PlotArea) -> (
        (Double, Double), (Double, Double)
    )? {
        let dx = q.0 - p.0
        let dy = q.1 - p.1
        var t0 = 0.0
        var t1 = 1.0
        for (pe, qe) in [(-dx, p.0 - a.left), (dx, a.right - p.0), (-dy, p.1 - a.top), (dy, a.bottom - p.1)] {
            if pe == 0 {
                if qe < 0 { return nil }
            } else {
                let r = qe / pe
                if pe < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
            }
        }
        guard t0 <= t1 else { return nil }
        return ((p.0 + t0 * dx, p.1 + t0 * dy), (p.0 + t1 * dx, p.1 + t1 * dy))
    }
}
