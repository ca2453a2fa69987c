import Foundation
import RunStore

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

extension SpecLoader {
    /// The spec a run recorded (its canonical resolved YAML), checked again (paths must still exist when
    /// `checkPaths`), for `ser resume`. The result's `yaml` and `hash` equal the recorded ones.
    public func load(resolvedYAML yaml: String, runName: String) throws -> ResolvedSpec {
        let plan = try load(yaml: yaml, file: runName)
        guard plan.runs.count == 1 else {
            throw SpecErrors([SpecError("a recorded spec expands to \(plan.runs.count) runs, expected 1", at: nil)])
        }
        return plan.runs[0]
    }
}
