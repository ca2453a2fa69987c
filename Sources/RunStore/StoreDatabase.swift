import Foundation
import GRDB

/// The SQL dialect of a store's database, for the few statements the two backends spell differently.
public enum StoreDialect: String, Sendable {
    case sqlite, postgres
}

/// One transaction on a store's database: the seam between `RunStore` (what is recorded and how it is read) and a
/// backend (SQLite through GRDB, PostgreSQL through postgres-nio).
///
/// SQL uses `?` placeholders and the subset both dialects understand (`INSERT … ON CONFLICT … DO UPDATE`,
/// `RETURNING id`, subqueries with `ORDER BY … LIMIT`). Values go in and come out as GRDB `DatabaseValue`s and
/// `Row`s, so the record types decode (and type-check) rows of either backend with the same code.
public protocol StoreTransaction {
    var dialect: StoreDialect { get }
    /// Runs one statement and returns its rows.
    func rows(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row]
    /// Runs one statement and returns how many rows it inserted, updated or deleted.
    @discardableResult func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int
}

/// A store's database: SQLite (``SQLiteStoreDatabase``) or PostgreSQL (module `PostgresStore`).
///
/// To add a table: append a migration to ``Schema`` (SQLite) and the same-named one to the PostgreSQL
/// backend's list, read and write it through ``StoreTransaction`` with `?` placeholders (see docs/store.md).
public protocol StoreDatabase: AnyObject, Sendable {
    /// How messages name the store: its file path, or its URL without a password.
    var location: String { get }
    var dialect: StoreDialect { get }
    /// A read-only transaction.
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// A write transaction that holds the write lock from its start (SQLite `BEGIN IMMEDIATE`; PostgreSQL rows
    /// locked with `FOR UPDATE`), committed when `body` returns and rolled back when it throws.
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// The migrations applied to the store, in order.
    func appliedMigrations() throws -> [String]
    /// `ser query`: one statement in a read-only transaction, stopped after `timeout` seconds.
    func query(_ sql: String, arguments: [String], limit: Int, timeout: TimeInterval) throws -> QueryResult
}

extension StoreTransaction {
    /// Rows of `sql`, its arguments given as Swift values.
    public func rows(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws -> [Row] {
        let values: [DatabaseValue] = arguments.map { $0?.databaseValue ?? .null }
        return try rows(sql, values)
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws -> Int {
        let values: [DatabaseValue] = arguments.map { $0?.databaseValue ?? .null }
        return try execute(sql, values)
    }

    public func row(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws -> Row? {
        try rows(sql, arguments).first
    }

    /// Records decoded from the rows of `sql` (each value type-checked by the record's `init(row:)`).
    public func fetchAll<R: FetchableRecord>(
        _ type: R.Type, _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []
    ) throws -> [R] {
        try rows(sql, arguments).map { try R(row: $0) }
    }

    public func fetchOne<R: FetchableRecord>(
        _ type: R.Type, _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []
    ) throws -> R? {
        try rows(sql, arguments).first.map { try R(row: $0) }
    }

    /// Inserts `record` (its columns as its `encode(to:)` writes them; a nil `id` is left to the database).
    /// With `upsert`, a row with the same values in those key columns is replaced.
    /// - Returns: the new row's `id` for tables with one, else nil.
    @discardableResult
    public func insert<R: StoreRecord>(_ record: R, upsert keys: [String]? = nil) throws -> Int64? {
        var values = try record.databaseDictionary
        let hasID = values["id"] != nil
        if values["id"] == .null { values["id"] = nil }
        let columns = values.keys.sorted()
        let quoted = columns.map { "\"\($0)\"" }
        var sql =
            "INSERT INTO \(R.databaseTableName) (\(quoted.joined(separator: ", "))) VALUES ("
            + columns.map { _ in "?" }.joined(separator: ", ") + ")"
        if let keys {
            let updates = columns.filter { !keys.contains($0) }.map { "\"\($0)\" = excluded.\"\($0)\"" }
            sql += " ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET " + updates.joined(separator: ", ")
        }
        let arguments: [DatabaseValue] = columns.map { values[$0] ?? .null }
        guard hasID else {
            try execute(sql, arguments)
            return nil
        }
        guard let row = try rows(sql + " RETURNING id", arguments).first, let id = row["id"] as Int64? else {
            return nil
        }
        return id
    }

    /// Whether `table` exists.
    public func tableExists(_ table: String) throws -> Bool {
        switch dialect {
        case .sqlite:
            return try row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]) != nil
        case .postgres:
            return try row("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?", [table])
                != nil
        }
    }
}

/// A GRDB database connection as a ``StoreTransaction``.
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    var dialect: StoreDialect { .sqlite }

    func rows(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row] {
        try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try db.execute(sql: sql, arguments: StatementArguments(arguments))
        return db.changesCount
    }
}

/// The SQLite backend: a GRDB `DatabasePool` (WAL mode) for a store opened for writing, a read-only
/// `DatabaseQueue` for one opened for reading, or a private in-memory queue.
public final class SQLiteStoreDatabase: StoreDatabase, @unchecked Sendable {
    public let location: String
    let writer: any DatabaseWriter
    public var dialect: StoreDialect { .sqlite }

    init(path: String, writer: any DatabaseWriter) {
        location = path
        self.writer = writer
    }

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try mapCorruption { try writer.read { try body(SQLiteTransaction(db: $0)) } }
    }

    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try mapCorruption {
            var result: T?
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    result = try body(SQLiteTransaction(db: db))
                    return .commit
                }
            }
            guard let result else {
                throw RunStoreError.database(path: location, message: "the transaction ended early")
            }
            return result
        }
    }

    public func appliedMigrations() throws -> [String] {
        try mapCorruption { try writer.read { try Schema.migrator.appliedMigrations($0) } }
    }

    public func query(_ sql: String, arguments: [String], limit: Int, timeout: TimeInterval) throws -> QueryResult {
        if location == ":memory:" {
            // An in-memory store has no file to reopen: read inside a read-only transaction instead.
            return try RunStore.interrupting(writer, after: timeout) {
                try writer.writeWithoutTransaction { db in try RunStore.defineQueryViews(db) }
                return try writer.read { db in
                    try RunStore.runQuery(db, sql: sql, arguments: arguments, limit: limit)
                }
            }
        }
        return try RunStore.query(path: location, sql: sql, arguments: arguments, limit: limit, timeout: timeout)
    }

    /// A damaged database is reported naming the store file.
    private func mapCorruption<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            throw RunStoreError.corrupt(path: location, message: error.message ?? "\(error.resultCode)")
        }
    }
}
