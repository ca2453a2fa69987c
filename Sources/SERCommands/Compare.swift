import ArgumentParser
import Foundation
import Plots
import RunStore
import Specs

/// `ser compare`: runs side by side.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs side by side: the spec keys that differ and the best and final metric, best first.")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Run ids (default: every run, or every run of --experiment).", valueName: "run"))
    var runs: [Int64] = []

    @Option(help: ArgumentHelp("Only runs of this experiment.", valueName: "name"))
    var experiment: String?

    @Option(
        help: ArgumentHelp(
            "The metric to rank by: \(StoreMetric.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "metric"))
    var metric: String = StoreMetric.accuracy.rawValue

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        do { _ = try StoreMetric.named(metric) } catch { throw ValidationError("\(error)") }
    }

    /// One compared run: its metrics and the values of the differing keys.
    struct Row: Encodable {
        var run: Int64
        var experiment: String
        var name: String
        var status: RunStatus
        var epochs: Int
        var metric: String
        var best: Double?
        var bestEpoch: Int?
        var final: Double?
        var parameters: [String: String]
        /// The metric per epoch (empty for test metrics, which have one value).
        var curve: [Double?]
    }

    func rows() throws -> (keys: [String], rows: [Row]) {
        let runStore = try store.openForReading()
        let metrics = try runStore.compare(runIDs: runs, experiment: experiment, metric: StoreMetric.named(metric))
        if !runs.isEmpty {
            let missing = Set(runs).subtracting(metrics.map(\.runID))
            if let id = missing.sorted().first { throw RunStoreError.noSuchRun(id) }
        }
        let specs = metrics.map { SpecDiff.flatten(yaml: $0.specYaml) }
        let keys = SpecDiff.differingKeys(specs)
        let storeMetric = try StoreMetric.named(metric)
        let rows = try zip(metrics, specs).map { result, spec in
            let epochs = storeMetric.rawValue.hasPrefix("test_") ? [] : try runStore.epochs(of: result.runID)
            let curve: [Double?] = epochs.map { epoch in
                switch storeMetric {
                case .validLoss: return epoch.validLoss
                case .trainLoss: return epoch.trainLoss
                case .accuracy: return epoch.accuracy
                case .balancedAccuracy: return epoch.balancedAccuracy
                case .f1Macro: return epoch.f1Macro
                default: return nil
                }
            }
            return Row(
                run: result.runID, experiment: result.experiment, name: result.name, status: result.status,
                epochs: result.epochs, metric: result.metric.rawValue, best: result.best, bestEpoch: result.bestEpoch,
                final: result.final,
                parameters: Dictionary(uniqueKeysWithValues: keys.map { ($0, spec[$0] ?? "–") }), curve: curve)
        }
        return (keys, rows)
    }

    func output() throws -> String {
        let (keys, rows) = try rows()
        if json { return try StoreFormat.json(rows) }
        if rows.isEmpty { return "No runs to compare." }
        let headers =
            ["RUN", "EXPERIMENT"] + keys + ["BEST \(metric)", "EPOCH", "FINAL", "EPOCHS", "STATUS", "PER EPOCH"]
        // One scale for every run's sparkline, so heights compare across rows.
        let all = rows.flatMap { $0.curve.compactMap { $0 } }.filter(\.isFinite)
        let shared = all.min().flatMap { lo in all.max().map { lo...$0 } }
        let table = rows.map { row in
            [String(row.run), row.experiment] + keys.map { row.parameters[$0] ?? "–" } + [
                StoreFormat.number(row.best), row.bestEpoch.map(String.init) ?? "-", StoreFormat.number(row.final),
                String(row.epochs), row.status.rawValue,
                row.curve.contains { $0 != nil }
                    ? Sparkline.render(row.curve.map { $0 ?? .nan }, maxWidth: 24, range: shared) : "-",
            ]
        }
        let numeric = Set([0] + (keys.count + 2...keys.count + 5).map { $0 })
        var text = StoreFormat.table(headers, table, right: numeric)
        if keys.isEmpty && rows.count > 1 { text += "\n(the runs' specs do not differ)" }
        let runStore = try store.openForReading()
        text += try Self.environmentNote(rows.map(\.run), store: runStore).map { "\n\n" + $0 } ?? ""
        text += try Self.storedEvaluationLines(rows.map(\.run), store: runStore).map { "\n\n" + $0 } ?? ""
        return text
    }

    /// A note when the compared runs ran with different CPUs, BLAS kernels or thread counts (any of their
    /// recorded environments, resumes included), listing which runs used which; nil when they agree.
    static func environmentNote(_ runs: [Int64], store: RunStore) throws -> String? {
        var runsByKey: [String: [Int64]] = [:]
        var order: [String] = []
        for run in runs {
            for key in Set(try store.environments(of: run).map(\.environment.numericKey)) {
                if runsByKey[key] == nil { order.append(key) }
                runsByKey[key, default: []].append(run)
            }
        }
        guard order.count > 1 else { return nil }
        return
            ([
                "Note: these runs ran on different CPUs, BLAS kernels or thread counts; results differ in their last digits across kernels:"
            ]
            + order.map { key in
                let ids = runsByKey[key] ?? []
                return "  \(ids.count == 1 ? "run" : "runs") \(ids.map(String.init).joined(separator: ", ")): \(key)"
            })
            .joined(separator: "\n")
    }

    /// The compared runs' `ser eval --store` results (held-out and cross-corpus), one line each; nil without any.
    static func storedEvaluationLines(_ runs: [Int64], store: RunStore) throws -> String? {
        let rows = try runs.flatMap { run in
            try store.storedEvaluations(of: run).map { evaluation in
                [
                    String(run), String(evaluation.id ?? 0), evaluation.dataPath, evaluation.layout,
                    String(evaluation.files), StoreFormat.number(evaluation.accuracy),
                    StoreFormat.number(evaluation.balancedAccuracy), StoreFormat.number(evaluation.f1Macro),
                ]
            }
        }
        guard !rows.isEmpty else { return nil }
        return "Stored evaluations (ser eval --store):\n"
            + StoreFormat.table(
                ["RUN", "EVAL", "DATA", "LAYOUT", "FILES", "ACCURACY", "UAR", "F1 MACRO"], rows,
                right: [0, 1, 4, 5, 6, 7])
    }

    func run() throws { print(try output()) }
}
