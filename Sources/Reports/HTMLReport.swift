import Foundation
import Plots

/// `ser report`: one self-contained HTML page for one or more runs.
public enum HTMLReport {
    /// The report page: a header with a table of contents, a comparison section when there are several
    /// runs, then one section per run (spec, curves, LR finder, confusion heat-maps, per-class scores,
    /// most-confused pairs, top losses with spectrograms). No network, no scripts, no external files.
    ///
    /// - Parameters:
    ///   - generated: a line such as "Generated 2026-11-28 07:00 UTC by ser 0.1" shown under the title.
    public static func render(runs: [RunReportData], title: String = "ser report", generated: String? = nil) -> String {
        var page = HTMLPage(title: title)
        page.heading(title, level: 1)
        if let generated { page.paragraph(generated, className: "meta") }
        let ids = sectionIDs(runs.map(\.name))
        if runs.count > 1 {
            var nav = "<nav><ul>\n<li><a href=\"#comparison\">Comparison</a></li>\n"
            for (run, id) in zip(runs, ids) {
                nav += "<li><a href=\"#\(xmlEscape(id))\">\(xmlEscape(run.name))</a></li>\n"
            }
            page.raw(nav + "</ul></nav>\n")
            HTMLComparison.append(runs, to: &page)
        }
        if runs.isEmpty { page.paragraph("No runs.", className: "empty") }
        for (run, id) in zip(runs, ids) {
            HTMLRunSection.append(run, id: id, to: &page)
        }
        return page.render()
    }

    /// Unique anchors "run-<slug>" for the run names (suffix -2, -3 on repeats).
    static func sectionIDs(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            var slug = String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
            while slug.contains("--") { slug = slug.replacingOccurrences(of: "--", with: "-") }
            slug = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
            let base = "run-" + (slug.isEmpty ? "unnamed" : slug)
            var id = base
            var k = 2
            while !used.insert(id).inserted {
                id = "\(base)-\(k)"
                k += 1
            }
            return id
        }
    }

    static func percent(_ fraction: Double) -> String {
        fraction.isFinite ? String(format: "%.1f %%", fraction * 100) : "–"
    }

    static func formatMetric(_ m: ReportMetric) -> String {
        m.isFraction
            ? percent(m.value)
            : !m.value.isFinite
                ? "–" : abs(m.value) < 1000 ? String(format: "%.3f", m.value) : String(format: "%.4g", m.value)
    }
}
