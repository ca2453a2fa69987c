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
