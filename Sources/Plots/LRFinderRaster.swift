import Foundation

/// The LR-finder plot drawn on the raster ``Canvas`` with the bitmap font, for `ser lr-find --png`: loss
/// against learning rate on a log10 axis with decade ticks, the curve, one dashed line and one distinct
/// marker per suggestion, and a legend naming each suggestion with its value, placed where it covers no part
/// of the curve and no marker. The same picture as
/// ``lrFinderChart(title:learningRates:losses:suggestions:lossLabel:size:)`` (same loss range, colours,
/// markers), for places where a PNG is wanted.
public enum LRFinderRaster {
    /// Where things go on the canvas: the plot area, the mapping of rates and losses to pixels, the curve's
    /// pixels and the legend's box (in the emptiest corner of the plot, or outside it on the right when every
    /// corner would cover the curve or a marker).
    struct Geometry {
        var left: Int
        var right: Int
        var top: Int
        var bottom: Int
        var logLo: Double
        var logHi: Double
        var yDomain: ClosedRange<Double>
        /// The legend's rows: label, marker (nil: the curve's line) and colour.
        var entries: [(String, MarkerShape?, RGB)]
        /// The legend's box: x, y, width, height.
        var legend: (x: Int, y: Int, width: Int, height: Int)
        /// Whether the legend sits outside the plot area.
        var legendOutside: Bool

        func px(_ lr: Double) -> Int {
            left + Int(((log10(lr) - logLo) / (logHi - logLo) * Double(right - left - 1)).rounded())
        }

        func py(_ loss: Double) -> Double {
            Double(bottom - 1) - (loss - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound)
                * Double(bottom - top - 1)
        }

        /// The curve's segments in pixels, clipped to the plot area (gaps at non-finite points).
        func segments(learningRates: [Double], losses: [Double]) -> [((Int, Double), (Int, Double))] {
            var out: [((Int, Double), (Int, Double))] = []
            var previous: (Int, Double)?
            for (lr, loss) in zip(learningRates, losses) {
                guard lr > 0, lr.isFinite, loss.isFinite else {
                    previous = nil
                    continue
                }
                let point = (px(lr), py(loss))
                if let p = previous,
                    let seg = LRFinderRaster.clip(p, point, top: Double(top), bottom: Double(bottom - 1))
                {
                    out.append(seg)
                }
                previous = point
            }
            return out
        }

        /// Every pixel the curve passes through (one per column step along each segment, both ends included).
        func curvePixels(learningRates: [Double], losses: [Double]) -> [(x: Int, y: Int)] {
            segments(learningRates: learningRates, losses: losses).flatMap { a, b -> [(x: Int, y: Int)] in
                let steps = Swift.max(abs(b.0 - a.0), Int(abs(b.1 - a.1).rounded(.up)), 1)
                return (0...steps).map { k in
                    let f = Double(k) / Double(steps)
                    return (
                        Int((Double(a.0) + Double(b.0 - a.0) * f).rounded()), Int((a.1 + (b.1 - a.1) * f).rounded())
                    )
                }
            }
        }
    }

    static let textScale = 2
    static let legendRowHeight = 24

