import Foundation

/// A confusion matrix drawn in the terminal: rows true classes, columns predicted, each cell the count
/// and a shade for its share of the row (` ░▒▓█`), or a 256-colour background when allowed.
public enum TerminalConfusionGrid {
    public static let shades: [Character] = [" ", "░", "▒", "▓", "█"]

    /// The shade for a row fraction: blank only for exactly 0, `░` for anything above 0 up to 1/4,
    /// then `▒` (≤ 1/2), `▓` (≤ 3/4), `█` (above 3/4).
    public static func shade(_ fraction: Double) -> Character {
        guard fraction.isFinite, fraction > 0 else { return shades[0] }
        return shades[min(4, max(1, Int((fraction * 4).rounded(.up))))]
    }

    /// 256-colour background for a fraction: the grey ramp 232 (near-black) … 255 (near-white) inverted, so
    /// high values are dark like ink, on a square-root scale so a 5–10 % confusion is still visibly grey;
    /// text is white on dark cells, black on light ones. Greys read the same for every kind of colour vision.
    static func ansiCell(_ text: String, fraction: Double) -> String {
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let grey = 255 - Int((f.squareRoot() * 23).rounded())
        let fg = grey < 244 ? 15 : 16
        return "\u{1B}[48;5;\(grey)m\u{1B}[38;5;\(fg)m\(text)\u{1B}[0m"
    }

    /// The grid as lines. Class names longer than `labelWidth` are shortened with "…" in the column header.
    ///
    /// - Parameters:
    ///   - counts: `n × n`, `counts[true][predicted]`.
    ///   - style: `.plain` draws shade blocks after each count; `.ansi256` colours the cell background.
    public static func render(
        classNames: [String], counts: [[Int]], style: TerminalStyle, labelWidth: Int = 5
    ) -> [String] {
        let n = classNames.count
        precondition(counts.count == n && counts.allSatisfy { $0.count == n }, "confusion matrix must be \(n)×\(n)")
        let totals = counts.map { $0.reduce(0, +) }
        let digits = max(2, String(counts.flatMap { $0 }.max() ?? 0).count)
        let cellWidth = max(labelWidth, style == .plain ? digits + 3 : digits + 2)
        let corner = "true\\pred"
        let rowLabelWidth = max(classNames.map(terminalWidth).max() ?? 0, terminalWidth(corner))
        func short(_ s: String) -> String {
            terminalWidth(s) <= cellWidth ? s : String(s.prefix(cellWidth - 1)) + "…"
        }
        func pad(_ s: String, _ w: Int, left: Bool) -> String {
            let p = String(repeating: " ", count: max(0, w - terminalWidth(s)))
            return left ? s + p : p + s
        }
        var lines: [String] = []
        lines.append(
            pad(corner, rowLabelWidth, left: true) + " "
                + classNames.map { pad(short($0), cellWidth, left: false) }.joined(separator: " "))
        for r in 0..<n {
            var line = pad(classNames[r], rowLabelWidth, left: true) + " "
            let cells = (0..<n).map { c -> String in
                let fraction = totals[r] == 0 ? 0 : Double(counts[r][c]) / Double(totals[r])
                switch style {
                case .plain:
                    let s = shade(fraction)
                    return pad(String(counts[r][c]), cellWidth - 3, left: false) + " " + String(repeating: s, count: 2)
                case .ansi256:
                    return ansiCell(pad(String(counts[r][c]), cellWidth - 1, left: false) + " ", fraction: fraction)
                }
            }
            line += cells.joined(separator: " ")
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        return lines
    }
}
