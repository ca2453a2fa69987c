import Dispatch
import Foundation
import GRDB

/// The result of `ser query`: column names and rows of SQLite values (integer, real, text, blob as
/// base64, or null).
public struct QueryResult: Sendable {
    public enum Value: Equatable, Sendable, Encodable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob(Data)

        /// The value as text for tables and CSV ("" for null, blobs as base64).
        public var text: String {
            switch self {
            case .null: return ""
            case .integer(let value): return String(value)
            case .real(let value): return String(value)
            case .text(let value): return value
            case .blob(let value): return value.base64EncodedString()
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .integer(let value): try container.encode(value)
            case .real(let value): try container.encode(value)
            case .text(let value): try container.encode(value)
            case .blob(let value): try container.encode(value.base64EncodedString())
            }
        }
    }

    public var columns: [String]
    public var rows: [[Value]]

    public init(columns: [String], rows: [[Value]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// Why `ser query` refused or stopped a query (SQLite's own errors pass through as GRDB's `DatabaseError`).
public enum QueryError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case empty
    case multipleStatements
    case timedOut(seconds: TimeInterval)

    public var description: String {
        switch self {
        case .empty: return "the query holds no SQL statement."
        case .multipleStatements:
            return "the query holds more than one SQL statement; ser query runs one at a time (split it at ';')."
        case .timedOut(let seconds):
            return
                "the query ran longer than \(Self.format(seconds)) s and was stopped (a recursive WITH without an end?); add a LIMIT or a bound, or pass --timeout SECONDS."
        }
    }

    public var errorDescription: String? { description }

    static func format(_ seconds: TimeInterval) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

extension RunStore {
    /// How long a query may run before it is interrupted, unless the caller says otherwise.
    public static let defaultQueryTimeout: TimeInterval = 30

    /// Runs `sql` on a read-only connection to the store at `path`: any statement that would write fails
    /// with SQLite's own message ("attempt to write a readonly database"). At most `limit` rows are returned;
    /// a query still running after `timeout` seconds is interrupted.
    /// - Throws: `QueryError` for an empty or multi-statement query or one that ran out of time; GRDB's
    ///   `DatabaseError` (SQLite's message) for invalid SQL or a write attempt.
    public static func query(
        path: String, sql: String, arguments: [String] = [], limit: Int = 100_000,
        timeout: TimeInterval = defaultQueryTimeout
    ) throws -> QueryResult {
        let queue = try openReadOnly(path: path)
        do {
            return try interrupting(queue, after: timeout) {
                try queue.inDatabase { db in try defineQueryViews(db) }
                return try queue.read { db in try runQuery(db, sql: sql, arguments: arguments, limit: limit) }
            }
        } catch let error as DatabaseError
            where error.message.map({ message in
                Self.tablesOfParamsGroups.contains { message == "no such table: \($0)" }
            }) == true
        {
            // A store from before `v5-params-groups`: say how to get the tables rather than that they are missing.
            if try queue.read({ try !$0.tableExists("param") }) {
                throw RunStoreError.needsMigration(path: path, missing: ["v5-params-groups"])
            }
            throw error
        }
    }

    /// The tables and views `v5-params-groups` adds (and `run_summary`, built from them).
    static let tablesOfParamsGroups = [
        "param", "run_group", "run_group_member", "group_metric", "run_metrics", "group_summary", "run_summary",
    ]

    /// Defines the TEMP view `run_summary` on this connection (a read-only one may hold temp objects: they
    /// live in its own temporary database, never in the store): `run_metrics`' columns, then one column per
    /// spec key whose value differs between the runs of an experiment (`"model.depth"`), typed as
    /// ``ParamRecord/typedValue`` so `WHERE "model.depth" = 18` compares numbers. A store without `param`
    /// (older than `v5-params-groups`, opened read-only) gets no view.
    static func defineQueryViews(_ db: Database) throws {
        guard let select = try runSummarySelect(SQLiteTransaction(db: db)) else { return }
        try db.execute(sql: "DROP VIEW IF EXISTS temp.run_summary")
        try db.execute(sql: "CREATE TEMP VIEW run_summary AS " + select)
    }

    /// The SELECT of the `run_summary` view in `tx`'s dialect, nil for a store without `param` or `run_metrics`.
    /// On PostgreSQL a column has one type: a key whose values are all numbers (or all booleans) is a number
    /// column, any other key a text column.
    public static func runSummarySelect(_ tx: any StoreTransaction) throws -> String? {
        guard try tx.tableExists("param") else { return nil }
        switch tx.dialect {
        case .sqlite:
            guard try tx.row("SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = 'run_metrics'") != nil
            else { return nil }
        case .postgres:
            guard
                try tx.row("SELECT 1 FROM pg_views WHERE schemaname = current_schema() AND viewname = 'run_metrics'")
                    != nil
            else { return nil }
        }
        let rows = try tx.rows(
            """
            SELECT p.key, MIN(p.type) AS min_type, MAX(p.type) AS max_type FROM param p
            WHERE p.key IN (
                SELECT p2.key FROM param p2 JOIN run r ON r.id = p2.run_id
                WHERE p2.key NOT IN ('name', 'description')
                GROUP BY r.experiment_id, p2.key
                HAVING COUNT(DISTINCT p2.value) > 1
                    OR COUNT(*) < (SELECT COUNT(*) FROM run r2 WHERE r2.experiment_id = r.experiment_id))
            GROUP BY p.key ORDER BY p.key
            """)
        let columns = rows.compactMap { row -> String? in
            guard let key = row["key"] as String? else { return nil }
            let literal = "'" + key.replacingOccurrences(of: "'", with: "''") + "'"
            let name = "\"" + key.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let value: String
            switch tx.dialect {
            case .sqlite: value = typedParamValue
            case .postgres:
                let types = Set([row["min_type"] as String? ?? "", row["max_type"] as String? ?? ""])
                if types == ["int"] {
                    value = "CAST(value AS BIGINT)"
                } else if types.isSubset(of: ["int", "float"]) {
                    value = "CAST(value AS DOUBLE PRECISION)"
                } else if types == ["bool"] {
                    value = "CASE WHEN value = 'true' THEN 1 ELSE 0 END"
                } else {
                    value = "value"
                }
            }
            return
                ", (SELECT \(value) FROM param WHERE param.run_id = m.run_id AND param.key = \(literal)) AS \(name)"
        }
        let metrics = tx.dialect == .sqlite ? "main.run_metrics" : "run_metrics"
        return "SELECT m.*" + columns.joined() + " FROM \(metrics) m"
    }

    /// `query(path:sql:)` on this store (a read-only view of it: writes are refused as above).
    public func query(
        _ sql: String, arguments: [String] = [], limit: Int = 100_000, timeout: TimeInterval = defaultQueryTimeout
    ) throws -> QueryResult {
        try database.query(sql, arguments: arguments, limit: limit, timeout: timeout)
    }

    /// Runs `body`, interrupting `reader`'s statement if it is still running after `seconds`.
    static func interrupting<T>(_ reader: any DatabaseReader, after seconds: TimeInterval, _ body: () throws -> T)
        throws -> T
    {
        let fired = QueryTimer()
        let timer = DispatchWorkItem {
            fired.set()
            reader.interrupt()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
        defer { timer.cancel() }
        do {
            return try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT && fired.isSet {
            throw QueryError.timedOut(seconds: seconds)
        }
    }

    static func runQuery(_ db: Database, sql: String, arguments: [String], limit: Int) throws -> QueryResult {
        let statements = try db.allStatements(sql: sql)
        guard let statement = try statements.next() else { throw QueryError.empty }
        if try statements.next() != nil { throw QueryError.multipleStatements }
        statement.arguments = StatementArguments(arguments)
        let columns = statement.columnNames
        var rows: [[QueryResult.Value]] = []
        let cursor = try Row.fetchCursor(statement)
        while let row = try cursor.next(), rows.count < limit {
            rows.append(
                row.databaseValues.map { value in
                    switch value.storage {
                    case .null: return .null
                    case .int64(let v): return .integer(v)
                    case .double(let v): return .real(v)
                    case .string(let v): return .text(v)
                    case .blob(let v): return .blob(v)
                    }
                })
        }
        return QueryResult(columns: columns, rows: rows)
    }
}

/// Whether a query's timer fired (set on the timer's thread, read on the query's).
private final class QueryTimer: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