    /// The layout of ``render(title:learningRates:losses:suggestions:lossLabel:width:height:)``.
    static func geometry(
        learningRates: [Double], losses: [Double], suggestions: [LRSuggestionMarker], lossLabel: String, width: Int,
        height: Int
    ) -> Geometry {
        let positive = learningRates.filter { $0 > 0 && $0.isFinite }
        let xLo = positive.min() ?? 1e-7
        let xHi = Swift.max(positive.max() ?? 10, xLo * 10)
        var entries: [(String, MarkerShape?, RGB)] = [(lossLabel, nil, rgb(ChartPalette.blue))]
        for (i, sug) in suggestions.enumerated() {
            entries.append((sug.label, ChartPalette.marker(i), rgb(ChartPalette.color(i + 1))))
        }
        let textWidth = entries.map { Canvas.textWidth($0.0, scale: textScale) }.max() ?? 0
        let boxWidth = 44 + textWidth + 12
        let boxHeight = entries.count * legendRowHeight + 10
        var g = Geometry(
            left: 100, right: width - 30, top: 64, bottom: height - 76, logLo: log10(xLo), logHi: log10(xHi),
            yDomain: lrFinderLossDomain(losses: losses, suggestions: suggestions), entries: entries,
            legend: (0, 0, boxWidth, boxHeight), legendOutside: false)
        // What the legend must not cover: the curve, and each suggestion's marker (radius 7).
        var occupied = g.curvePixels(learningRates: learningRates, losses: losses)
        for sug in suggestions where sug.learningRate > 0 {
            let x = g.px(sug.learningRate)
            let y = Int(Swift.min(Swift.max(g.py(sug.loss), Double(g.top)), Double(g.bottom - 1)).rounded())
            for dy in -7...7 { for dx in -7...7 { occupied.append((x + dx, y + dy)) } }
        }
        func covered(_ box: (x: Int, y: Int, width: Int, height: Int)) -> Int {
            let margin = 4
            return occupied.filter {
                $0.x >= box.x - margin && $0.x < box.x + box.width + margin && $0.y >= box.y - margin
                    && $0.y < box.y + box.height + margin
            }.count
        }
        let inset = 10
        let corners = [
            (g.right - boxWidth - inset, g.top + inset), (g.left + inset, g.top + inset),
            (g.right - boxWidth - inset, g.bottom - boxHeight - inset), (g.left + inset, g.bottom - boxHeight - inset),
        ].map { (x: $0.0, y: $0.1, width: boxWidth, height: boxHeight) }
        if let free = corners.first(where: { covered($0) == 0 }) {
            g.legend = free
        } else {
            // Every corner would hide part of the curve: narrow the plot and put the legend beside it.
            g.right = width - 30 - boxWidth - 16
            g.legend = (g.right + 16, g.top, boxWidth, boxHeight)
            g.legendOutside = true
        }
        return g
    }

    /// - Parameters:
    ///   - learningRates: ascending, > 0 (non-positive or non-finite points are skipped).
    ///   - losses: the (smoothed) loss at each rate.
    /// - Returns: a `width × height` canvas. O(width · height + points).
    public static func render(
        title: String = "Learning-rate finder", learningRates: [Double], losses: [Double],
        suggestions: [LRSuggestionMarker], lossLabel: String = "Loss (smoothed)", width: Int = 900, height: Int = 560
    ) -> Canvas {
        precondition(
            learningRates.count == losses.count, "LR finder: \(learningRates.count) rates, \(losses.count) losses")
        let s = textScale  // text scale: 10×14 pixel glyphs
        var c = Canvas(width: width, height: height)
        let g = geometry(
            learningRates: learningRates, losses: losses, suggestions: suggestions, lossLabel: lossLabel, width: width,
            height: height)
        let (left, right, top, bottom) = (g.left, g.right, g.top, g.bottom)
        let plotWidth = right - left
        let plotHeight = bottom - top
        c.text(title, x: width / 2, y: 16, align: .center, scale: s)
        let xLo = pow(10, g.logLo)
        let xHi = pow(10, g.logHi)
        let yDomain = g.yDomain
        func px(_ lr: Double) -> Int { g.px(lr) }
        func py(_ loss: Double) -> Double { g.py(loss) }

        // Grid: minor log ticks light, decades and y ticks a little darker.
        let minorGrid = RGB(240, 240, 240)
        let grid = RGB(218, 218, 218)
        for v in ChartTicks.logMinorTicks(xLo, xHi) { c.line(px(v), top, px(v), bottom - 1, minorGrid) }
        let xTicks = ChartTicks.logTicks(xLo, xHi)
        for v in xTicks { c.line(px(v), top, px(v), bottom - 1, grid) }
        let yTicks = ChartTicks.linear(yDomain.lowerBound, yDomain.upperBound, targetCount: 5)
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for v in yTicks { c.line(left, Int(py(v).rounded()), right - 1, Int(py(v).rounded()), grid) }

        // Axes, ticks and labels.
        c.frame(x: left - 1, y: top - 1, width: plotWidth + 2, height: plotHeight + 2, .black)
        for v in xTicks {
            c.line(px(v), bottom, px(v), bottom + 5, .black)
            c.text(ChartTicks.logLabel(v), x: px(v), y: bottom + 10, align: .center, scale: s)
        }
        for v in yTicks {
            let y = Int(py(v).rounded())
            c.line(left - 6, y, left - 1, y, .black)
            c.text(ChartTicks.linearLabel(v, step: yStep), x: left - 10, y: y - 7, align: .right, scale: s)
        }
        c.text("Learning rate (log scale)", x: left + plotWidth / 2, y: bottom + 36, align: .center, scale: s)
        c.text("Loss", x: left, y: top - 22, align: .left, scale: s)

        // The curve, clipped to the plot area.
        let curve = rgb(ChartPalette.blue)
        for seg in g.segments(learningRates: learningRates, losses: losses) {
            c.line(seg.0.0, Int(seg.0.1.rounded()), seg.1.0, Int(seg.1.1.rounded()), curve, thickness: 2)
        }

        // Suggestions: dashed vertical line and marker.
        for (i, sug) in suggestions.enumerated() where sug.learningRate > 0 {
            let x = px(sug.learningRate)
            guard x >= left, x < right else { continue }
            let colour = rgb(ChartPalette.color(i + 1))
            var y = top
            while y < bottom {
                c.line(x, y, x, Swift.min(y + 4, bottom - 1), colour)
                y += 9
            }
            let my = Int(Swift.min(Swift.max(py(sug.loss), Double(top)), Double(bottom - 1)).rounded())
            marker(&c, ChartPalette.marker(i), x: x, y: my, radius: 7, colour)
        }

        // Legend: in the plot's emptiest corner, or beside the plot (``geometry``).
        let (bx, by, boxWidth, boxHeight) = g.legend
        c.fill(x: bx, y: by, width: boxWidth, height: boxHeight, .white)
        c.frame(x: bx, y: by, width: boxWidth, height: boxHeight, RGB(160, 160, 160))
        for (row, entry) in g.entries.enumerated() {
            let cy = by + 8 + row * legendRowHeight + 7
            if let shape = entry.1 {
                marker(&c, shape, x: bx + 22, y: cy, radius: 7, entry.2)
            } else {
                c.line(bx + 8, cy, bx + 36, cy, entry.2, thickness: 3)
            }
            c.text(entry.0, x: bx + 44, y: cy - 7, scale: s)
        }
        return c
    }

