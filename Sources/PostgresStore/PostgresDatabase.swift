import Foundation
import GRDB
import Logging
import PostgresNIO
import RunStore

/// A PostgreSQL store's address: `postgres://user[:password]@host[:port]/database` (or `postgresql://`).
/// The password may also come from `PGPASSWORD`; it is never shown in messages.
public struct PostgresURL: Equatable, Sendable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String

    public init(user: String, password: String?, host: String, port: Int = 5432, database: String) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
    }

    /// Whether `text` names a PostgreSQL store rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// - Throws: ``PostgresStoreError/badURL(_:_:)`` saying what is missing.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw PostgresStoreError.badURL(Self.redacted(text), "expected postgres://user@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStoreError.badURL(Self.redacted(text), "it names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresStoreError.badURL(Self.redacted(text), "it names no user (postgres://user@host/database)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStoreError.badURL(Self.redacted(text), "it names no database (…/database at its end)")
        }
        self.host = host
        self.user = user.removingPercentEncoding ?? user
        port = components.port ?? 5432
        self.database = database.removingPercentEncoding ?? database
        password = components.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
    }

    /// The URL without its password, as messages and `RunStore.path` show it.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    public static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*):[^@]*@"#, with: "$1:***@", options: .regularExpression)
    }
}

/// Errors of the PostgreSQL backend, each naming the store.
public enum PostgresStoreError: Error, CustomStringConvertible, LocalizedError {
    case badURL(String, String)
    case connect(String, String)
    case noArtifactRoot(String)

    public var description: String {
        switch self {
        case .badURL(let url, let reason): return "\(url) is not a PostgreSQL store address: \(reason)."
        case .connect(let url, let reason):
            return
                "cannot connect to the run store \(url): \(reason); check that the server runs and accepts this user "
                + "(password in the URL or PGPASSWORD)."
        case .noArtifactRoot(let url):
            return
                "the run store \(url) keeps its runs' files in an artifact root that every machine mounts; pass "
                + "--artifacts DIR or set SER_ARTIFACTS."
        }
    }

    public var errorDescription: String? { description }
}

/// The PostgreSQL backend of the run store: one connection (postgres-nio) used synchronously, one transaction at a
/// time. Writes run in `READ COMMITTED` transactions; rows a claim reads are locked `FOR UPDATE`.
public final class PostgresStoreDatabase: StoreDatabase, @unchecked Sendable {
    public let location: String
    public var dialect: StoreDialect { .postgres }
    let connection: PostgresConnection
    let readOnly: Bool
    /// Serialises the connection's use across threads (the runner's heartbeat thread and its own).
    private let lock = NSRecursiveLock()
    /// How many transactions this thread has open: a nested one is part of the enclosing one.
    private var depth = 0
    private static let logger: Logger = {
        var logger = Logger(label: "ser.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()

    /// Connects to the server. `readOnly` stores refuse every write (each transaction is `READ ONLY`).
    public init(url: PostgresURL, readOnly: Bool) throws {
        location = url.description
        self.readOnly = readOnly
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        do {
            connection = try PostgresConnection.connect(
                on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: 1,
                logger: Self.logger
            ).wait()
        } catch {
            throw PostgresStoreError.connect(location, Self.message(error))
        }
    }

    deinit { try? connection.close().wait() }

    /// The server's own message for an error (PSQLError's description hides it).
    static func message(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    static func sqlState(_ error: any Error) -> String? { (error as? PSQLError)?.serverInfo?[.sqlState] }

    /// Runs one statement, mapping PostgreSQL's errors to ones that name the store.
    func run(_ sql: String, _ arguments: [DatabaseValue]) throws -> PostgresQueryResult {
        let query = Self.query(sql, arguments)
        do {
            return try connection.query(query, logger: Self.logger).wait()
        } catch {
            throw PostgresStatementError(
                location: location, message: Self.message(error), sqlState: Self.sqlState(error))
        }
    }

    /// Runs `sql` and returns its column names with its rows. The column names come from the server's row
    /// description, which only postgres-nio's async API exposes, so that a result without rows still names
    /// its columns (`run` only has the rows' own).
    func runDescribed(_ sql: String, _ arguments: [DatabaseValue]) throws -> (columns: [String], rows: [PostgresRow]) {
        let query = Self.query(sql, arguments)
        let box = ResultBox<(columns: [String], rows: [PostgresRow])>()
        let connection = self.connection
        Task {
            do {
                let sequence = try await connection.query(query, logger: Self.logger)
                var rows: [PostgresRow] = []
                // Every row is read, so that the connection is idle again when this returns.
                for try await row in sequence { rows.append(row) }
                box.finish(.success((sequence.columns.map(\.name), rows)))
            } catch {
                box.finish(.failure(error))
            }
        }
        do {
            return try box.wait()
        } catch {
            throw PostgresStatementError(
                location: location, message: Self.message(error), sqlState: Self.sqlState(error))
        }
    }

    /// `sql` with `?` placeholders and its arguments as a postgres-nio query.
    static func query(_ sql: String, _ arguments: [DatabaseValue]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: arguments.count)
        for value in arguments {
            switch value.storage {
            case .null: bindings.appendNull()
            case .int64(let v): bindings.append(v)
            case .double(let v): bindings.append(v)
            case .string(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            }
        }
        return PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: bindings)
    }

    /// `?` placeholders (outside quotes) as PostgreSQL's `$1`, `$2`, ….
    static func numberedPlaceholders(_ sql: String) -> String {
        var result = ""
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// A cell as the `DatabaseValue` SQLite would hold: integers, reals, text, blobs (booleans as 0/1).
    static func value(_ cell: PostgresCell) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return try cell.decode(Int64.self).databaseValue
        case .float4, .float8: return try cell.decode(Double.self).databaseValue
        case .numeric: return NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue.databaseValue
        case .bool: return (try cell.decode(Bool.self) ? 1 : 0 as Int64).databaseValue
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? []).databaseValue
        default:
            if let text = try? cell.decode(String.self) { return text.databaseValue }
            return "<\(cell.dataType)>".databaseValue
        }
    }

