import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// A metric runs can be compared and ranked by. `valid_loss` and `train_loss` are better when lower;
/// the others when higher. Epoch metrics come from `epoch_metric`; `test_*` from the `test` evaluation.
public enum StoreMetric: String, CaseIterable, Codable, Sendable {
    case validLoss = "valid_loss"
    case trainLoss = "train_loss"
    case accuracy
    /// Unweighted average recall (column `balanced_accuracy`).
    case uar
    case f1Macro = "f1_macro"
    case testAccuracy = "test_accuracy"
    case testUAR = "test_uar"
    case testF1Macro = "test_f1_macro"

    public var higherIsBetter: Bool { self != .validLoss && self != .trainLoss }

    /// Whether the metric comes from the test evaluation.
    public var isTest: Bool { testColumn != nil }

    /// The store column of the metric (in `epoch_metric`, or in `evaluation` for test metrics).
    var column: String {
        switch self {
        case .uar, .testUAR: return "balanced_accuracy"
        case .testAccuracy: return "accuracy"
        case .testF1Macro: return "f1_macro"
        default: return rawValue
        }
    }

    /// The `epoch_metric` column for an epoch metric; nil for a test metric.
    var epochColumn: String? {
        switch self {
        case .validLoss, .trainLoss, .accuracy, .uar, .f1Macro: return column
        default: return nil
        }
    }

    /// The `evaluation` column (split `valid`) holding an epoch metric for the kept model.
    var keptColumn: String? {
        switch self {
        case .validLoss: return "loss"
        case .accuracy, .uar, .f1Macro: return column
        default: return nil
        }
    }

    /// The `evaluation` column (split `test`) for a test metric.
    var testColumn: String? {
        rawValue.hasPrefix("test_") ? column : nil
    }

    /// The test metric measuring what this validation metric measures (nil for losses and test metrics).
    public var testCounterpart: StoreMetric? {
        switch self {
        case .accuracy: return .testAccuracy
        case .uar: return .testUAR
        case .f1Macro: return .testF1Macro
        default: return nil
        }
    }

    /// Parses a metric name (`valid_loss`, `accuracy`, `uar`, …; the column names `balanced_accuracy` and
    /// `test_balanced_accuracy` mean `uar` and `test_uar`); throws an error listing the names otherwise.
    public static func named(_ name: String) throws -> StoreMetric {
        let aliases = ["balanced_accuracy": StoreMetric.uar, "test_balanced_accuracy": .testUAR]
        guard let metric = StoreMetric(rawValue: name) ?? aliases[name] else {
            throw RunStoreError.unknownMetric(name)
        }
        return metric
    }
}

/// What `ser runs` lists: filters, all optional.
public struct RunFilter: Sendable {
    public var experiment: String?
    /// Recorded statuses, plus `stale` for running runs whose process is gone.
    public var statuses: [DisplayStatus]
    public var since: Date?
    public var limit: Int?

    public init(experiment: String? = nil, statuses: [DisplayStatus] = [], since: Date? = nil, limit: Int? = nil) {
        self.experiment = experiment
        self.statuses = statuses
        self.since = since
        self.limit = limit
    }
}

/// One line of `ser runs`: the run, its experiment, progress, best and final validation accuracy,
/// and the status to show (`stale` for a `running` run whose process is gone).
public struct RunSummary: Codable, Equatable, Sendable {
    public var id: Int64
    public var experiment: String
    public var name: String
    public var sweep: String
    public var status: RunStatus
    public var displayStatus: DisplayStatus
    public var epochs: Int
    public var bestAccuracy: Double?
    public var finalAccuracy: Double?
    public var finalValidLoss: Double?
    /// The last epoch's validation UAR (balanced accuracy).
    public var finalUAR: Double? = nil
    /// The kept model's validation UAR and accuracy (its `valid` evaluation; nil until the run finished).
    public var keptUAR: Double? = nil
    public var keptAccuracy: Double? = nil
    public var createdAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var heartbeatAt: Date?
    public var host: String
    public var pid: Int64?
    public var error: String?
    /// The worker that holds (or last held) a run of the worker queue (`ser worker`); nil for other runs.
    public var worker: String? = nil

