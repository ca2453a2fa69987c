import Foundation
import GRDB

/// A value in the store whose type does not match its column (a hand-edited or damaged store): names the
/// table, the row and the column, what is there and what was expected.
public struct StoreValueError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public var table: String
    /// The row's key, e.g. `run 3`, `run 3, epoch 2`, `run 3, split valid`.
    public var row: String
    public var column: String
    /// What the column holds, e.g. `text 'x'`, `NULL`.
    public var found: String
    public var expected: String

    public init(table: String, row: String, column: String, found: String, expected: String) {
        self.table = table
        self.row = row
        self.column = column
        self.found = found
        self.expected = expected
    }

    public var description: String {
        "the run store's table \(table), row \(row), column \(column) holds \(found); expected \(expected) (the store was edited or damaged: correct or delete that row with sqlite3)"
    }

    public var errorDescription: String? { description }
}

/// Reads one row's columns strictly. GRDB's `row["column"]` subscripts stop the process when a value cannot
/// be converted, and its statement-level decoding turns text into 0; this reads each value as a
/// `DatabaseValue` and converts it with `fromDatabaseValue`, so a wrong type is a ``StoreValueError``.
struct StoreRow {
    let row: Row
    let table: String
    /// The row's key for error messages.
    let key: String

    init(_ row: Row, table: String, key: String) {
        self.row = row
        self.table = table
        self.key = key
    }

    /// `run N` from the row's `column` (a description of whatever is there when it is not an integer).
    static func runKey(_ row: Row, column: String = "run_id") -> String {
        "run \(describeKey(databaseValue(row, column)))"
    }

    /// A key value for a message: the integer or text itself, or a description of the stored value.
    static func describeKey(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .int64(let i): return "\(i)"
        case .string(let s): return "'\(s)'"
        default: return describe(value)
        }
    }

    static func databaseValue(_ row: Row, _ column: String) -> DatabaseValue {
        row.hasColumn(column) ? row[column] : .null
    }

    /// `text 'x'`, `integer 3`, `real 1.5`, `a blob of 4 bytes`, `NULL`.
    static func describe(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return "NULL"
        case .int64(let i): return "integer \(i)"
        case .double(let d): return "real \(d)"
        case .string(let s): return "text '\(s.count > 40 ? s.prefix(40) + "…" : s)'"
        case .blob(let data): return "a blob of \(data.count) bytes"
        }
    }

    func fail(_ column: String, _ value: DatabaseValue, _ expected: String) -> StoreValueError {
        StoreValueError(table: table, row: key, column: column, found: Self.describe(value), expected: expected)
    }

    /// The non-NULL value of `column`, converted.
    func value<T: DatabaseValueConvertible>(_ column: String, _ type: T.Type = T.self) throws -> T {
        let raw = Self.databaseValue(row, column)
        guard let value = T.fromDatabaseValue(raw) else { throw fail(column, raw, Self.expected(T.self)) }
        return value
    }

    /// The value of `column`, converted, or nil for NULL.
    func optional<T: DatabaseValueConvertible>(_ column: String, _ type: T.Type = T.self) throws -> T? {
        let raw = Self.databaseValue(row, column)
        if raw.isNull { return nil }
        guard let value = T.fromDatabaseValue(raw) else { throw fail(column, raw, Self.expected(T.self)) }
        return value
    }

    /// A number that must be finite (SQLite cannot store NaN; infinity it can).
    func finite(_ column: String) throws -> Double {
        let value: Double = try self.value(column)
        guard value.isFinite else { throw fail(column, Self.databaseValue(row, column), "a finite number") }
        return value
    }

    /// An optional number that must be finite when present.
    func optionalFinite(_ column: String) throws -> Double? {
        guard let value: Double = try optional(column) else { return nil }
        guard value.isFinite else { throw fail(column, Self.databaseValue(row, column), "a finite number") }
        return value
    }

    /// The JSON text (or blob) of `column`, decoded as `T`; `what` describes `T` for the message.
    /// The `labels` (JSON list of class names) and `confusion` (JSON labels × labels counts ≥ 0) columns of an
    /// evaluation row.
    func labelsAndConfusion() throws -> (labels: [String], confusion: [[Int]]) {
        let labels = try json("labels", [String].self, "a list of class names")
        let n = labels.count
        let square = "a \(n) × \(n) list of lists of counts ≥ 0 (one row and column per label)"
        let confusion = try json("confusion", [[Int]].self, square)
        guard confusion.count == n, confusion.allSatisfy({ $0.count == n && $0.allSatisfy { $0 >= 0 } }) else {
            throw fail("confusion", StoreRow.databaseValue(row, "confusion"), "JSON text: " + square)
        }
        return (labels, confusion)
    }

    func json<T: Decodable>(_ column: String, _ type: T.Type, _ what: String) throws -> T {
        let raw = Self.databaseValue(row, column)
        let data: Data
        switch raw.storage {
        case .string(let text): data = Data(text.utf8)
        case .blob(let blob): data = blob
        default: throw fail(column, raw, "JSON text: \(what)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw fail(column, raw, "JSON text: \(what)")
        }
    }

    /// Like ``json(_:_:_:)``, nil for NULL.
    func optionalJSON<T: Decodable>(_ column: String, _ type: T.Type, _ what: String) throws -> T? {
        Self.databaseValue(row, column).isNull ? nil : try json(column, type, what)
    }

    static func expected<T>(_ type: T.Type) -> String {
        switch type {
        case is Double.Type: return "a number"
        case is Int.Type, is Int64.Type: return "an integer"
        case is String.Type: return "text"
        case is Bool.Type: return "0 or 1"
        case is Date.Type: return "a date (YYYY-MM-DD HH:MM:SS.SSS)"
        case is RunStatus.Type: return "one of " + RunStatus.allCases.map(\.rawValue).joined(separator: ", ")
        default: return "a \(type)"
        }
    }
}
