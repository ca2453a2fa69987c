/// A compact aligned text table for terminal output (`ser show`, `ser compare`, `ser data`...).
///
/// Columns are as wide as their widest cell (measured with `terminalWidth`, so ANSI colours and wide
/// characters align), separated by two spaces; trailing spaces are trimmed. O(cells).
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable {
        public var header: String
        public var alignment: Alignment
        public init(_ header: String, alignment: Alignment = .left) {
            self.header = header
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    public var rows: [[String]]
    /// A rule of `─` under the header.
    public var headerRule: Bool
    public var separator: String

    public init(columns: [Column], rows: [[String]] = [], headerRule: Bool = true, separator: String = "  ") {
        self.columns = columns
        self.rows = rows
        self.headerRule = headerRule
        self.separator = separator
    }

    public mutating func append(_ row: [String]) { rows.append(row) }

    /// The table as lines (no trailing newline); rows shorter than the header are padded with empty cells.
    public func lines() -> [String] {
        let n = columns.count
        let cells = rows.map { row in (0..<n).map { $0 < row.count ? row[$0] : "" } }
        let showHeader = columns.contains { !$0.header.isEmpty }
        var widths = columns.map { showHeader ? terminalWidth($0.header) : 0 }
        for row in cells {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], terminalWidth(cell)) }
        }
        func format(_ row: [String]) -> String {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - terminalWidth(cell))
                if i > 0 { line += separator }
                line += columns[i].alignment == .left ? cell + pad : pad + cell
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
        var out: [String] = []
        if showHeader {
            out.append(format(columns.map(\.header)))
            if headerRule {
                out.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: separator))
            }
        }
        out += cells.map(format)
        return out
    }

    /// The table joined with newlines, ending with one.
    public func render() -> String { lines().joined(separator: "\n") + "\n" }
}