    /// `id` is written `run_id` in JSON, as every command names a run's id.
    enum CodingKeys: String, CodingKey {
        case id = "runId"
        case experiment, name, sweep, status, displayStatus, epochs, bestAccuracy, finalAccuracy, finalValidLoss
        case finalUAR, keptUAR, keptAccuracy, createdAt, startedAt, endedAt, heartbeatAt, host, pid, error, worker
    }
}

/// When a `running` run counts as stale: its heartbeat is older than `heartbeatTimeout`, or it ran on this
/// host and its process no longer exists.
public struct Staleness: Sendable {
    public var heartbeatTimeout: TimeInterval
    public var host: String
    /// Whether process `pid` exists on this host (injectable for tests).
    public var isAlive: @Sendable (Int64) -> Bool

    public init(
        heartbeatTimeout: TimeInterval = 300, host: String = RunStore.hostName,
        isAlive: @escaping @Sendable (Int64) -> Bool = Staleness.processExists
    ) {
        self.heartbeatTimeout = heartbeatTimeout
        self.host = host
        self.isAlive = isAlive
    }

    /// `kill(pid, 0)`: true unless the process does not exist (ESRCH).
    public static let processExists: @Sendable (Int64) -> Bool = { pid in
        guard pid > 0, pid <= Int64(Int32.max) else { return false }
        return kill(pid_t(pid), 0) == 0 || errno != ESRCH
    }

    public func isStale(
        status: RunStatus, heartbeat: Date?, host runHost: String, pid: Int64?, now: Date = Date()
    ) -> Bool {
        guard status == .running else { return false }
        if let heartbeat, now.timeIntervalSince(heartbeat) > heartbeatTimeout { return true }
        if heartbeat == nil { return true }
        if runHost == host, let pid, !isAlive(pid) { return true }
        return false
    }
}

/// Everything `ser show` prints about a run.
public struct RunDetail: Codable, Sendable {
    public var run: RunRecord
    public var experiment: ExperimentRecord
    public var displayStatus: DisplayStatus
    public var epochs: [EpochMetricRecord]
    public var lrFinder: [LRFinderPointRecord]
    public var suggestions: [LRSuggestionRecord]
    public var evaluations: [EvaluationRecord]
    public var classMetrics: [ClassMetricRecord]
    public var artifacts: [ArtifactRecord]
    /// The groups (k-fold, sweep) the run belongs to, with their stored aggregates.
    public var groups: [RunGroupSummary] = []
    /// The machines the run ran on (a second one when it was resumed on another).
    public var environments: [RunEnvironmentRecord] = []
    /// `ser eval --store` results of the run's model on other corpora.
    public var storedEvaluations: [StoredEvaluationRecord] = []
}

/// One run's best and final value of a metric, and its resolved spec (for `ser compare` and `ser export`).
public struct RunMetrics: Codable, Equatable, Sendable {
    public var runID: Int64
    public var experiment: String
    public var name: String
    public var status: RunStatus
    public var specYaml: String
    public var metric: StoreMetric
    public var best: Double?
    /// The epoch of the best value (nil for test metrics, which have one value).
    public var bestEpoch: Int?
    public var final: Double?
    /// The value of the model the run kept (its `valid` evaluation: the best or the last epoch, as its
    /// spec's `train.keep` says); nil before the run finished, for test metrics and for `train_loss`.
    public var kept: Double? = nil
    public var epochs: Int
}

