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
        return try interrupting(queue, after: timeout) {
            try queue.read { db in try runQuery(db, sql: sql, arguments: arguments, limit: limit) }
        }
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
