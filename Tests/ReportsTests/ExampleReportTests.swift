import Foundation
import Plots
import Reports
import TestSupport
import XCTest

/// Renders the example report from made-up data. With `SER_REPORT_EXAMPLE=/path/r.html` set it also
/// writes the page there (for `tools/screenshot-report`).
final class ExampleReportTests: XCTestCase {
    func testExampleReportRendersAndCanBeSaved() throws {
        let runs = [
            ExampleReportData.run(name: "resnet18-lr1e-3", lr: 1e-3, epochs: 30, quality: 1.0, seed: 1),
            ExampleReportData.run(name: "resnet18-lr4e-3 <wide & short>", lr: 4e-3, epochs: 20, quality: 0.8, seed: 2),
        ]
        let html = HTMLReport.render(
            runs: runs, title: "ser report: learning-rate sweep",
            generated: "Generated from made-up data by the test suite")
        XCTAssertTrue(html.contains("resnet18-lr4e-3 &lt;wide &amp; short&gt;"))
        if let path = ProcessInfo.processInfo.environment["SER_REPORT_EXAMPLE"], !path.isEmpty {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            try terminalPreview(runs[0]).write(toFile: path + ".txt", atomically: true, encoding: .utf8)
        }
    }

    /// What `ser show` could print for a run (written beside the example page for eyeballing).
    private func terminalPreview(_ run: RunReportData) -> String {
        var out = ""
        out += Sparkline.labelled("train loss", run.epochs.map { $0.trainLoss ?? .nan }) + "\n"
        out += Sparkline.labelled("valid loss", run.epochs.map { $0.validLoss ?? .nan }) + "\n"
        out += Sparkline.labelled("UAR       ", run.epochs.map { $0.uar ?? .nan }) + "\n\n"
        let c = run.confusion!
        for style in [TerminalStyle.plain, .ansi256] {
            out +=
                TerminalConfusionGrid.render(classNames: c.classNames, counts: c.counts, style: style)
                .joined(separator: "\n") + "\n\n"
        }
        var table = TextTable(columns: [
            .init("Class"), .init("Precision", alignment: .right), .init("Recall", alignment: .right),
            .init("F1", alignment: .right), .init("Support", alignment: .right),
        ])
        for s in run.perClass {
            table.append([
                s.name, String(format: "%.3f", s.precision), String(format: "%.3f", s.recall),
                String(format: "%.3f", s.f1), String(s.support),
            ])
        }
        return out + table.render()
    }
}
