import ArgumentParser
import Foundation
import PostgresStore
import RunStore
import Runner

/// `--store PATH|URL` and `--artifacts DIR`, shared by every command that reads or writes the run store.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "The run store: a SQLite file, or postgres://user@host:port/db (default: $SER_STORE, else "
                + "runs/ser.sqlite).", valueName: "path|url"))
    var storePath: String?

    @Option(
        name: .customLong("artifacts"),
        help: ArgumentHelp(
            "A PostgreSQL store's artifact root, a folder every machine mounts (default: $SER_ARTIFACTS).",
            valueName: "dir"))
    var artifactRoot: String?

    /// The environment variable naming a PostgreSQL store's artifact root.
    static let artifactsVariable = "SER_ARTIFACTS"

    /// The store path (or URL) after `--store`, `SER_STORE` and the default.
    var path: String { RunStore.resolvePath(option: storePath) }

    /// Whether the store is a PostgreSQL server rather than a SQLite file.
    var isPostgres: Bool { PostgresURL.isPostgres(path) }

    /// Whether the store file exists yet (a PostgreSQL store always counts as existing; opening it says otherwise).
    var exists: Bool { isPostgres || FileManager.default.fileExists(atPath: path) }

    /// The artifact root of a PostgreSQL store: `--artifacts`, else `SER_ARTIFACTS`.
    func artifacts(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let artifactRoot, !artifactRoot.isEmpty { return artifactRoot }
        if let value = environment[Self.artifactsVariable], !value.isEmpty { return value }
        throw PostgresStoreError.noArtifactRoot(PostgresURL.redacted(path))
    }

    /// Whether artifact paths resolve to files here: always for a SQLite store, for a PostgreSQL one when
    /// `--artifacts` or `SER_ARTIFACTS` names its artifact root.
    var knowsArtifactRoot: Bool { !isPostgres || (try? artifacts()) != nil }

    /// Opens a PostgreSQL store (`readOnly`: in read-only transactions, no migration). `needsFiles: false`
    /// (reading rows only: `runs`, `show`, `compare`, `query`) opens it without an artifact root when none is
    /// given.
    func openPostgres(readOnly: Bool, needsFiles: Bool = true) throws -> RunStore {
        let root: String? = try needsFiles || knowsArtifactRoot ? artifacts() : nil
        return try RunStore.postgres(
            url: PostgresURL(path), artifacts: root, readOnly: readOnly,
            parameters: readOnly ? nil : StoreParameters.source)
    }

    /// Where the runner keeps the feature cache and the synthetic corpus: beside a SQLite store, under a
    /// PostgreSQL store's artifact root.
    func runnerPaths() throws -> RunnerPaths {
        try isPostgres ? RunnerPaths(folders: RunFolders(artifactRoot: artifacts())) : RunnerPaths(storePath: path)
    }

    /// Opens the store, creating it if needed (for commands that write runs).
    func open() throws -> RunStore {
        try isPostgres
            ? openPostgres(readOnly: false) : RunStore(path: path, parameters: StoreParameters.source)
    }

    /// Opens a store that must already exist, for writing (`rm`, `resume`).
    func openExisting() throws -> RunStore {
        guard exists else { throw StoreCommandError.noStore(path) }
        return try open()
    }

    /// Opens a store that must already exist, read-only: nothing in its folder is created or changed, and it
    /// works on a read-only file or folder (`runs`, `show`, `compare`, `export`, `report`, `lr-find --run`).
    /// A PostgreSQL store is read in read-only transactions.
    /// `needsFiles: false` for the commands that read only rows, which a PostgreSQL store serves without
    /// `--artifacts`.
    func openForReading(needsFiles: Bool = true) throws -> RunStore {
        guard exists else { throw StoreCommandError.noStore(path) }
        return try isPostgres ? openPostgres(readOnly: true, needsFiles: needsFiles) : RunStore(readingPath: path)
    }
}

