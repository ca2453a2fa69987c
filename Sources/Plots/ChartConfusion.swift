import Foundation

/// What a confusion heat-map shows in its cells.
public enum ConfusionValues: String, Sendable {
    /// Raw counts; colour scaled from 0 to the largest count.
    case counts
    /// Each row divided by its total (the class's recall on the diagonal), shown as percentages; colour 0–100 %.
    case rowNormalized
}

/// A confusion matrix as a heat-map: rows are the true classes, columns the predicted ones, class names on
/// both axes (column names rotated when they do not fit), the value written in every cell in black or white
/// for contrast, and a viridis colour bar on the right.
///
/// - Parameters:
///   - counts: `classNames.count × classNames.count`, `counts[true][predicted]`.
/// - Returns: a standalone `<svg>` with exactly `n²` `<rect class="cell">` elements. O(n²).
public func confusionHeatmap(
    title: String, classNames: [String], counts: [[Int]], values: ConfusionValues = .counts
) -> String {
    let n = classNames.count
    precondition(counts.count == n && counts.allSatisfy { $0.count == n }, "confusion matrix must be \(n)×\(n)")
    let rowTotals = counts.map { $0.reduce(0, +) }
    let maxCount = max(1, counts.flatMap { $0 }.max() ?? 1)
    func fraction(_ r: Int, _ c: Int) -> Double {
        switch values {
        case .counts: return Double(counts[r][c]) / Double(maxCount)
        case .rowNormalized: return rowTotals[r] == 0 ? 0 : Double(counts[r][c]) / Double(rowTotals[r])
        }
    }
    func cellText(_ r: Int, _ c: Int) -> String {
        switch values {
        case .counts: return String(counts[r][c])
        case .rowNormalized:
            return rowTotals[r] == 0 ? "–" : String(format: "%.0f%%", 100 * Double(counts[r][c]) / Double(rowTotals[r]))
        }
    }

    let cell: Double = n <= 6 ? 56 : n <= 10 ? 46 : n <= 16 ? 34 : 24
    let cellFont = cell >= 40 ? ChartTheme.fontSize : ChartTheme.smallFontSize
    let rowLabelWidth = classNames.map { estimatedTextWidth($0) }.max() ?? 0
    let colLabelWidth = rowLabelWidth
    let rotate = colLabelWidth > cell - 6
    let colBand = rotate ? colLabelWidth * 0.71 + 16 : 20
    let left = 14 + 20 + rowLabelWidth + 10
    let top = 40 + 22 + colBand
    let gridSize = cell * Double(n)
    let barLeft = left + gridSize + 22
    let width = max(barLeft + 16 + 60, 320)
    let height = top + gridSize + 16
    var doc = SVGDocument(
        width: width, height: height, title: title,
        summary: "Confusion matrix, \(n) classes, rows true class, columns predicted class, "
            + (values == .counts ? "counts" : "row-normalised percentages"))
    ChartDraw.title(&doc, title)

    // Column (predicted) labels and the axis title above them.
    doc.add(
        "text",
        [
            "class": "axis-title x", "x": left + gridSize / 2, "y": 40 + 12, "text-anchor": "middle",
            "fill": ChartTheme.textColor, "font-weight": "500",
        ], text: "Predicted class")
    for (c, name) in classNames.enumerated() {
        let cx = left + (Double(c) + 0.5) * cell
        if rotate {
            let y = top - 8
            doc.add(
                "text",
                [
                    "class": "class-label column", "x": cx, "y": y, "text-anchor": "start",
                    "transform": "rotate(-45 \(svgNumber(cx)) \(svgNumber(y)))", "fill": ChartTheme.textColor,
                ], text: name)
        } else {
            doc.add(
                "text",
                [
                    "class": "class-label column", "x": cx, "y": top - 8, "text-anchor": "middle",
                    "fill": ChartTheme.textColor,
                ], text: name)
        }
    }
    // Row (true) labels and the axis title on the left.
    for (r, name) in classNames.enumerated() {
        doc.add(
            "text",
            [
                "class": "class-label row", "x": left - 8, "y": top + (Double(r) + 0.5) * cell + 4,
                "text-anchor": "end",
                "fill": ChartTheme.textColor,
            ], text: name)
    }
    ChartDraw.yTitle(
        &doc, "True class", area: PlotArea(left: left, top: top, right: left + gridSize, bottom: top + gridSize),
        x: 14 + 12)

    doc.open("g", ["class": "cells", "font-size": cellFont])
    for r in 0..<n {
        for c in 0..<n {
            let t = fraction(r, c)
            let x = left + Double(c) * cell
            let y = top + Double(r) * cell
            let pct = rowTotals[r] == 0 ? 0 : 100 * Double(counts[r][c]) / Double(rowTotals[r])
            doc.add(
                "rect",
                [
                    "class": "cell", "x": x, "y": y, "width": cell, "height": cell, "fill": ChartHeatScale.hex(t),
                    "stroke": "#ffffff", "stroke-width": 1,
                ],
                tooltip: "true \(classNames[r]), predicted \(classNames[c]): \(counts[r][c]) "
                    + "(\(String(format: "%.1f", pct))% of \(classNames[r]))")
            doc.add(
                "text",
                [
                    "class": "cell-value", "x": x + cell / 2, "y": y + cell / 2 + cellFont * 0.35,
                    "text-anchor": "middle",
                    "fill": ChartHeatScale.textColor(onValue: t), "font-weight": r == c ? "700" : "400",
                ],
                text: cellText(r, c))
        }
    }
    doc.close()
    // Diagonal outline: where correct predictions sit.
    doc.add(
        "rect",
        [
            "class": "grid-outline", "x": left, "y": top, "width": gridSize, "height": gridSize, "fill": "none",
            "stroke": ChartTheme.axisColor, "stroke-width": 1,
        ])

    // Colour bar: stacked bands (no gradient ids, so many charts can share one HTML page).
    let barHeight = gridSize
    let bands = 48
    doc.open("g", ["class": "colorbar"])
    for i in 0..<bands {
        let t0 = Double(i) / Double(bands)
        let y = top + barHeight * (1 - Double(i + 1) / Double(bands))
        doc.add(
            "rect",
            [
                "x": barLeft, "y": y, "width": 14, "height": barHeight / Double(bands) + 0.5,
                "fill": ChartHeatScale.hex(t0 + 0.5 / Double(bands)),
            ])
    }
    doc.add(
        "rect",
        [
            "x": barLeft, "y": top, "width": 14, "height": barHeight, "fill": "none", "stroke": ChartTheme.axisColor,
            "stroke-width": 0.5,
        ])
    let barMax = values == .counts ? Double(maxCount) : 100
    let barScale = ChartScale(kind: .linear, domain: 0...barMax, start: top + barHeight, end: top)
    let barTicks = barScale.ticks(targetCount: 4).filter { values == .rowNormalized || $0 == $0.rounded() }
    for t in barTicks {
        let y = barScale.map(t)
        doc.add("line", ["x1": barLeft + 14, "y1": y, "x2": barLeft + 18, "y2": y, "stroke": ChartTheme.axisColor])
        doc.add(
            "text",
            [
                "class": "tick-label colorbar", "x": barLeft + 21, "y": y + 4, "fill": ChartTheme.textColor,
                "font-size": ChartTheme.smallFontSize,
            ],
            text: barScale.label(t, ticks: barTicks) + (values == .rowNormalized ? "%" : ""))
    }
    doc.close()
    return doc.render()
}
