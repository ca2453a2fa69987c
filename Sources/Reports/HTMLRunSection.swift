import Foundation
import Plots

/// The charts and tables of one run, appended to a page. Sections whose data is empty are left out.
enum HTMLRunSection {
    static func append(_ run: RunReportData, id: String, to page: inout HTMLPage) {
        page.openSection(id: id, className: "run")
        page.heading(run.name, level: 2)

        if !run.metrics.isEmpty {
            page.table(
                headers: run.metrics.map(\.name), rows: [run.metrics.map(HTMLReport.formatMetric)],
                alignments: run.metrics.map { _ in .right }, caption: "Final metrics")
        }
        if !run.specYAML.isEmpty { page.preformatted(run.specYAML, summary: "Spec", className: "spec") }

        if !run.epochs.isEmpty {
            page.heading("Training curves", level: 3)
            page.openRow()
            page.figure(svg: lossChart(run), caption: "Loss per epoch; lower is better.")
            if run.epochs.contains(where: { $0.accuracy != nil || $0.uar != nil }) {
                page.figure(
                    svg: scoreChart(run),
                    caption: "Validation accuracy and unweighted average recall (UAR, the mean of per-class recalls).")
            }
            page.closeRow()
        }

        if let lr = run.lrFinder {
            page.heading("Learning-rate finder", level: 3)
            page.openRow()
            page.figure(
                svg: lrFinderChart(
                    learningRates: lr.learningRates, losses: lr.losses,
                    suggestions: lr.suggestions),
                caption: "Smoothed training loss while the learning rate grows exponentially; markers show each "
                    + "method's suggestion.")
            if !lr.suggestions.isEmpty {
                page.table(
                    headers: ["Suggestion", "Learning rate", "Loss there"],
                    rows: lr.suggestions.map {
                        [$0.method, String(format: "%.2e", $0.learningRate), String(format: "%.3f", $0.loss)]
                    }, alignments: [.left, .right, .right], caption: "Suggested learning rates")
            }
            page.closeRow()
        }

        appendEvaluation(
            ReportEvaluation(
                title: run.evaluationTitle ?? "", confusion: run.confusion, perClass: run.perClass,
                mostConfused: run.mostConfused), to: &page)
        for evaluation in run.otherEvaluations { appendEvaluation(evaluation, to: &page) }

        if !run.topLosses.isEmpty {
            page.heading("Top losses", level: 3)
            page.table(
                headers: ["#", "File", "True", "Predicted", "P(predicted)", "P(true)", "Loss"],
                rows: run.topLosses.enumerated().map { i, t in
                    [
                        String(i + 1), t.file, t.actual, t.predicted, HTMLReport.percent(t.probability),
                        t.trueProbability.map(HTMLReport.percent) ?? "–",
                        t.loss.map { String(format: "%.3f", $0) } ?? "–",
                    ]
                }, alignments: [.right, .left, .left, .left, .right, .right, .right],
                caption: "Loss: −log P(true)"
                    + (run.topLosses.contains { $0.audio != nil }
                        ? "; play each clip, as the run heard it, under its spectrogram below" : ""))
            let pictures = run.topLosses.enumerated().filter { $0.element.spectrogram != nil }
            if !pictures.isEmpty {
                page.raw("<div class=\"topgrid\">\n")
                for (i, t) in pictures {
                    let s = t.spectrogram!
                    page.figure(
                        svg: imageFigure(
                            title: "#\(i + 1) \(t.file)", png: s.png,
                            xAxis: AxisSpec("Time", unit: "s", domain: 0...s.durationSeconds),
                            yAxis: AxisSpec(
                                "Frequency", unit: "Hz", scale: s.frequencyScale, domain: 0...s.maxFrequencyHz),
                            colorBar: s.colorBar, size: ChartSize(width: 560, height: 260)),
                        caption: "True \(t.actual)"
                            + (t.trueProbability.map { " (\(HTMLReport.percent($0)))" } ?? "")
                            + ", predicted \(t.predicted) (\(HTMLReport.percent(t.probability)))",
                        audio: t.audio)
                }
                page.raw("</div>\n")
            }
        }
        if !run.topLossNotes.isEmpty {
            if run.topLosses.isEmpty { page.heading("Top losses", level: 3) }
            for note in run.topLossNotes { page.paragraph(note, className: "note") }
        }
        page.closeSection()
    }

