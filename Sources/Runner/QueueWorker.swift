import Foundation
import RunStore
import Specs

/// How a worker takes runs from the queue (`ser worker`).
public struct WorkerOptions: Sendable {
    /// The name recorded with each run it claims (default `host:pid`; `slurm:JOB_TASK` in a Slurm array).
    public var workerID: String
    /// Stop after this many runs (nil: no limit).
    public var maxRuns: Int?
    /// Stop after the queue has had nothing to take for this many seconds (nil: wait for work forever).
    public var idleExit: TimeInterval?
    /// How long to wait between looks at an empty queue.
    public var pollInterval: TimeInterval

    public init(workerID: String, maxRuns: Int? = nil, idleExit: TimeInterval? = nil, pollInterval: TimeInterval = 2) {
        self.workerID = workerID
        self.maxRuns = maxRuns
        self.idleExit = idleExit
        self.pollInterval = pollInterval
    }

    /// `host:pid`, or `slurm:<array job>_<task>` (or `slurm:<job>`) inside a Slurm job.
    public static func defaultWorkerID(
        environment: [String: String] = ProcessInfo.processInfo.environment, host: String = RunStore.hostName,
        pid: Int32 = ProcessInfo.processInfo.processIdentifier
    ) -> String {
        if let job = environment["SLURM_ARRAY_JOB_ID"], let task = environment["SLURM_ARRAY_TASK_ID"] {
            return "slurm:\(job)_\(task)@\(host)"
        }
        if let job = environment["SLURM_JOB_ID"] { return "slurm:\(job)@\(host)" }
        return "\(host):\(pid)"
    }
}

extension ExperimentRunner {
    /// The worker loop of `ser worker`: claims one run of the store's worker queue at a time
    /// (``RunStore/claimNext(worker:staleness:pid:host:now:)``, using this runner's ``staleness``), trains and
    /// records it as `ser run` would (a run reclaimed from a dead worker, or stopped earlier, continues from its
    /// last checkpoint, bit-identically), and takes the next, until `maxRuns` runs are done, the queue stayed
    /// empty for `idleExit` seconds, or a stop is requested (the current run is then marked interrupted, and
    /// the next worker continues it). `onOutcome` sees each run as it ends.
    /// - Throws: a store error while claiming (the store is unreachable or damaged).
    public func work(_ worker: WorkerOptions, onOutcome: (RunOutcome) -> Void = { _ in }) throws -> [RunOutcome] {
        var outcomes: [RunOutcome] = []
        var idleSince = Date()
        while !stop.isRequested {
            if let max = worker.maxRuns, outcomes.count >= max { break }
            guard let claim = try store.claimNext(worker: worker.workerID, staleness: staleness) else {
                if let idle = worker.idleExit, Date().timeIntervalSince(idleSince) >= idle { break }
                let until = Date().addingTimeInterval(worker.pollInterval)
                while Date() < until, !stop.isRequested { Thread.sleep(forTimeInterval: 0.05) }
                continue
            }
            let outcome = execute(claimed: claim)
            outcomes.append(outcome)
            onOutcome(outcome)
            idleSince = Date()
        }
        return outcomes
    }

    /// Runs a claimed queue entry to its end (never throws: a spec that no longer loads fails the run).
    func execute(claimed claim: QueueClaim, loader: SpecLoader = SpecLoader()) -> RunOutcome {
        let run = claim.run
        let runID = run.id ?? 0
        let how: String
        switch claim.previousStatus {
        case .running: how = "reclaimed from \(claim.previousWorker ?? "a worker") (gone), resuming"
        case .interrupted: how = "resuming"
        default: how = claim.isResumption ? "resuming" : "starting"
        }
        options.log("run \(runID): \(how) \(run.name)")
        let resolved: ResolvedSpec
        do {
            resolved = try loader.load(resolvedYAML: run.specYaml, runName: run.name)
        } catch {
            try? store.fail(runID, reason: "\(error)")
            return RunOutcome(
                runID: runID, name: run.name, sweep: run.sweep, status: .failed, error: "\(error)", epochs: 0,
                seconds: 0)
        }
        return execute(runID: runID, resolved: resolved, resume: claim.isResumption, claimed: true)
    }
}