extension RunStore {
    static let summarySQL = """
        SELECT run.id, experiment.name AS experiment, run.name, run.sweep, run.status, run.created_at,
            run.started_at, run.ended_at, run.heartbeat_at, run.host, run.pid, run.error,
            (SELECT COUNT(*) FROM epoch_metric e WHERE e.run_id = run.id) AS epochs,
            (SELECT MAX(accuracy) FROM epoch_metric e WHERE e.run_id = run.id) AS best_accuracy,
            (SELECT accuracy FROM epoch_metric e WHERE e.run_id = run.id ORDER BY epoch DESC LIMIT 1)
                AS final_accuracy,
            (SELECT valid_loss FROM epoch_metric e WHERE e.run_id = run.id ORDER BY epoch DESC LIMIT 1)
                AS final_valid_loss,
            (SELECT balanced_accuracy FROM epoch_metric e WHERE e.run_id = run.id ORDER BY epoch DESC LIMIT 1)
                AS final_uar,
            (SELECT balanced_accuracy FROM evaluation v WHERE v.run_id = run.id AND v.split = 'valid') AS kept_uar,
            (SELECT accuracy FROM evaluation v WHERE v.run_id = run.id AND v.split = 'valid') AS kept_accuracy
        FROM run JOIN experiment ON experiment.id = run.experiment_id
        """

    /// One summary line from a row of ``summarySQL``.
    /// - Throws: ``StoreValueError`` naming the table, run and column of a value of the wrong type.
    static func summary(_ row: Row, staleness: Staleness, now: Date) throws -> RunSummary {
        let key = StoreRow.runKey(row, column: "id")
        let run = StoreRow(row, table: "run", key: key)
        let epochs = StoreRow(row, table: "epoch_metric", key: key)
        let status: RunStatus = try run.value("status")
        let heartbeat: Date? = try run.optional("heartbeat_at")
        let host: String = try run.value("host")
        let pid: Int64? = try run.optional("pid")
        let stale = staleness.isStale(status: status, heartbeat: heartbeat, host: host, pid: pid, now: now)
        return RunSummary(
            id: try run.value("id"), experiment: try StoreRow(row, table: "experiment", key: key).value("experiment"),
            name: try run.value("name"), sweep: try run.value("sweep"), status: status,
            displayStatus: stale ? .stale : DisplayStatus(status), epochs: try epochs.value("epochs"),
            bestAccuracy: try epochs.optionalFinite("best_accuracy"),
            finalAccuracy: try epochs.optionalFinite("final_accuracy"),
            finalValidLoss: try epochs.optionalFinite("final_valid_loss"),
            finalUAR: try epochs.optionalFinite("final_uar"),
            keptUAR: try StoreRow(row, table: "evaluation", key: key).optionalFinite("kept_uar"),
            keptAccuracy: try StoreRow(row, table: "evaluation", key: key).optionalFinite("kept_accuracy"),
            createdAt: try run.value("created_at"),
            startedAt: try run.optional("started_at"), endedAt: try run.optional("ended_at"), heartbeatAt: heartbeat,
            host: host, pid: pid, error: try run.optional("error"))
    }

    /// The runs matching `filter`, newest first, with stale running runs shown as `stale` (the store is not
    /// changed; see ``interruptStaleRuns(staleness:)``).
    public func runs(_ filter: RunFilter = RunFilter(), staleness: Staleness = Staleness(), now: Date = Date())
        throws -> [RunSummary]
    {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let experiment = filter.experiment {
            clauses.append("experiment.name = ?")
            arguments.append(experiment)
        }
        if let since = filter.since {
            clauses.append("run.created_at >= ?")
            arguments.append(since)
        }
        let sql =
            Self.summarySQL + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY run.id DESC"
        var summaries = try read { tx in
            try tx.rows(sql, arguments).map {
                try Self.summary($0, staleness: staleness, now: now)
            }
        }.map(withFailureNote)
        if !filter.statuses.isEmpty {
            summaries = summaries.filter { filter.statuses.contains($0.displayStatus) }
        }
        if let limit = filter.limit { summaries = Array(summaries.prefix(limit)) }
        let queue = try queueEntries()
        if !queue.isEmpty {
            for index in summaries.indices { summaries[index].worker = queue[summaries[index].id]?.worker }
        }
        return summaries
    }

    /// The run `id`, if it exists.
    public func run(_ id: Int64) throws -> RunRecord? {
        try read { try $0.fetchOne(RunRecord.self, "SELECT * FROM run WHERE id = ?", [id]) }
    }

