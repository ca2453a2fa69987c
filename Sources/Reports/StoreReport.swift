import Foundation
import Plots
import RunStore
import Specs

import struct Training.ConfusionMatrix

/// Choices for reports built from the run store.
public struct StoreReportOptions: Sendable {
    /// How many of the highest-loss validation files to list (and draw).
    public var topLosses: Int
    /// Whether to draw the mel-spectrograms of the top losses (needs their audio files).
    public var spectrograms: Bool
    /// Spectrogram rasters are averaged down to at most this many columns (keeps the page small).
    public var spectrogramColumns: Int

    public init(topLosses: Int = 6, spectrograms: Bool = true, spectrogramColumns: Int = 400) {
        self.topLosses = topLosses
        self.spectrograms = spectrograms
        self.spectrogramColumns = spectrogramColumns
    }
}

/// Builds report data from the run store: everything `ser report` shows about a run.
public enum StoreReport {
    /// The report page for `runIDs` (in that order), read from `store`.
    /// - Throws: `RunStoreError.noSuchRun` for an unknown id.
    public static func render(
        store: RunStore, runIDs: [Int64], title: String = "ser report", generated: String? = nil,
        options: StoreReportOptions = StoreReportOptions()
    ) throws -> String {
        let runs = try runIDs.map { try runData(store: store, runID: $0, options: options) }
        return HTMLReport.render(runs: runs, title: title, generated: generated)
    }

    /// One run's report data: spec and its flattened parameters, final metrics, epochs, the LR finder with
    /// its suggestions, the validation evaluation (confusion, per-class scores, most-confused pairs), the
    /// test evaluation when there is one, and the top losses with their mel-spectrograms.
    ///
    /// Cost: one store read plus, for spectrograms, decoding and analysing `options.topLosses` audio files.
    public static func runData(
        store: RunStore, runID: Int64, options: StoreReportOptions = StoreReportOptions()
    ) throws -> RunReportData {
        let detail = try store.detail(of: runID)
        let run = detail.run
        var data = RunReportData(name: "#\(runID) \(run.name)", specYAML: run.specYaml)
        data.parameters = SpecDiff.flatten(yaml: run.specYaml).sorted { $0.key < $1.key }.map {
            ReportParameter($0.key, $0.value)
        }
        data.epochs = detail.epochs.map {
            ReportEpoch(
                epoch: $0.epoch, trainLoss: $0.trainLoss, validLoss: $0.validLoss, accuracy: $0.accuracy,
                uar: $0.balancedAccuracy)
        }
        data.metrics = metrics(detail)
        data.lrFinder = lrFinder(points: detail.lrFinder, suggestions: detail.suggestions)

        let valid = detail.evaluations.first { $0.split == "valid" }
        let test = detail.evaluations.first { $0.split == "test" }
        if let valid {
            let e = evaluation(valid, classMetrics: detail.classMetrics, title: "Validation")
            data.confusion = e.confusion
            data.perClass = e.perClass
            data.mostConfused = e.mostConfused
            data.evaluationTitle = test == nil && detail.storedEvaluations.isEmpty ? nil : "Validation"
        }
        if let test {
            var e = evaluation(test, classMetrics: detail.classMetrics, title: "Test set")
            e.note = test.notScored.map { "Not scored (test set): " + $0 }
            data.otherEvaluations = [e]
        }
        // `ser eval --store` results of the run's model (held-out and cross-corpus).
        data.otherEvaluations += detail.storedEvaluations.map(storedEvaluation)

        if options.topLosses > 0, let valid {
            let predictions = try store.predictions(of: runID, split: "valid")
            let top = topLosses(predictions, labels: valid.labels, count: options.topLosses)
            var missing: [String] = [], silent: [String] = []
            var drawer: TopLossSpectrograms?
            if options.spectrograms, !top.isEmpty {
                do {
                    drawer = try TopLossSpectrograms(specYAML: run.specYaml, runName: run.name)
                    drawer?.maxColumns = options.spectrogramColumns
                } catch {
                    data.topLossNotes.append("No spectrograms: the run's spec no longer loads (\(error)).")
                }
            }
            let base = commonDirectory(top.map(\.path))
            data.topLosses = top.map { item in
                var entry = ReportTopLoss(
                    file: base.isEmpty ? item.path : String(item.path.dropFirst(base.count)), actual: item.label,
                    predicted: item.predicted, probability: item.confidence, trueProbability: item.trueProbability,
                    loss: item.loss)
                if let drawer {
                    switch drawer.media(for: item.path) {
                    case .success(let media):
                        entry.spectrogram = media.spectrogram
                        entry.audio = media.audio
                        if let problem = media.audioProblem { silent.append(problem.description) }
                    case .failure(let problem): missing.append(problem.description)
                    }
                }
                return entry
            }
            if !missing.isEmpty {
                data.topLossNotes.append(
                    "No spectrogram for \(missing.count) of \(top.count) files: " + missing.joined(separator: "; ")
                        + ".")
            }
            if !silent.isEmpty {
                data.topLossNotes.append(
                    "No sound for \(silent.count) of \(top.count) files: " + silent.joined(separator: "; ") + ".")
            }
        }
        return data
    }