/// Errors of the store commands, each saying what to do.
enum StoreCommandError: Error, CustomStringConvertible, LocalizedError {
    case noStore(String)
    case badSince(String)
    case runIsRunning(Int64)

    var description: String {
        switch self {
        case .noStore(let path):
            return "no run store at \(path) (`ser run` creates it; --store PATH or SER_STORE chooses another)."
        case .badSince(let text):
            return "--since expects an age like 30m, 12h, 7d, 2w or a date like 2026-11-01, got '\(text)'."
        case .runIsRunning(let id):
            return "run \(id) is still running; stop it first, or pass --force to remove it anyway."
        }
    }

    var errorDescription: String? { description }
}

/// Text output helpers shared by the store commands.
enum StoreFormat {
    /// A left-aligned text table; columns listed in `right` are right-aligned. Widths fit the content.
    static func table(_ headers: [String], _ rows: [[String]], right: Set<Int> = []) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return right.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    /// `yyyy-MM-dd HH:mm` in the local time zone ("-" for nil).
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// `1h02m`, `3m05s`, `12s` ("-" for nil).
    static func duration(_ seconds: TimeInterval?) -> String {
        guard let seconds, seconds >= 0 else { return "-" }
        let total = Int(seconds.rounded())
        if total >= 3600 { return String(format: "%dh%02dm", total / 3600, total % 3600 / 60) }
        if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return "\(total)s"
    }

    /// A number with `digits` decimals ("-" for nil).
    static func number(_ value: Double?, _ digits: Int = 4) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    /// A learning rate in scientific notation ("-" for nil).
    static func rate(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.2e", value)
    }

    /// The one JSON encoding of every command's `--json`: pretty, key-sorted, ISO 8601 dates, and snake_case
    /// keys (`balancedAccuracy` → `balanced_accuracy`).
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .custom { path in
            path.last.map { snakeCaseKey($0, parent: path.dropLast().last) } ?? JSONKey("")
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A property name in snake_case. Only the keys of a type's `CodingKeys` are converted: the keys of a
    /// dictionary are data (class names such as `Happy`, spec keys such as `train.lr`) and stay as they are.
    ///
    /// One name per fact: UAR is `uar` (the store's column `balanced_accuracy`), and the `id` of a run or an
    /// experiment object (`show`'s `run`, `experiment`) is `run_id` or `experiment_id`, as elsewhere.
    static func snakeCaseKey(_ key: CodingKey, parent: CodingKey? = nil) -> CodingKey {
        guard String(describing: type(of: key)).hasSuffix("CodingKeys") else { return key }
        if let renamed = renamedKeys[key.stringValue] { return JSONKey(renamed) }
        if key.stringValue == "id", let parent, parent.intValue == nil,
            ["run", "experiment"].contains(parent.stringValue)
        {
            return JSONKey(parent.stringValue + "_id")
        }
        return JSONKey(snakeCase(key.stringValue))
    }

    /// Properties whose JSON name is not their snake_case spelling.
    static let renamedKeys = ["balancedAccuracy": "uar", "testBalancedAccuracy": "test_uar"]

    /// `balancedAccuracy` → `balanced_accuracy`, `blasCoreGFLOPS` → `blas_core_gflops`, `f1Macro` → `f1_macro`.
    static func snakeCase(_ name: String) -> String {
        let characters = Array(name)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    result.append("_")
                }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }

    private struct JSONKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Parses `--since`: an age (`30m`, `12h`, `7d`, `2w`) before `now`, or a date (`2026-11-01`,
    /// `2026-11-01T10:00`, local time).
    static func since(_ text: String, now: Date = Date()) throws -> Date {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let unit = text.last, let scale = units[unit], let amount = Double(text.dropLast()), amount >= 0 {
            return now.addingTimeInterval(-amount * scale)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        throw StoreCommandError.badSince(text)
    }
}
