import ArgumentParser
import Foundation
import Plots
import RunStore

/// `ser show RUN`: everything recorded about one run.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a run: summary, epoch table, learning-rate suggestions, evaluations and artifacts.")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The run id (`ser runs` lists them).", valueName: "run"))
    var runID: Int64

    @Flag(help: "Also print the resolved spec the run used.")
    var spec = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// The text printed; `style` decides whether the confusion grid uses ANSI grey backgrounds.
    func output(style: TerminalStyle = .plain) throws -> String {
        let runStore = try store.openForReading(needsFiles: false)
        var detail = try runStore.detail(of: runID)
        // Artifact paths as files the user can open (the store records them relative to its folder); as
        // recorded (relative to the artifact root) for a PostgreSQL store read without --artifacts.
        if runStore.hasArtifactRoot {
            detail.artifacts = detail.artifacts.map { artifact in
                var artifact = artifact
                artifact.path = runStore.resolvedPath(of: artifact)
                return artifact
            }
        }
        return json ? try StoreFormat.json(detail) : Self.text(detail, includeSpec: spec, style: style)
    }

    func run() throws { print(try output(style: TerminalStyle.forStandardOutput())) }

    /// Sparklines of the per-epoch curves, one line each, names padded to one width.
    static func curves(_ epochs: [EpochMetricRecord]) -> [String] {
        let curves: [(String, [Double?])] = [
            ("train loss", epochs.map(\.trainLoss)), ("valid loss", epochs.map(\.validLoss)),
            ("UAR", epochs.map(\.balancedAccuracy)), ("accuracy", epochs.map(\.accuracy)),
            ("F1 macro", epochs.map(\.f1Macro)),
        ].filter { $0.1.contains { $0 != nil } }
        let width = curves.map(\.0.count).max() ?? 0
        return curves.map { name, values in
            "  "
                + Sparkline.labelled(
                    name.padding(toLength: width, withPad: " ", startingAt: 0), values.map { $0 ?? .nan }, maxWidth: 40,
                    format: { String(format: "%.3f", $0) })
        }
    }

    /// Finder losses capped at the top of the range the charts show (a little above the starting loss), so
    /// the divergence at the end does not flatten the descent into one level.
    static func clippedFinderLosses(_ losses: [Double]) -> [Double] {
        let top = lrFinderLossDomain(losses: losses, suggestions: []).upperBound
        return losses.map { $0.isFinite ? min($0, top) : $0 }
    }

    /// A `ser eval --store` result: where, what, the confusion grid and the per-class table.
    static func storedEvaluationLines(_ evaluation: StoredEvaluationRecord, style: TerminalStyle) -> [String] {
        var lines = [
            "Evaluation \(evaluation.id ?? 0) (ser eval, \(StoreFormat.time(evaluation.recordedAt))): \(evaluation.files) "
                + "files of \(evaluation.dataPath) (\(evaluation.layout)): accuracy \(StoreFormat.number(evaluation.accuracy)), "
                + "balanced accuracy \(StoreFormat.number(evaluation.balancedAccuracy)), F1 macro "
                + StoreFormat.number(evaluation.f1Macro),
            "  model \(evaluation.modelPath) (sha256 \(evaluation.modelSha256.prefix(12)))",
        ]
        lines += TerminalConfusionGrid.render(
            classNames: evaluation.labels, counts: evaluation.confusion, style: style)
        lines.append(
            StoreFormat.table(
                ["CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"],
                evaluation.perClass.map {
                    [
                        $0.label, StoreFormat.number($0.precision), StoreFormat.number($0.recall),
                        StoreFormat.number($0.f1), String($0.support),
                    ]
                }, right: [1, 2, 3, 4]))
        return lines
    }

    static func text(_ detail: RunDetail, includeSpec: Bool, style: TerminalStyle = .plain) -> String {
        let run = detail.run
        var lines: [String] = []
        lines.append("Run \(run.id ?? 0)  \(run.name)")
        var facts: [(String, String)] = [
            ("experiment", "\(detail.experiment.name)"),
            (
                "status",
                detail.displayStatus.rawValue
                    + (detail.displayStatus == .stale ? " (recorded as running; its process is gone)" : "")
            ),
        ]
        if let error = run.error { facts.append(("error", error)) }
        if !run.sweep.isEmpty { facts.append(("sweep", run.sweep)) }
        facts += [
            ("seed", String(run.seed)),
            ("spec sha256", run.specHash),
            ("tool", "ser \(run.toolVersion) on \(run.host)" + (run.pid.map { " (pid \($0))" } ?? "")),
            ("created", StoreFormat.time(run.createdAt)),
            ("started", StoreFormat.time(run.startedAt)),
            ("ended", StoreFormat.time(run.endedAt)),
            (
                "took",
                StoreFormat.duration(
                    run.startedAt.flatMap { start in
                        (run.endedAt ?? run.heartbeatAt).map { $0.timeIntervalSince(start) }
                    })
            ),
        ]
        // The machine(s): a resume on another machine adds one, and its numbers may differ in their last digits.
        for record in detail.environments {
            let label = detail.environments.count > 1 ? "environment \(record.seq)" : "environment"
            facts.append((label, record.environment.summary + " (from \(StoreFormat.time(record.recordedAt)))"))
        }
        // The headline: the kept model's UAR next to its accuracy, per evaluated split.
        for evaluation in detail.evaluations {
            facts.append(
                (
                    evaluation.split,
                    "UAR \(StoreFormat.number(evaluation.balancedAccuracy)), accuracy \(StoreFormat.number(evaluation.accuracy))"
                ))
        }
        let width = facts.map(\.0.count).max() ?? 0
        lines += facts.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
        if !detail.groups.isEmpty {
            lines.append("")
            lines += Compare.groupLines(detail.groups)
        }

        lines.append("")
        if detail.epochs.isEmpty {
            lines.append("No epochs recorded.")
        } else {
            let rows = detail.epochs.map { epoch in
                [
                    String(epoch.epoch), StoreFormat.number(epoch.trainLoss), StoreFormat.number(epoch.validLoss),
                    StoreFormat.number(epoch.balancedAccuracy), StoreFormat.number(epoch.accuracy),
                    StoreFormat.number(epoch.f1Macro), StoreFormat.rate(epoch.lr), StoreFormat.duration(epoch.seconds),
                ]
            }
            lines.append(
                StoreFormat.table(
                    ["EPOCH", "TRAIN LOSS", "VALID LOSS", "UAR", "ACCURACY", "F1 MACRO", "LR", "TIME"], rows,
                    right: Set(0..<8)))
            if detail.epochs.count > 1 {
                lines.append("")
                lines.append("Curves (epoch 1 → \(detail.epochs.last!.epoch)):")
                lines += curves(detail.epochs)
            }
        }
        if !detail.suggestions.isEmpty {
            lines.append("")
            lines.append(
                "LR finder (\(detail.lrFinder.count) points): "
                    + detail.suggestions.map { "\($0.method) \(StoreFormat.rate($0.lr))\($0.chosen ? " (used)" : "")" }
                    .joined(separator: ", "))
            let curve = detail.lrFinder.map(\.point).sorted { $0.iteration < $1.iteration }
            if let first = curve.first, let last = curve.last, curve.count > 1 {
                lines.append(
                    "  loss from lr \(StoreFormat.rate(first.learningRate)) to \(StoreFormat.rate(last.learningRate))  "
                        + Sparkline.render(Self.clippedFinderLosses(curve.map(\.smoothedLoss)), maxWidth: 50))
            }
        }
        for evaluation in detail.evaluations {
            lines.append("")
            lines.append(
                "\(evaluation.split.capitalized): UAR \(StoreFormat.number(evaluation.balancedAccuracy)), accuracy "
                    + "\(StoreFormat.number(evaluation.accuracy)), F1 macro \(StoreFormat.number(evaluation.f1Macro))"
                    + (evaluation.loss.map { ", loss \(StoreFormat.number($0))" } ?? ""))
            if let notScored = evaluation.notScored { lines.append("Not scored: " + notScored) }
            let n = evaluation.labels.count
            if n > 0, evaluation.confusion.count == n, evaluation.confusion.allSatisfy({ $0.count == n }) {
                lines.append("Confusion matrix (rows: true class, columns: predicted; shade: share of the row):")
                lines += TerminalConfusionGrid.render(
                    classNames: evaluation.labels, counts: evaluation.confusion, style: style)
            }
            let metrics = detail.classMetrics.filter { $0.split == evaluation.split }
            if !metrics.isEmpty {
                lines.append(
                    StoreFormat.table(
                        ["CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"],
                        metrics.map {
                            [
                                $0.label, StoreFormat.number($0.precision), StoreFormat.number($0.recall),
                                StoreFormat.number($0.f1), String($0.support),
                            ]
                        }, right: [1, 2, 3, 4]))
            }
        }
        for evaluation in detail.storedEvaluations {
            lines.append("")
            lines += storedEvaluationLines(evaluation, style: style)
        }
        if !detail.artifacts.isEmpty {
            lines.append("")
            lines.append(
                StoreFormat.table(
                    ["ARTIFACT", "EPOCH", "BYTES", "SHA256", "PATH"],
                    detail.artifacts.map {
                        [
                            $0.kind, $0.epoch.map(String.init) ?? "-", String($0.bytes), String($0.sha256.prefix(12)),
                            $0.path,
                        ]
                    }, right: [1, 2]))
        }
        if includeSpec {
            lines.append("")
            lines.append("# resolved spec")
            lines.append(run.specYaml.hasSuffix("\n") ? String(run.specYaml.dropLast()) : run.specYaml)
        }
        return lines.joined(separator: "\n")
    }
}
