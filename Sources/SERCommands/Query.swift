import ArgumentParser
import Foundation
import RunStore

/// `ser query "SQL"`: read-only SQL on the store.
struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run read-only SQL on the run store and print the rows as a table, CSV or JSON.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @OptionGroup var store: StoreOptions

    @Argument(help: "An SQL query (writes are refused by SQLite).")
    var sql: String

    @Option(help: "Output format: table, csv or json.")
    var format: Format = .table

    @Flag(help: "Same as --format json.")
    var json = false

    @Option(help: ArgumentHelp("Stop the query after this many seconds.", valueName: "seconds"))
    var timeout: Double = RunStore.defaultQueryTimeout

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number.") }
    }

    func output() throws -> String {
        guard store.exists else { throw StoreCommandError.noStore(store.path) }
        let result =
            try store.isPostgres
            ? store.openForReading(needsFiles: false).query(sql, timeout: timeout)
            : RunStore.query(path: store.path, sql: sql, timeout: timeout)
        switch json ? .json : format {
        case .table:
            let rows = result.rows.map { $0.map { $0 == .null ? "NULL" : $0.text } }
            let numeric = Set(
                result.columns.indices.filter { column in
                    result.rows.allSatisfy {
                        switch $0[column] {
                        case .integer, .real, .null: return true
                        default: return false
                        }
                    }
                })
            return StoreFormat.table(result.columns, rows, right: numeric)
                + "\n(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))"
        case .csv:
            return ([result.columns] + result.rows.map { $0.map(\.text) }).map {
                $0.map(Self.csvField).joined(separator: ",")
            }
            .joined(separator: "\n")
        case .json:
            return Self.json(result)
        }
    }

    func run() throws { print(try output()) }

    /// RFC 4180: quote fields holding a comma, quote or line break; double the quotes inside.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// An array of objects, keys in column order.
    static func json(_ result: QueryResult) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func encode<T: Encodable>(_ value: T) -> String {
            (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        let objects = result.rows.map { row in
            "  {" + zip(result.columns, row).map { "\(encode($0)): \(encode($1))" }.joined(separator: ", ") + "}"
        }
        return objects.isEmpty ? "[]" : "[\n" + objects.joined(separator: ",\n") + "\n]"
    }
}