    /// The summary line of run `id`.
    public func summary(of id: Int64, staleness: Staleness = Staleness(), now: Date = Date()) throws -> RunSummary {
        guard
            let row = try read({ try $0.row(Self.summarySQL + " WHERE run.id = ?", [id]) })
        else { throw RunStoreError.noSuchRun(id) }
        return withFailureNote(try Self.summary(row, staleness: staleness, now: now))
    }

    /// A running run whose end only reached its failure note is shown with the note's status and reason.
    func withFailureNote(_ summary: RunSummary) -> RunSummary {
        guard summary.status == .running, let note = failureNote(of: summary.id) else { return summary }
        var summary = summary
        summary.displayStatus = DisplayStatus(note.status)
        summary.error = note.reason
        return summary
    }

    /// Everything recorded about run `id`.
    public func detail(of id: Int64, staleness: Staleness = Staleness(), now: Date = Date()) throws -> RunDetail {
        // The records first, so a damaged value is named by its own row rather than by a summary column.
        var detail = try read { tx in
            guard let run = try tx.fetchOne(RunRecord.self, "SELECT * FROM run WHERE id = ?", [id]),
                let experiment = try tx.fetchOne(
                    ExperimentRecord.self, "SELECT * FROM experiment WHERE id = ?", [run.experimentId])
            else { throw RunStoreError.noSuchRun(id) }
            func byRun(_ table: String, _ order: String) -> String {
                "SELECT * FROM \(table) WHERE run_id = ? ORDER BY \(order)"
            }
            return RunDetail(
                run: run, experiment: experiment, displayStatus: DisplayStatus(run.status),
                epochs: try tx.fetchAll(EpochMetricRecord.self, byRun("epoch_metric", "epoch"), [id]),
                lrFinder: try tx.fetchAll(LRFinderPointRecord.self, byRun("lr_finder_point", "iteration"), [id]),
                suggestions: try tx.fetchAll(LRSuggestionRecord.self, byRun("lr_suggestion", "method"), [id]),
                evaluations: try tx.fetchAll(EvaluationRecord.self, byRun("evaluation", "split DESC"), [id]),
                classMetrics: try tx.fetchAll(ClassMetricRecord.self, byRun("class_metric", "split DESC, label"), [id]),
                artifacts: try tx.fetchAll(ArtifactRecord.self, byRun("artifact", "id"), [id]))
        }
        // A stale run, or one whose end only reached its failure note, is shown as such.
        let summary = try summary(of: id, staleness: staleness, now: now)
        if summary.displayStatus != DisplayStatus(detail.run.status), let status = summary.displayStatus.runStatus {
            detail.run.status = status
            detail.run.error = summary.error
        }
        detail.displayStatus = summary.displayStatus
        detail.groups = try groups(containing: id)
        detail.environments = try environments(of: id)
        detail.storedEvaluations = try storedEvaluations(of: id)
        return detail
    }

    /// The epochs of run `id`, in order.
    public func epochs(of id: Int64) throws -> [EpochMetricRecord] {
        try read {
            try $0.fetchAll(EpochMetricRecord.self, "SELECT * FROM epoch_metric WHERE run_id = ? ORDER BY epoch", [id])
        }
    }

    /// The predictions of run `id` on `split`, by path.
    public func predictions(of id: Int64, split: String) throws -> [PredictionRecord] {
        try read {
            try $0.fetchAll(
                PredictionRecord.self, "SELECT * FROM prediction WHERE run_id = ? AND split = ? ORDER BY path",
                [id, split])
        }
    }

