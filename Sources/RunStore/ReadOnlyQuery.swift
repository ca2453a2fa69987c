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
}

extension RunStore {
    /// Runs `sql` on a read-only connection to the store at `path`: any statement that would write fails
    /// with SQLite's own message ("attempt to write a readonly database"). At most `limit` rows are returned.
    /// - Throws: GRDB's `DatabaseError` (SQLite's message) for invalid SQL or a write attempt.
    public static func query(path: String, sql: String, arguments: [String] = [], limit: Int = 100_000) throws
        -> QueryResult
    {
        let queue = try openReadOnly(path: path)
        return try queue.read { db in try runQuery(db, sql: sql, arguments: arguments, limit: limit) }
    }

    /// `query(path:sql:)` on this store (a read-only view of it: writes are refused as above).
    public func query(_ sql: String, arguments: [String] = [], limit: Int = 100_000) throws -> QueryResult {
        if path == ":memory:" {
            // An in-memory store has no file to reopen: read inside a read-only transaction instead.
            return try writer.read { db in try Self.runQuery(db, sql: sql, arguments: arguments, limit: limit) }
        }
        return try Self.query(path: path, sql: sql, arguments: arguments, limit: limit)
    }

    static func runQuery(_ db: Database, sql: String, arguments: [String], limit: Int) throws -> QueryResult {
        let statement = try db.makeStatement(sql: sql)
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