    /// The segment p–q cut to `top…bottom` (pixel rows); nil when it lies wholly outside.
    static func clip(_ p: (Int, Double), _ q: (Int, Double), top: Double, bottom: Double) -> (
        (Int, Double), (Int, Double)
    )? {
        if (p.1 < top && q.1 < top) || (p.1 > bottom && q.1 > bottom) { return nil }
        func cut(_ a: (Int, Double), toward b: (Int, Double)) -> (Int, Double) {
            let limit = a.1 < top ? top : a.1 > bottom ? bottom : a.1
            guard limit != a.1, b.1 != a.1 else { return a }
            let f = (limit - a.1) / (b.1 - a.1)
            return (a.0 + Int((Double(b.0 - a.0) * f).rounded()), limit)
        }
        return (cut(p, toward: q), cut(q, toward: p))
    }

    /// A filled marker of `shape` centred on (x, y).
    static func marker(_ c: inout Canvas, _ shape: MarkerShape, x: Int, y: Int, radius r: Int, _ colour: RGB) {
        for dy in -r...r {
            for dx in -r...r {
                let inside: Bool
                switch shape {
                case .circle: inside = dx * dx + dy * dy <= r * r
                case .square: inside = abs(dx) <= r * 4 / 5 && abs(dy) <= r * 4 / 5
                case .diamond: inside = abs(dx) + abs(dy) <= r
                case .triangle: inside = dy >= -r && dy <= r * 2 / 3 && abs(dx) * 2 <= (dy + r) * 6 / 5
                case .triangleDown: inside = dy <= r && dy >= -r * 2 / 3 && abs(dx) * 2 <= (r - dy) * 6 / 5
                case .cross: inside = abs(abs(dx) - abs(dy)) <= 1
                }
                if inside { c.set(x + dx, y + dy, colour) }
            }
        }
    }

    /// `#rrggbb` → RGB (black for anything else).
    static func rgb(_ hex: String) -> RGB {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let v = UInt32(digits, radix: 16) else { return .black }
        return RGB(UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff))
    }
}