    /// Best and final `metric` of the given runs, or of every run of `experiment`, or of every run;
    /// sorted best first (runs without the metric last, by id).
    public func compare(runIDs: [Int64] = [], experiment: String? = nil, metric: StoreMetric) throws
        -> [RunMetrics]
    {
        let rows: [RunMetrics] = try read { tx in
            var sql = """
                SELECT run.id, experiment.name AS experiment, run.name, run.status, run.spec_yaml,
                    (SELECT COUNT(*) FROM epoch_metric e WHERE e.run_id = run.id) AS epochs
                FROM run JOIN experiment ON experiment.id = run.experiment_id
                """
            var arguments: [(any DatabaseValueConvertible)?] = []
            var clauses: [String] = []
            if !runIDs.isEmpty {
                clauses.append("run.id IN (\(runIDs.map { _ in "?" }.joined(separator: ",")))")
                for id in runIDs { arguments.append(id) }
            }
            if let experiment {
                clauses.append("experiment.name = ?")
                arguments.append(experiment)
            }
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY run.id"
            return try tx.rows(sql, arguments).map { row in
                let key = StoreRow.runKey(row, column: "id")
                let r = StoreRow(row, table: "run", key: key)
                let id: Int64 = try r.value("id")
                var result = RunMetrics(
                    runID: id, experiment: try StoreRow(row, table: "experiment", key: key).value("experiment"),
                    name: try r.value("name"), status: try r.value("status"), specYaml: try r.value("spec_yaml"),
                    metric: metric, best: nil, bestEpoch: nil, final: nil,
                    epochs: try StoreRow(row, table: "epoch_metric", key: key).value("epochs"))
                /// One number of `table` for this run, read strictly (a statement's own conversion turns text into 0).
                func number(_ table: String, _ column: String, _ sql: String) throws -> Double? {
                    guard let row = try tx.row(sql, [id]) else { return nil }
                    return try StoreRow(row, table: table, key: key).optionalFinite(column)
                }
                if let column = metric.epochColumn {
                    let order = metric.higherIsBetter ? "DESC" : "ASC"
                    if let best = try tx.row(
                        """
                        SELECT epoch, \(column) FROM epoch_metric
                        WHERE run_id = ? AND \(column) IS NOT NULL ORDER BY \(column) \(order), epoch LIMIT 1
                        """, [id])
                    {
                        let epochKey = key + ", epoch " + StoreRow.describeKey(StoreRow.databaseValue(best, "epoch"))
                        let b = StoreRow(best, table: "epoch_metric", key: epochKey)
                        result.best = try b.optionalFinite(column)
                        result.bestEpoch = try b.value("epoch")
                    }
                    result.final = try number(
                        "epoch_metric", column,
                        "SELECT \(column) FROM epoch_metric WHERE run_id = ? ORDER BY epoch DESC LIMIT 1")
                    if let kept = metric.keptColumn {
                        result.kept = try number(
                            "evaluation", kept, "SELECT \(kept) FROM evaluation WHERE run_id = ? AND split = 'valid'")
                    }
                } else if let column = metric.testColumn {
                    let value = try number(
                        "evaluation", column, "SELECT \(column) FROM evaluation WHERE run_id = ? AND split = 'test'")
                    result.best = value
                    result.final = value
                }
                return result
            }
        }
        return rows.sorted { a, b in
            switch (a.best, b.best) {
            case let (x?, y?) where x != y: return metric.higherIsBetter ? x > y : x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.runID < b.runID
            }
        }
    }

    /// The run with the best `metric` (optionally within `experiment`), if any run has recorded it: ranked by
    /// the value of the model each run kept (``RunMetrics/kept``, what `ser export` copies), else by its
    /// best epoch.
    public func bestRun(metric: StoreMetric, experiment: String? = nil) throws -> RunMetrics? {
        if let experiment, try self.experiment(named: experiment) == nil {
            throw RunStoreError.noSuchExperiment(experiment)
        }
        // `min(by:)` returns the first of equal values, so ties keep `compare`'s order.
        return try compare(experiment: experiment, metric: metric).filter { $0.best != nil }.min { a, b in
            let x = a.kept ?? a.best!, y = b.kept ?? b.best!
            return metric.higherIsBetter ? x > y : x < y
        }
    }

    /// Marks every stale running run `interrupted` (the process is gone); returns their ids.
    @discardableResult
    public func interruptStaleRuns(staleness: Staleness = Staleness(), now: Date = Date()) throws -> [Int64] {
        let stale = try runs(RunFilter(statuses: [.stale]), staleness: staleness, now: now).map(\.id)
        for id in stale { try interrupt(id, reason: "stale: the process stopped without closing the run") }
        return stale
    }
}
