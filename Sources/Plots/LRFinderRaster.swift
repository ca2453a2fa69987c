import Foundation

/// The LR-finder plot drawn on the raster ``Canvas`` with the bitmap font, for `ser lr-find --png`: loss
/// against learning rate on a log10 axis with decade ticks, the curve, one dashed line and one distinct
/// marker per suggestion, and a legend naming each suggestion with its value. The same picture as
/// ``lrFinderChart(title:learningRates:losses:suggestions:lossLabel:size:)`` (same loss range, colours,
/// markers), for places where a PNG is wanted.
public enum LRFinderRaster {
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
        let s = 2  // text scale: 10×14 pixel glyphs
        var c = Canvas(width: width, height: height)
        let left = 100
        let right = width - 30
        let top = 64
        let bottom = height - 76
        let plotWidth = right - left
        let plotHeight = bottom - top
        c.text(title, x: width / 2, y: 16, align: .center, scale: s)

        let positive = learningRates.filter { $0 > 0 && $0.isFinite }
        let xLo = positive.min() ?? 1e-7
        let xHi = Swift.max(positive.max() ?? 10, xLo * 10)
        let logLo = log10(xLo)
        let logHi = log10(xHi)
        let yDomain = lrFinderLossDomain(losses: losses, suggestions: suggestions)
        func px(_ lr: Double) -> Int {
            left + Int(((log10(lr) - logLo) / (logHi - logLo) * Double(plotWidth - 1)).rounded())
        }
        func py(_ loss: Double) -> Double {
            Double(bottom - 1) - (loss - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound)
                * Double(plotHeight - 1)
        }

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
        var previous: (Int, Double)?
        for (lr, loss) in zip(learningRates, losses) {
            guard lr > 0, lr.isFinite, loss.isFinite else {
                previous = nil
                continue
            }
            let point = (px(lr), py(loss))
            if let p = previous, let seg = clip(p, point, top: Double(top), bottom: Double(bottom - 1)) {
                c.line(seg.0.0, Int(seg.0.1.rounded()), seg.1.0, Int(seg.1.1.rounded()), curve, thickness: 2)
            }
            previous = point
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

        // Legend, top right inside the plot.
        var entries: [(String, MarkerShape?, RGB)] = [(lossLabel, nil, curve)]
        for (i, sug) in suggestions.enumerated() {
            entries.append((sug.label, ChartPalette.marker(i), rgb(ChartPalette.color(i + 1))))
        }
        let rowHeight = 24
        let textWidth = entries.map { Canvas.textWidth($0.0, scale: s) }.max() ?? 0
        let boxWidth = 44 + textWidth + 12
        let boxHeight = entries.count * rowHeight + 10
        let bx = right - boxWidth - 10
        let by = top + 10
        c.fill(x: bx, y: by, width: boxWidth, height: boxHeight, .white)
        c.frame(x: bx, y: by, width: boxWidth, height: boxHeight, RGB(160, 160, 160))
        for (row, entry) in entries.enumerated() {
            let cy = by + 8 + row * rowHeight + 7
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