    /// Confusion heat-maps, per-class bars and table, and most-confused pairs of one evaluation; headings
    /// carry the evaluation's title in brackets when it has one ("Confusion matrix (test set)").
    static func appendEvaluation(_ evaluation: ReportEvaluation, to page: inout HTMLPage) {
        let suffix = evaluation.title.isEmpty ? "" : " (\(evaluation.title.lowercased()))"
        if let confusion = evaluation.confusion {
            page.heading("Confusion matrix" + suffix, level: 3)
            page.openRow()
            page.figure(
                svg: confusionHeatmap(
                    title: "Counts", classNames: confusion.classNames, counts: confusion.counts, values: .counts),
                caption: "Rows: true class; columns: predicted class.")
            page.figure(
                svg: confusionHeatmap(
                    title: "Row-normalised (% of each true class)", classNames: confusion.classNames,
                    counts: confusion.counts, values: .rowNormalized),
                caption: "Each row sums to 100 %; the diagonal is the recall of that class.")
            page.closeRow()
        }
        if let note = evaluation.note { page.paragraph(note) }

        if !evaluation.perClass.isEmpty {
            page.heading("Per-class scores" + suffix, level: 3)
            page.openRow()
            page.figure(
                svg: groupedBarChart(
                    title: "Precision, recall and F1 per class", categories: evaluation.perClass.map(\.name),
                    seriesNames: ["Precision", "Recall", "F1"],
                    values: evaluation.perClass.map { [$0.precision, $0.recall, $0.f1] },
                    valueAxis: AxisSpec("Score", domain: 0...1), categoryAxisTitle: "Class"))
            page.table(
                headers: ["Class", "Precision", "Recall", "F1", "Support"],
                rows: evaluation.perClass.map {
                    [
                        $0.name, HTMLReport.percent($0.precision), HTMLReport.percent($0.recall),
                        HTMLReport.percent($0.f1),
                        String($0.support),
                    ]
                }, alignments: [.left, .right, .right, .right, .right])
            page.closeRow()
        }

        if !evaluation.mostConfused.isEmpty {
            page.heading("Most confused pairs" + suffix, level: 3)
            page.table(
                headers: ["True class", "Predicted as", "Count"],
                rows: evaluation.mostConfused.map { [$0.actual, $0.predicted, String($0.count)] },
                alignments: [.left, .left, .right])
        }

    }

    static func lossChart(_ run: RunReportData) -> String {
        let x = run.epochs.map { Double($0.epoch) }
        var series: [LineSeries] = []
        if run.epochs.contains(where: { $0.trainLoss != nil }) {
            series.append(
                LineSeries(name: "Train loss", x: x, y: run.epochs.map { $0.trainLoss ?? .nan }, style: .series(0)))
        }
        if run.epochs.contains(where: { $0.validLoss != nil }) {
            series.append(
                LineSeries(name: "Valid loss", x: x, y: run.epochs.map { $0.validLoss ?? .nan }, style: .series(1)))
        }
        return lineChart(
            title: "Loss", series: series, xAxis: AxisSpec("Epoch", integerTicks: true),
            yAxis: AxisSpec("Cross-entropy loss", includeZero: true))
    }

    static func scoreChart(_ run: RunReportData) -> String {
        let x = run.epochs.map { Double($0.epoch) }
        var series: [LineSeries] = []
        if run.epochs.contains(where: { $0.accuracy != nil }) {
            series.append(
                LineSeries(name: "Accuracy", x: x, y: run.epochs.map { ($0.accuracy ?? .nan) * 100 }, style: .series(2))
            )
        }
        if run.epochs.contains(where: { $0.uar != nil }) {
            series.append(
                LineSeries(name: "UAR", x: x, y: run.epochs.map { ($0.uar ?? .nan) * 100 }, style: .series(3)))
        }
        return lineChart(
            title: "Validation accuracy and UAR", series: series, xAxis: AxisSpec("Epoch", integerTicks: true),
            yAxis: AxisSpec("Score", unit: "%", domain: 0...100))
    }
}
