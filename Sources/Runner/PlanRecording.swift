import Foundation
import RunStore
import Specs

extension ExperimentPlan {
    /// Records the plan in `store`: its experiment (found or created by name) and one queued run per resolved
    /// spec, in order. Returns the run ids.
    public func enqueue(in store: RunStore, toolVersion: String) throws -> [Int64] {
        let experiment = try store.findOrCreateExperiment(name: name, description: description)
        return try runs.map { run in
            try store.createRun(
                experimentID: experiment.id!, name: run.runName, sweep: run.sweepLabel, specYAML: run.yaml,
                specHash: run.hash, seed: Int64(run.spec.seed), toolVersion: toolVersion)
        }
    }
}

extension ExperimentPlan {
    /// Records the plan for `ser worker`: its experiment and one queued run per resolved spec, each with its row
    /// in the worker queue (``RunStore/enqueueForWorkers(_:)``), in order. Nothing is trained. Returns the run ids.
    public func enqueueForWorkers(in store: RunStore, toolVersion: String) throws -> [Int64] {
        let experiment = try store.findOrCreateExperiment(name: name, description: description)
        return try runs.map { run in
            try store.enqueueForWorkers(
                RunRecord(
                    experimentId: experiment.id!, name: run.runName, sweep: run.sweepLabel, specYaml: run.yaml,
                    specHash: run.hash, seed: Int64(run.spec.seed), toolVersion: toolVersion))
        }
    }
}