    // MARK: - Pieces

    /// The longest directory prefix (ending in "/") shared by all `paths`; "" when there is none. Top-loss
    /// files are shown relative to it (`Actor_03/03-01-05-….wav`), so long absolute paths do not crowd the
    /// tables and titles.
    static func commonDirectory(_ paths: [String]) -> String {
        guard var prefix = paths.first.map({ ($0 as NSString).deletingLastPathComponent + "/" }) else { return "" }
        for path in paths.dropFirst() {
            while !prefix.isEmpty && !path.hasPrefix(prefix) {
                prefix = (String(prefix.dropLast()) as NSString).deletingLastPathComponent
                prefix = prefix.isEmpty || prefix == "/" ? "" : prefix + "/"
            }
        }
        return prefix == "/" ? "" : prefix
    }

    /// Final metrics, UAR first (the headline, next to accuracy): from the validation evaluation when recorded
    /// (else the last epoch), the best epoch accuracy, and the test evaluation's scores.
    static func metrics(_ detail: RunDetail) -> [ReportMetric] {
        var metrics: [ReportMetric] = []
        let last = detail.epochs.last
        if let valid = detail.evaluations.first(where: { $0.split == "valid" }) {
            metrics += [
                ReportMetric(name: "UAR", value: valid.balancedAccuracy, isFraction: true),
                ReportMetric(name: "Accuracy", value: valid.accuracy, isFraction: true),
                ReportMetric(name: "Macro F1", value: valid.f1Macro, isFraction: true),
            ]
            if let loss = valid.loss ?? last?.validLoss {
                metrics.append(ReportMetric(name: "Valid loss", value: loss, higherIsBetter: false))
            }
        } else if let last {
            if let v = last.balancedAccuracy { metrics.append(ReportMetric(name: "UAR", value: v, isFraction: true)) }
            if let v = last.accuracy { metrics.append(ReportMetric(name: "Accuracy", value: v, isFraction: true)) }
            if let v = last.f1Macro { metrics.append(ReportMetric(name: "Macro F1", value: v, isFraction: true)) }
            if let v = last.validLoss {
                metrics.append(ReportMetric(name: "Valid loss", value: v, higherIsBetter: false))
            }
        }
        if let best = detail.epochs.compactMap(\.accuracy).max() {
            metrics.append(ReportMetric(name: "Best epoch accuracy", value: best, isFraction: true))
        }
        if let test = detail.evaluations.first(where: { $0.split == "test" }) {
            metrics += [
                ReportMetric(name: "Test UAR", value: test.balancedAccuracy, isFraction: true),
                ReportMetric(name: "Test accuracy", value: test.accuracy, isFraction: true),
                ReportMetric(name: "Test macro F1", value: test.f1Macro, isFraction: true),
            ]
        }
        return metrics
    }

    /// The finder curve (smoothed loss where recorded) and its suggestions, each marked on the curve at the
    /// nearest recorded rate; the suggestion the run trained with is named "(used)". Nil without points.
    static func lrFinder(points: [LRFinderPointRecord], suggestions: [LRSuggestionRecord]) -> LRFinderCurve? {
        let curve = points.map(\.point).filter { $0.learningRate > 0 && $0.learningRate.isFinite }
            .sorted { $0.iteration < $1.iteration }
        guard !curve.isEmpty else { return nil }
        return LRFinderCurve(
            points: curve,
            suggestions: suggestions.map {
                (method: $0.chosen ? "\($0.method) (used)" : $0.method, learningRate: $0.lr)
            })
    }

