import Foundation
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
            runs: runs, title: "ser report: learning-rate sweep", generated: "Generated from made-up data by the test suite")
        XCTAssertTrue(html.contains("resnet18-lr4e-3 &lt;wide &amp; short&gt;"))
        if let path = ProcessInfo.processInfo.environment["SER_REPORT_EXAMPLE"], !path.isEmpty {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
