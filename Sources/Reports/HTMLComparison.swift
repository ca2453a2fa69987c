import Foundation
import Plots

/// The multi-run section: overlaid curves (one colour, dash and marker per run) and tables of the
/// parameters that differ and of the metrics, best value in bold.
enum HTMLComparison {
    static func append(_ runs: [RunReportData], to page: inout HTMLPage) {
        page.openSection(id: "comparison", className: "comparison")
        page.heading("Comparison of \(runs.count) runs", level: 2)

        let differing = differingParameters(runs)
        if differing.isEmpty {
            page.paragraph("All recorded parameters are the same in every run.", className: "empty")
        } else {
            page.table(
                headers: ["Parameter"] + runs.map(\.name),
                rows: differing.map { key, values in [key] + values.map { $0 ?? "–" } },
                caption: "Parameters that differ between runs")
        }

        let metricNames = orderedUnique(runs.flatMap { $0.metrics.map(\.name) })
        if !metricNames.isEmpty {
            var rows: [[String]] = []
            var emphasis: [[Bool]] = []
            for run in runs {
                var row = [run.name]
                var bold = [false]
                for name in metricNames {
                    let metric = run.metrics.first { $0.name == name }
                    row.append(metric.map(HTMLReport.formatMetric) ?? "–")
                    let all = runs.compactMap { $0.metrics.first { $0.name == name } }
                    let best = metric.map { m in
                        m.higherIsBetter ? all.map(\.value).max() == m.value : all.map(\.value).min() == m.value
                    }
                    bold.append((best ?? false) && all.count > 1)
                }
                rows.append(row)
                emphasis.append(bold)
            }
            page.table(
                headers: ["Run"] + metricNames, rows: rows, alignments: [.left] + metricNames.map { _ in .right },
                caption: "Final metrics (best in bold)", emphasis: emphasis)
        }

        let curves: [(String, AxisSpec, (ReportEpoch) -> Double?)] = [
            ("Validation loss", AxisSpec("Cross-entropy loss", includeZero: true), { $0.validLoss }),
            ("Training loss", AxisSpec("Cross-entropy loss", includeZero: true), { $0.trainLoss }),
            ("Validation UAR", AxisSpec("UAR", unit: "%", domain: 0...100), { $0.uar.map { $0 * 100 } }),
            ("Validation accuracy", AxisSpec("Accuracy", unit: "%", domain: 0...100), { $0.accuracy.map { $0 * 100 } }),
        ]
        page.openRow()
        for (title, axis, value) in curves {
            let series = runs.enumerated().compactMap { i, run -> LineSeries? in
                guard run.epochs.contains(where: { value($0) != nil }) else { return nil }
                return LineSeries(
                    name: run.name, x: run.epochs.map { Double($0.epoch) }, y: run.epochs.map { value($0) ?? .nan },
                    style: .run(i))
            }
            guard !series.isEmpty else { continue }
            page.figure(
                svg: lineChart(title: title, series: series, xAxis: AxisSpec("Epoch", integerTicks: true), yAxis: axis))
        }
        page.closeRow()
        page.closeSection()
    }

    /// Keys whose values are not all equal (a key missing from some run counts as differing), in first-seen
    /// order, with each run's value or nil.
    static func differingParameters(_ runs: [RunReportData]) -> [(String, [String?])] {
        let keys = orderedUnique(runs.flatMap { $0.parameters.map(\.key) })
        return keys.compactMap { key in
            let values = runs.map { run in run.parameters.first { $0.key == key }?.value }
            return Set(values.map { $0 ?? "\u{0}missing" }).count > 1 ? (key, values) : nil
        }
    }

    static func orderedUnique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}
