import ArgumentParser
import Foundation
import Plots
import RunStore
import Runner
import Specs
import Training

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
        name: [.customLong("sort"), .customLong("metric")],
        help: ArgumentHelp(
            "The metric to rank by (--metric is the same): \(StoreMetric.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "metric"))
    var metric: String = StoreMetric.uar.rawValue

    @Option(
        name: .customLong("where"),
        help: ArgumentHelp(
            "Only runs whose spec key compares so: KEY=VALUE, KEY!=VALUE, KEY<VALUE, KEY>VALUE (repeatable; numbers compare as numbers).",
            valueName: "condition"))
    var conditions: [String] = []

    @Option(
        name: .customLong("group-by"),
        help: ArgumentHelp(
            "Aggregate by the value of this spec key: mean ± std of the metric and the number of runs per value.",
            valueName: "key"))
    var groupBy: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        do { _ = try StoreMetric.named(metric) } catch { throw ValidationError("\(error)") }
        do { _ = try conditions.map(ParameterCondition.init) } catch { throw ValidationError("\(error)") }
    }

    /// One compared run: its metrics and the values of the differing keys.
    struct Row: Encodable {
        var runId: Int64
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

    /// The runs sharing one value of the `--group-by` key.
    struct GroupRow: Encodable {
        var key: String
        /// The key's value ("–" for runs without it).
        var value: String
        var runIds: [Int64]
        /// Runs with a value of the metric (mean and std are over these).
        var n: Int
        var metric: String
        var bestMean: Double?
        var bestStd: Double?
        var finalMean: Double?
        var finalStd: Double?
    }

    func rows() throws -> (keys: [String], rows: [Row]) {
        let runStore = try store.openForReading(needsFiles: false)
        let all = try runStore.compare(runIDs: runs, experiment: experiment, metric: StoreMetric.named(metric))
        if !runs.isEmpty {
            let missing = Set(runs).subtracting(all.map(\.runID))
            if let id = missing.sorted().first { throw RunStoreError.noSuchRun(id) }
        }
        let hasParameters = try runStore.hasParameters()
        // The stored `param` rows (Specs' flattening of the same `spec_yaml` for a run recorded without them).
        let parameters: [[String: (value: String, type: String)]] = try all.map { result in
            var rows = hasParameters ? try runStore.parameters(of: result.runID) : []
            if rows.isEmpty { rows = (try? StoreParameters.flatten(result.specYaml)) ?? [] }
            return Dictionary(rows.map { ($0.key, ($0.value, $0.type)) }, uniquingKeysWith: { a, _ in a })
        }
        let filters = try conditions.map(ParameterCondition.init)
        for filter in filters where !parameters.contains(where: { $0[filter.key] != nil }) && !all.isEmpty {
            throw CompareError.unknownKey(filter.key)
        }
        let metrics = zip(all, parameters).filter { _, values in filters.allSatisfy { $0.matches(values[$0.key]) } }
            .map(\.0)
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
                case .uar: return epoch.balancedAccuracy
                case .f1Macro: return epoch.f1Macro
                default: return nil
                }
            }
            return Row(
                runId: result.runID, experiment: result.experiment, name: result.name, status: result.status,
                epochs: result.epochs, metric: result.metric.rawValue, best: result.best, bestEpoch: result.bestEpoch,
                final: result.final,
                parameters: Dictionary(uniqueKeysWithValues: keys.map { ($0, spec[$0] ?? "–") }), curve: curve)
        }
        return (keys, rows)
    }

    /// `--group-by`: the runs per value of the key, best mean first (runs without the key under "–").
    func groupRows(_ rows: [Row], runStore: RunStore) throws -> [GroupRow] {
        guard let key = groupBy else { return [] }
        let storeMetric = try StoreMetric.named(metric)
        var values: [String: [Row]] = [:]
        var order: [String] = []
        for row in rows {
            let spec = try runStore.run(row.runId).map { SpecDiff.flatten(yaml: $0.specYaml) } ?? [:]
            let value = spec[key] ?? "–"
            if values[value] == nil { order.append(value) }
            values[value, default: []].append(row)
        }
        if !rows.isEmpty, order == ["–"] { throw CompareError.unknownKey(key) }
        let groups = order.map { value -> GroupRow in
            let members = values[value] ?? []
            let bests = members.compactMap(\.best), finals = members.compactMap(\.final)
            let best = MeanStd(bests), final = MeanStd(finals)
            return GroupRow(
                key: key, value: value, runIds: members.map(\.runId).sorted(), n: bests.count,
                metric: storeMetric.rawValue,
                bestMean: bests.isEmpty ? nil : best.mean, bestStd: bests.count > 1 ? best.std : nil,
                finalMean: finals.isEmpty ? nil : final.mean, finalStd: finals.count > 1 ? final.std : nil)
        }
        return groups.sorted { a, b in
            switch (a.bestMean, b.bestMean) {
            case let (x?, y?) where x != y: return storeMetric.higherIsBetter ? x > y : x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return false
            }
        }
    }

    /// `mean ± std` ("-" without values; no ± for one value).
    static func meanStd(_ mean: Double?, _ std: Double?) -> String {
        guard let mean else { return "-" }
        return StoreFormat.number(mean) + (std.map { " ± " + StoreFormat.number($0) } ?? "")
    }

    /// The stored aggregates of the groups the compared runs belong to, one line per group.
    static func groupLines(_ groups: [RunGroupSummary]) -> [String] {
        groups.map { group in
            let runs = group.metrics.first?.runs ?? group.runIds.count
            let what = group.kind == .kfold ? "k-fold" : "sweep"
            let label = group.label.isEmpty ? "" : " " + group.label
            let metrics = group.metrics.map { "\($0.metric) \(meanStd($0.mean, $0.std)) (n \($0.n))" }
            return "group \(group.groupId) (\(group.experiment), \(what)\(label), runs "
                + group.runIds.map(String.init).joined(separator: ",") + "): "
                + (metrics.isEmpty ? "no finished run yet" : metrics.joined(separator: ", ") + " of \(runs) runs")
        }
    }

    func output() throws -> String {
        let (keys, rows) = try rows()
        if groupBy != nil {
            let groups = try groupRows(rows, runStore: try store.openForReading(needsFiles: false))
            if json { return try StoreFormat.json(groups) }
            if groups.isEmpty { return "No runs to compare." }
            let key = groupBy ?? ""
            return StoreFormat.table(
                [key, "RUNS", "BEST \(metric) (mean ± std)", "FINAL (mean ± std)", "RUN IDS"],
                groups.map {
                    [
                        $0.value, String($0.runIds.count), Self.meanStd($0.bestMean, $0.bestStd),
                        Self.meanStd($0.finalMean, $0.finalStd), $0.runIds.map(String.init).joined(separator: ","),
                    ]
                }, right: [1, 2, 3])
        }
        if json { return try StoreFormat.json(rows) }
        if rows.isEmpty { return "No runs to compare." }
        let headers =
            ["RUN", "EXPERIMENT"] + keys + ["BEST \(metric)", "EPOCH", "FINAL", "EPOCHS", "STATUS", "PER EPOCH"]
        // One scale for every run's sparkline, so heights compare across rows.
        let all = rows.flatMap { $0.curve.compactMap { $0 } }.filter(\.isFinite)
        let shared = all.min().flatMap { lo in all.max().map { lo...$0 } }
        let table = rows.map { row in
            [String(row.runId), row.experiment] + keys.map { row.parameters[$0] ?? "–" } + [
                StoreFormat.number(row.best), row.bestEpoch.map(String.init) ?? "-", StoreFormat.number(row.final),
                String(row.epochs), row.status.rawValue,
                row.curve.contains { $0 != nil }
                    ? Sparkline.render(row.curve.map { $0 ?? .nan }, maxWidth: 24, range: shared) : "-",
            ]
        }
        let numeric = Set([0] + (keys.count + 2...keys.count + 5).map { $0 })
        var text = StoreFormat.table(headers, table, right: numeric)
        if keys.isEmpty && rows.count > 1 { text += "\n(the runs' specs do not differ)" }
        let compared = Set(rows.map(\.runId))
        let runStore = try store.openForReading(needsFiles: false)
        let groups = try runStore.groups(experiment: experiment).filter { !compared.isDisjoint(with: $0.runIds) }
        if !groups.isEmpty { text += "\n" + Self.groupLines(groups).joined(separator: "\n") }
        text += try Self.environmentNote(rows.map(\.runId), store: runStore).map { "\n\n" + $0 } ?? ""
        text += try Self.storedEvaluationLines(rows.map(\.runId), store: runStore).map { "\n\n" + $0 } ?? ""
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

/// A `--where` condition on a spec key: `KEY=VALUE`, `KEY!=VALUE`, `KEY<VALUE` or `KEY>VALUE`.
struct ParameterCondition: Equatable {
    enum Operator: String, CaseIterable {
        case notEqual = "!=", equal = "=", less = "<", greater = ">"
    }

    var key: String
    var op: Operator
    var value: String

    init(_ text: String) throws {
        guard
            let (op, range) = Operator.allCases.lazy.compactMap({ op in text.range(of: op.rawValue).map { (op, $0) } })
                .min(by: { $0.1.lowerBound < $1.1.lowerBound })
        else { throw CompareError.badCondition(text) }
        // `!=` and `=` start at different places: the earliest operator wins, `!=` over its own `=`.
        let chosen: (Operator, Range<String.Index>) =
            op == .equal && range.lowerBound > text.startIndex
                && text[text.index(before: range.lowerBound)] == "!"
            ? (.notEqual, text.index(before: range.lowerBound)..<range.upperBound) : (op, range)
        key = text[..<chosen.1.lowerBound].trimmingCharacters(in: .whitespaces)
        value = text[chosen.1.upperBound...].trimmingCharacters(in: .whitespaces)
        self.op = chosen.0
        guard !key.isEmpty, !value.isEmpty else { throw CompareError.badCondition(text) }
    }

    /// Whether a run's parameter (nil: the run has no such key, or it is null) satisfies the condition: numbers
    /// (`int`, `float`) compare as numbers, anything else as text; a missing key never matches.
    func matches(_ parameter: (value: String, type: String)?) -> Bool {
        guard let parameter else { return false }
        if parameter.type == "int" || parameter.type == "float", let a = Double(parameter.value), let b = Double(value)
        {
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .greater: return a > b
            }
        }
        switch op {
        case .equal: return parameter.value == value
        case .notEqual: return parameter.value != value
        case .less: return parameter.value < value
        case .greater: return parameter.value > value
        }
    }
}

/// Errors of `ser compare`'s options, each saying what is expected.
enum CompareError: Error, CustomStringConvertible, LocalizedError {
    case badCondition(String)
    case unknownKey(String)

    var description: String {
        switch self {
        case .badCondition(let text):
            return "--where expects KEY=VALUE, KEY!=VALUE, KEY<VALUE or KEY>VALUE (e.g. model.depth=18), got '\(text)'."
        case .unknownKey(let key):
            return
                "no compared run has the spec key '\(key)'; keys are dotted as in the spec (model.depth, train.augment.mixup.alpha; `ser show RUN --spec` lists them)."
        }
    }

    var errorDescription: String? { description }
}
