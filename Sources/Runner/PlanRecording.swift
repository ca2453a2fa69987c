import Foundation
import RunStore
import Specs

extension ExperimentPlan {
    /// Records the plan in `store`: its experiment (found or created by name), one queued run per resolved
    /// spec, in order, with its parameters, and the plan's groups (k-folds, sweep). With `forWorkers`, each run
    /// also gets its row in the worker queue (``RunStore/enqueueForWorkers(_:parameters:)``), for `ser worker`.
    /// Returns the run ids.
    public func enqueue(in store: RunStore, toolVersion: String, forWorkers: Bool = false) throws -> [Int64] {
        let experiment = try store.findOrCreateExperiment(name: name, description: description)
        let ids = try runs.map { run in
            let record = RunRecord(
                experimentId: experiment.id!, name: run.runName, sweep: run.sweepLabel, specYaml: run.yaml,
                specHash: run.hash, seed: Int64(run.spec.seed), toolVersion: toolVersion)
            let parameters = try StoreParameters.flatten(run.yaml)
            return forWorkers
                ? try store.enqueueForWorkers(record, parameters: parameters)
                : try store.createRun(record, parameters: parameters)
        }
        for group in groups(ids) {
            try store.createGroup(
                experimentID: experiment.id!, kind: group.kind, label: group.label, runIDs: group.runs)
        }
        return ids
    }

    /// The groups of this plan's runs (`ids` in `runs` order): the folds of each k-fold (runs whose sweep
    /// assignments differ only in `split.fold`), and the whole sweep when it has several combinations.
    func groups(_ ids: [Int64]) -> [(kind: RunGroupKind, label: String, runs: [Int64])] {
        var result: [(kind: RunGroupKind, label: String, runs: [Int64])] = []
        var folds: [(label: String, runs: [Int64])] = []
        for (run, id) in zip(runs, ids) where run.sweep.contains(where: { $0.key == "split.fold" }) {
            let label = run.sweep.filter { $0.key != "split.fold" }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ", ")
            if let index = folds.firstIndex(where: { $0.label == label }) {
                folds[index].runs.append(id)
            } else {
                folds.append((label, [id]))
            }
        }
        result += folds.filter { $0.runs.count > 1 }.map { (.kfold, $0.label, $0.runs) }
        let swept = Set(runs.flatMap { $0.sweep.map(\.key) }).subtracting(["split.fold"])
        if !swept.isEmpty, ids.count > 1, folds.isEmpty || folds.count > 1 {
            result.append((.sweep, "", ids))
        }
        return result
    }
}

/// Specs' flattening of a resolved spec as the store's `param` rows: what `ser run` records with each run and
/// what a writing open uses to fill the rows of runs recorded before the store had them.
public enum StoreParameters {
    public static func flatten(_ yaml: String) throws -> [ParamRecord] {
        try SpecParameters.flatten(yaml: yaml).map { ParamRecord(key: $0.key, value: $0.value, type: $0.type.rawValue) }
    }

    /// ``flatten(_:)`` as the store's ``SpecParameterSource``.
    public static let source: SpecParameterSource = { try flatten($0) }
}
