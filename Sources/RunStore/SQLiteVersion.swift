import GRDB

/// The version of the SQLite library GRDB links, e.g. "3.40.1" (asked of an in-memory database).
public var sqliteVersion: String {
    (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? "unknown"
}