    static func row(_ row: PostgresRow) throws -> Row {
        var values: [String: (any DatabaseValueConvertible)?] = [:]
        for cell in row { values[cell.columnName] = try value(cell) }
        return Row(values)
    }

    func transaction<T>(readOnly: Bool, _ body: (any StoreTransaction) throws -> T) throws -> T {
        try lock.withLock {
            if depth > 0 { return try body(PostgresTransaction(database: self)) }
            depth += 1
            defer { depth -= 1 }
            _ = try run(readOnly || self.readOnly ? "BEGIN READ ONLY" : "BEGIN", [])
            do {
                let result = try body(PostgresTransaction(database: self))
                _ = try run("COMMIT", [])
                return result
            } catch {
                _ = try? run("ROLLBACK", [])
                throw error
            }
        }
    }

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try transaction(readOnly: true, body)
    }

    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try transaction(readOnly: false, body)
    }

    public func appliedMigrations() throws -> [String] {
        try read { tx in
            guard try tx.tableExists(PostgresSchema.migrationsTable) else { return [] }
            let applied = try tx.rows("SELECT identifier FROM grdb_migrations").compactMap {
                $0["identifier"] as String?
            }
            // In the order the schema lists them (as GRDB reports SQLite's), unknown ones last.
            return PostgresSchema.migrationNames.filter(applied.contains)
                + applied.filter { !PostgresSchema.migrationNames.contains($0) }.sorted()
        }
    }

    public func query(_ sql: String, arguments: [String], limit: Int, timeout: TimeInterval) throws -> QueryResult {
        let statement = sql.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
        if statement.isEmpty { throw QueryError.empty }
        return try lock.withLock {
            // `run_summary` as a TEMP view of this session (created outside the read-only transaction, which
            // refuses every CREATE; it lives in the session's own schema, never in the store's).
            if let select = try read({ try RunStore.runSummarySelect($0) }) {
                _ = try run("DROP VIEW IF EXISTS pg_temp.run_summary", [])
                _ = try run("CREATE TEMP VIEW run_summary AS " + select, [])
            }
            _ = try run("BEGIN READ ONLY", [])
            defer { _ = try? run("ROLLBACK", []) }
            _ = try run("SET LOCAL statement_timeout = \(max(1, Int((timeout * 1000).rounded())))", [])
            let result: (columns: [String], rows: [PostgresRow])
            do {
                result = try runDescribed(statement, arguments.map { $0.databaseValue })
            } catch let error as PostgresStatementError where error.sqlState == "57014" {
                throw QueryError.timedOut(seconds: timeout)
            } catch let error as PostgresStatementError
                where error.sqlState == "42601"
                && error.message.contains("multiple commands")
            {
                throw QueryError.multipleStatements
            }
            var rows: [[QueryResult.Value]] = []
            for row in result.rows.prefix(limit) {
                rows.append(
                    try row.map { cell -> QueryResult.Value in
                        switch try Self.value(cell).storage {
                        case .null: return .null
                        case .int64(let v): return .integer(v)
                        case .double(let v): return .real(v)
                        case .string(let v): return .text(v)
                        case .blob(let v): return .blob(v)
                        }
                    })
            }
            return QueryResult(columns: result.columns, rows: rows)
        }
    }
}

/// The result of a task, handed to the thread that waits for it.
private final class ResultBox<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    func finish(_ result: Result<Value, any Error>) {
        self.result = result
        done.signal()
    }

    func wait() throws -> Value {
        done.wait()
        return try result!.get()
    }
}

/// A statement PostgreSQL refused, with its own message and SQLSTATE.
public struct PostgresStatementError: Error, CustomStringConvertible, LocalizedError {
    public var location: String
    public var message: String
    public var sqlState: String?

    public var description: String { "the run store \(location) refused a statement: \(message)" }
    public var errorDescription: String? { description }
}

struct PostgresTransaction: StoreTransaction {
    let database: PostgresStoreDatabase
    var dialect: StoreDialect { .postgres }

    func rows(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row] {
        try database.run(sql, arguments).rows.map(PostgresStoreDatabase.row)
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try database.run(sql, arguments).metadata.rows ?? 0
    }
}