    /// Confusion matrix, per-class scores (recorded ones in label order, else computed from the matrix) and
    /// the most-confused pairs (computed from the matrix, at most 10).
    static func evaluation(_ record: EvaluationRecord, classMetrics: [ClassMetricRecord], title: String)
        -> ReportEvaluation
    {
        let n = record.labels.count
        let square = record.confusion.count == n && record.confusion.allSatisfy { $0.count == n }
        guard n > 0, square else { return ReportEvaluation(title: title, confusion: nil) }
        var matrix = ConfusionMatrix(classNames: record.labels)
        matrix.counts = record.confusion
        let recorded = Dictionary(
            classMetrics.filter { $0.split == record.split }.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        let perClass = matrix.perClass.map { computed -> ReportClassScores in
            if let r = recorded[computed.className] {
                return ReportClassScores(
                    name: r.label, precision: r.precision, recall: r.recall, f1: r.f1, support: r.support)
            }
            return ReportClassScores(
                name: computed.className, precision: computed.precision, recall: computed.recall, f1: computed.f1,
                support: computed.support)
        }
        let pairs = matrix.mostConfused(minimum: 1).prefix(10).map {
            ReportConfusedPair(actual: $0.actual, predicted: $0.predicted, count: $0.count)
        }
        return ReportEvaluation(
            title: title, confusion: ReportConfusion(classNames: record.labels, counts: record.confusion),
            perClass: perClass, mostConfused: Array(pairs))
    }

    /// A `ser eval --store` result as a further evaluation, titled with its corpus and layout.
    static func storedEvaluation(_ stored: StoredEvaluationRecord) -> ReportEvaluation {
        let split = "eval-\(stored.id ?? 0)"
        let record = EvaluationRecord(
            runId: stored.runId, split: split, accuracy: stored.accuracy, balancedAccuracy: stored.balancedAccuracy,
            f1Macro: stored.f1Macro, labels: stored.labels, confusion: stored.confusion, recordedAt: stored.recordedAt)
        let classMetrics = stored.perClass.map {
            ClassMetricRecord(
                runId: stored.runId, split: split, label: $0.label, precision: $0.precision, recall: $0.recall,
                f1: $0.f1,
                support: $0.support)
        }
        return evaluation(
            record, classMetrics: classMetrics,
            title: "Evaluation \(stored.id ?? 0) (ser eval): \(stored.dataPath) (\(stored.layout), "
                + "accuracy \(String(format: "%.1f", 100 * stored.accuracy)) %, UAR "
                + "\(String(format: "%.1f", 100 * stored.balancedAccuracy)) %)")
    }

    /// A prediction with its loss, −log p(true class).
    struct ScoredPrediction {
        var path: String
        var label: String
        var predicted: String
        var confidence: Double
        /// p(true class), when known.
        var trueProbability: Double?
        var loss: Double?
    }

    /// The `count` predictions with the highest loss −log p(true class), ties by path. The probability of
    /// the true class comes from `probabilities` (in `labels` order); without them it is `confidence` for a
    /// correct prediction and unknown for a wrong one, and wrong predictions with unknown loss rank above
    /// every known loss, most confident first (they cost at least −log(1 − confidence)). O(n log n).
    static func topLosses(_ predictions: [PredictionRecord], labels: [String], count: Int) -> [ScoredPrediction] {
        let index = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let scored = predictions.map { p -> ScoredPrediction in
            var trueProbability: Double?
            if let probabilities = p.probabilities, let i = index[p.label], i < probabilities.count {
                trueProbability = probabilities[i]
            } else if p.label == p.predicted {
                trueProbability = p.confidence
            }
            return ScoredPrediction(
                path: p.path, label: p.label, predicted: p.predicted, confidence: p.confidence,
                trueProbability: trueProbability, loss: trueProbability.map { -log(max($0, 1e-12)) })
        }
        func key(_ s: ScoredPrediction) -> Double {
            s.loss ?? (1e6 + s.confidence)  // unknown loss of a wrong answer: ahead, by confidence
        }
        let sorted = scored.sorted { a, b in
            key(a) != key(b) ? key(a) > key(b) : a.path < b.path
        }
        return Array(sorted.prefix(count))
    }
}
