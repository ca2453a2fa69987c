import Plots

/// Builds one self-contained HTML5 page (also well-formed XML, so tests can parse it): inline CSS, inline
/// SVG, images as data URIs, no scripts and no
/// external references. All text passed in is escaped; only `raw(_:)` and `figure(svg:)` insert markup.
public struct HTMLPage {
    public var title: String
    public private(set) var body: String = ""

    public init(title: String) { self.title = title }

    public mutating func heading(_ text: String, level: Int = 2, id: String? = nil) {
        let l = min(max(level, 1), 6)
        let idAttr = id.map { " id=\"\(xmlEscape($0))\"" } ?? ""
        body += "<h\(l)\(idAttr)>\(xmlEscape(text))</h\(l)>\n"
    }

    public mutating func paragraph(_ text: String, className: String? = nil) {
        body += "<p\(classAttr(className))>\(xmlEscape(text))</p>\n"
    }

    /// Inserts markup as-is (the caller guarantees it is well-formed and self-contained).
    public mutating func raw(_ html: String) { body += html }

    public mutating func openSection(id: String? = nil, className: String? = nil) {
        let idAttr = id.map { " id=\"\(xmlEscape($0))\"" } ?? ""
        body += "<section\(idAttr)\(classAttr(className))>\n"
    }

    public mutating func closeSection() { body += "</section>\n" }

    /// A `<figure>` holding an inline SVG chart, an optional sound to play (embedded as a `data:` URI) and
    /// an optional caption.
    public mutating func figure(svg: String, caption: String? = nil, audio: ReportAudio? = nil) {
        body += "<figure>\n\(svg)"
        if let audio {
            body += "<audio controls=\"controls\" preload=\"none\" src=\"\(xmlEscape(audio.dataURI))\"></audio>\n"
        }
        if let caption { body += "<figcaption>\(xmlEscape(caption))</figcaption>\n" }
        body += "</figure>\n"
    }

    /// Opens a row of figures that wrap on narrow screens; close with `closeRow()`.
    public mutating func openRow() { body += "<div class=\"row\">\n" }
    public mutating func closeRow() { body += "</div>\n" }

    /// Preformatted text (the spec), optionally folded in a `<details>` element.
    public mutating func preformatted(_ text: String, summary: String? = nil, className: String? = nil) {
        if let summary { body += "<details open=\"open\"><summary>\(xmlEscape(summary))</summary>\n" }
        body += "<pre\(classAttr(className))>\(xmlEscape(text))</pre>\n"
        if summary != nil { body += "</details>\n" }
    }

    /// A table; `alignments` (default: left) per column; `emphasis[r][c]` bolds a cell.
    public mutating func table(
        headers: [String], rows: [[String]], alignments: [TextTable.Alignment]? = nil, caption: String? = nil,
        emphasis: [[Bool]]? = nil, className: String? = nil
    ) {
        func align(_ i: Int) -> String {
            (alignments.map { i < $0.count ? $0[i] : .left } ?? .left) == .right ? " class=\"num\"" : ""
        }
        body += "<table\(classAttr(className))>\n"
        if let caption { body += "<caption>\(xmlEscape(caption))</caption>\n" }
        body +=
            "<thead><tr>" + headers.enumerated().map { "<th\(align($0.offset))>\(xmlEscape($0.element))</th>" }.joined()
        body += "</tr></thead>\n<tbody>\n"
        for (r, row) in rows.enumerated() {
            body += "<tr>"
            for (c, cell) in row.enumerated() {
                let bold = emphasis.map { r < $0.count && c < $0[r].count && $0[r][c] } ?? false
                let text = bold ? "<strong>\(xmlEscape(cell))</strong>" : xmlEscape(cell)
                body += "<td\(align(c))>\(text)</td>"
            }
            body += "</tr>\n"
        }
        body += "</tbody>\n</table>\n"
    }

    /// The whole document.
    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(xmlEscape(title))</title>
        <style>
        \(HTMLPage.css)
        </style>
        </head>
        <body>
        <main>
        \(body)</main>
        </body>
        </html>

        """
    }

    private func classAttr(_ name: String?) -> String { name.map { " class=\"\(xmlEscape($0))\"" } ?? "" }

    /// The page's only style sheet.
    public static let css = """
        :root { color-scheme: light; }
        body { margin: 0; background: #f6f6f4; color: #1a1a1a;
          font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial, sans-serif; }
        main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 64px; }
        h1 { font-size: 26px; margin: 8px 0 4px; }
        h2 { font-size: 21px; margin: 36px 0 8px; padding-top: 12px; border-top: 2px solid #d6d6d0; }
        h3 { font-size: 16px; margin: 22px 0 8px; color: #333; }
        p.meta { color: #555; margin: 0 0 12px; }
        nav ul { margin: 4px 0 0; padding-left: 20px; }
        section.run, section.comparison { background: #fff; border: 1px solid #e0e0da; border-radius: 8px;
          padding: 4px 22px 18px; margin: 22px 0; }
        section.run > h2, section.comparison > h2 { border-top: none; margin-top: 14px; }
        .row { display: flex; flex-wrap: wrap; gap: 14px 22px; align-items: flex-start; }
        figure { margin: 6px 0; max-width: 100%; }
        .row > figure { flex: 1 1 520px; max-width: 640px; }
        .row > table { flex: 0 1 auto; align-self: center; }
        figcaption { color: #555; font-size: 13px; margin-top: 2px; max-width: 640px; }
        svg.chart { display: block; width: 100%; max-width: 100%; height: auto; border: 1px solid #ecece6; border-radius: 4px; }
        table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
        caption { text-align: left; color: #555; font-size: 13px; padding-bottom: 4px; }
        th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e0; text-align: left; vertical-align: top; }
        th { background: #f0f0ea; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tbody tr:nth-child(even) { background: #fafaf7; }
        pre { background: #f4f4f0; border: 1px solid #e3e3dc; border-radius: 4px; padding: 10px 12px;
          overflow-x: auto; font-size: 13px; line-height: 1.4; max-height: 420px; }
        pre.spec { white-space: pre-wrap; column-width: 20em; column-gap: 2.5em; column-rule: 1px solid #e3e3dc; max-height: none; overflow-x: visible; }
        details > summary { cursor: pointer; color: #333; font-weight: 600; margin: 8px 0; }
        .topgrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px 18px; }
        .topgrid figure { margin: 0; }
        figure audio { display: block; width: 100%; height: 32px; margin-top: 4px; }
        .empty { color: #777; font-style: italic; }
        p.note { color: #4a3b00; background: #fff8e1; border-left: 3px solid #E69F00; padding: 4px 10px; margin: 6px 0; }
        @media print { body { background: #fff; } section.run, section.comparison { border: none; } }
        """
}
