import Foundation
import RunStore
import Runner
import Training

/// What `ser run` and `ser resume` print when runs end, and how they exit.
enum RunOutput {
    /// Standard error, unbuffered.
    static func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// One paragraph per run: status, kept epoch, validation (and test) metrics, weights.
    static func text(_ outcomes: [RunOutcome]) -> String {
        var lines: [String] = []
        for o in outcomes {
            var head = "run \(o.runID) (\(o.name)) \(o.status.rawValue)"
            if o.epochs > 0 { head += " after \(o.epochs) epoch\(o.epochs == 1 ? "" : "s")" }
            head += " in \(StoreFormat.duration(o.seconds))"
            if let error = o.error { head += ": \(error)" }
            lines.append(head)
            if let valid = o.valid {
                var line =
                    "  valid: UAR \(StoreFormat.number(valid.uar)), accuracy \(StoreFormat.number(valid.accuracy)), macro-F1 \(StoreFormat.number(valid.f1Macro))"
                if let epoch = o.bestEpoch, let metric = o.selectedBy {
                    if metric == "last" {
                        line += " (epoch \(epoch), the last)"
                    } else if metric.hasPrefix("average") {
                        line += " (\(metric))"
                    } else {
                        line += " (epoch \(epoch), best \(metric))"
                    }
                }
                lines.append(line)
            } else if o.status == .finished, let metric = o.selectedBy {
                let kept = metric == "last" ? "epoch \(o.bestEpoch ?? o.epochs), the last" : metric
                lines.append("  valid: none (split.kind: none); kept \(kept)")
            }
            if let test = o.test {
                lines.append(
                    "  test:  UAR \(StoreFormat.number(test.uar)), accuracy \(StoreFormat.number(test.accuracy)), macro-F1 \(StoreFormat.number(test.f1Macro))"
                )
            }
            if let weights = o.weights {
                lines.append("  weights: \(weights)  (ser export \(o.runID) -o model.safetensors)")
            }
            if o.status == .interrupted || (o.status == .failed && o.epochs > 0) {
                lines.append("  continue it with: ser resume \(o.runID)")
            }
        }
        if let folds = foldSummary(outcomes) { lines.append(folds) }
        return lines.joined(separator: "\n")
    }

    /// Mean ± std over the finished runs when there are several (k-fold folds, or sweep members).
    static func foldSummary(_ outcomes: [RunOutcome]) -> String? {
        let finished = outcomes.compactMap(\.valid)
        guard finished.count > 1, outcomes.allSatisfy({ $0.sweep.hasPrefix("split.fold=") }) else { return nil }
        let accuracy = MeanStd(finished.map(\.accuracy))
        let uar = MeanStd(finished.map(\.uar))
        let f1 = MeanStd(finished.map(\.f1Macro))
        return
            "k-fold over \(finished.count) folds: UAR \(uar), accuracy \(accuracy), macro-F1 \(f1)"
    }

    /// Exit code: 130 when a run was interrupted, 1 when one failed, 0 otherwise.
    static func exitCode(_ outcomes: [RunOutcome]) -> Int32 {
        if outcomes.contains(where: { $0.status == .interrupted }) { return 130 }
        if outcomes.contains(where: { $0.status == .failed }) { return 1 }
        return 0
    }

    /// Ctrl-C handling for a runner: the first signal stops after the current epoch; a second one marks
    /// the run interrupted at once and exits with 130.
    static func trapSignals(_ runner: ExperimentRunner) -> SignalTrap {
        let store = runner.store
        return SignalTrap(
            flag: runner.stop,
            onFirst: { _ in
                log("\nstopping after this epoch (its metrics and checkpoint are kept); Ctrl-C again to stop now")
            },
            onRepeat: { _ in
                if let current = runner.current {
                    let kept = current.epochs == 0 ? "no epoch finished" : "epochs 1-\(current.epochs) kept"
                    try? store.interrupt(
                        current.runID, reason: "interrupted by Ctrl-C during epoch \(current.epochs + 1); \(kept)")
                    log("\nrun \(current.runID) interrupted; continue it with: ser resume \(current.runID)")
                }
                exit(130)
            })
    }
}

extension ExperimentRunner: @unchecked Sendable {}
