import Foundation
import GRDB

/// What makes runs a group: the folds of one k-fold (`kfold`) or the combinations of one sweep (`sweep`).
public enum RunGroupKind: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    case kfold, sweep
}

/// Runs recorded together whose metrics are aggregated (table `run_group`, members in `run_group_member`).
/// `label` is what the members share: the sweep combination of a k-fold's folds (`model.depth=18`, or '' for a
/// k-fold without a sweep), or '' for a sweep.
public struct RunGroupRecord: StoreRecord, Equatable, Sendable {
    public static let databaseTableName = "run_group"
    public var id: Int64?
    public var experimentId: Int64
    public var kind: RunGroupKind
    public var label: String
    public var createdAt: Date

    public init(id: Int64? = nil, experimentId: Int64, kind: RunGroupKind, label: String, createdAt: Date = Date()) {
        self.id = id
        self.experimentId = experimentId
        self.kind = kind
        self.label = label
        self.createdAt = createdAt
    }

    /// - Throws: ``StoreValueError`` naming the row and the column of a value of the wrong type.
    public init(row: Row) throws {
        let r = StoreRow(
            row, table: Self.databaseTableName, key: "id \(StoreRow.describeKey(StoreRow.databaseValue(row, "id")))")
        id = try r.optional("id")
        experimentId = try r.value("experiment_id")
        kind = try r.value("kind")
        label = try r.value("label")
        createdAt = try r.value("created_at")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A group's aggregate of one metric over its finished runs: mean, sample standard deviation (nil for one run),
/// `n` finished runs with the metric, of `runs` members. Table `group_metric`.
public struct GroupMetricRecord: StoreRecord, Equatable, Sendable {
    public static let databaseTableName = "group_metric"
    public var groupId: Int64
    public var metric: String
    public var mean: Double
    public var std: Double?
    public var n: Int
    public var runs: Int
    public var updatedAt: Date

    public init(groupId: Int64, metric: String, mean: Double, std: Double?, n: Int, runs: Int, updatedAt: Date = Date())
    {
        self.groupId = groupId
        self.metric = metric
        self.mean = mean
        self.std = std
        self.n = n
        self.runs = runs
        self.updatedAt = updatedAt
    }

    /// - Throws: ``StoreValueError`` naming the row and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key =
            "group \(StoreRow.describeKey(StoreRow.databaseValue(row, "group_id"))), metric "
            + StoreRow.describeKey(StoreRow.databaseValue(row, "metric"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        groupId = try r.value("group_id")
        metric = try r.value("metric")
        mean = try r.finite("mean")
        std = try r.optionalFinite("std")
        n = try r.value("n")
        runs = try r.value("runs")
        updatedAt = try r.value("updated_at")
    }
}

/// A group, its members and its aggregates (for `ser show` and `ser compare`).
public struct RunGroupSummary: Codable, Equatable, Sendable {
    public var groupId: Int64
    public var experiment: String
    public var kind: RunGroupKind
    public var label: String
    public var runIds: [Int64]
    public var metrics: [GroupMetricRecord]
}

/// Aggregated group metrics: the last epoch's validation metrics and the test evaluation's, per run.
public enum GroupMetric: String, CaseIterable, Codable, Sendable {
    case finalAccuracy = "final_accuracy"
    case finalUAR = "final_uar"
    case finalF1 = "final_f1"
    case testAccuracy = "test_accuracy"
    case testUAR = "test_uar"
    case testF1 = "test_f1"

    /// The SQL giving this metric of the run `?`.
    var sql: String {
        switch self {
        case .finalAccuracy: return "SELECT accuracy FROM epoch_metric WHERE run_id = ? ORDER BY epoch DESC LIMIT 1"
        case .finalUAR:
            return "SELECT balanced_accuracy FROM epoch_metric WHERE run_id = ? ORDER BY epoch DESC LIMIT 1"
        case .finalF1: return "SELECT f1_macro FROM epoch_metric WHERE run_id = ? ORDER BY epoch DESC LIMIT 1"
        case .testAccuracy: return "SELECT accuracy FROM evaluation WHERE run_id = ? AND split = 'test'"
        case .testUAR: return "SELECT balanced_accuracy FROM evaluation WHERE run_id = ? AND split = 'test'"
        case .testF1: return "SELECT f1_macro FROM evaluation WHERE run_id = ? AND split = 'test'"
        }
    }
}

extension RunStore {
    /// Records a group of runs (at least two) of `experimentID`; returns its id.
    @discardableResult
    public func createGroup(experimentID: Int64, kind: RunGroupKind, label: String, runIDs: [Int64]) throws -> Int64 {
        try write { tx in
            let group = RunGroupRecord(experimentId: experimentID, kind: kind, label: label)
            guard let id = try tx.insert(group) else {
                throw RunStoreError.database(path: path, message: "the new group got no id")
            }
            for run in runIDs {
                try tx.execute(
                    "INSERT INTO run_group_member (group_id, run_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [id, run])
            }
            try Self.refreshGroups(containing: runIDs, tx)
            return id
        }
    }

    /// Recomputes the aggregates of every group holding one of `runIDs` over its finished runs (called in the
    /// transaction that finishes a run, so whichever process finishes the last run of a group — a resumed run,
    /// a worker on another machine — stores the aggregate). A group without a finished run has no rows.
    static func refreshGroups(containing runIDs: [Int64], _ tx: any StoreTransaction) throws {
        try refreshGroups(try groupIDs(containing: runIDs, tx), tx)
    }

    /// The groups holding one of `runIDs` (none in a store without groups).
    static func groupIDs(containing runIDs: [Int64], _ tx: any StoreTransaction) throws -> [Int64] {
        guard try tx.tableExists("run_group_member"), !runIDs.isEmpty else { return [] }
        let placeholders = runIDs.map { _ in "?" }.joined(separator: ",")
        return try tx.rows(
            "SELECT DISTINCT group_id FROM run_group_member WHERE run_id IN (\(placeholders)) ORDER BY group_id",
            runIDs
        ).compactMap { $0["group_id"] as Int64? }
    }

    /// Recomputes the aggregates of `groups` (see ``refreshGroups(containing:_:)``).
    static func refreshGroups(_ groups: [Int64], _ tx: any StoreTransaction) throws {
        let now = Date()
        for group in groups.sorted() {
            // Take the group's row lock first (a no-op update): on PostgreSQL two workers finishing runs of one
            // group at once would otherwise both delete nothing and both insert its aggregates, and the second
            // would fail on the key; this way the second waits, then sees and replaces the first's rows. (SQLite
            // already runs one writing transaction at a time.) Groups are locked in id order, so two refreshes
            // cannot wait for each other.
            try tx.execute("UPDATE run_group SET created_at = created_at WHERE id = ?", [group])
            let members = try tx.rows(
                "SELECT run_id FROM run_group_member WHERE group_id = ? ORDER BY run_id", [group])
            let finished = try tx.rows(
                """
                SELECT m.run_id FROM run_group_member m JOIN run ON run.id = m.run_id
                WHERE m.group_id = ? AND run.status = 'finished' ORDER BY m.run_id
                """, [group]
            ).compactMap { $0["run_id"] as Int64? }
            try tx.execute("DELETE FROM group_metric WHERE group_id = ?", [group])
            for metric in GroupMetric.allCases {
                var values: [Double] = []
                for run in finished {
                    guard let row = try tx.row(metric.sql, [run]) else { continue }
                    let table = metric.rawValue.hasPrefix("test") ? "evaluation" : "epoch_metric"
                    let column = row.columnNames.first ?? ""
                    if let value = try StoreRow(row, table: table, key: "run \(run)").optionalFinite(column) {
                        values.append(value)
                    }
                }
                guard !values.isEmpty else { continue }
                let mean = values.reduce(0, +) / Double(values.count)
                let std =
                    values.count > 1
                    ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
                    : nil
                let record = GroupMetricRecord(
                    groupId: group, metric: metric.rawValue, mean: mean, std: std, n: values.count,
                    runs: members.count, updatedAt: now)
                try tx.insert(record)
            }
        }
    }

    /// The groups holding run `id` (or every group of `experiment`, or every group), with their aggregates.
    public func groups(containing id: Int64? = nil, experiment: String? = nil) throws -> [RunGroupSummary] {
        try read { tx in
            guard try tx.tableExists("run_group") else { return [] }
            var sql = "SELECT run_group.* FROM run_group JOIN experiment ON experiment.id = run_group.experiment_id"
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let id {
                sql += " WHERE run_group.id IN (SELECT group_id FROM run_group_member WHERE run_id = ?)"
                arguments += [id]
            } else if let experiment {
                sql += " WHERE experiment.name = ?"
                arguments += [experiment]
            }
            sql += " ORDER BY run_group.id"
            return try tx.fetchAll(RunGroupRecord.self, sql, arguments).map { group in
                let experiment = try tx.fetchOne(
                    ExperimentRecord.self, "SELECT * FROM experiment WHERE id = ?", [group.experimentId])
                return RunGroupSummary(
                    groupId: group.id ?? 0, experiment: experiment?.name ?? "", kind: group.kind, label: group.label,
                    runIds: try tx.rows(
                        "SELECT run_id FROM run_group_member WHERE group_id = ? ORDER BY run_id", [group.id]
                    ).compactMap { $0["run_id"] as Int64? },
                    metrics: try tx.fetchAll(
                        GroupMetricRecord.self, "SELECT * FROM group_metric WHERE group_id = ? ORDER BY metric",
                        [group.id]))
            }
        }
    }
}
