import Foundation
import GRDB

/// One resolved spec key of a run (`model.depth` = `18`, type `int`). Table `param`. `type` is the spelling of
/// Specs' `ParameterType` (`int`, `float`, `bool`, `string`, `list`); lists are JSON text.
public struct ParamRecord: StoreRecord, Equatable, Sendable {
    public static let databaseTableName = "param"
    public var runId: Int64
    public var key: String
    public var value: String
    public var type: String

    public init(runId: Int64 = 0, key: String, value: String, type: String) {
        self.runId = runId
        self.key = key
        self.value = value
        self.type = type
    }

    /// - Throws: ``StoreValueError`` naming the row and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key = StoreRow.runKey(row) + ", key " + StoreRow.describeKey(StoreRow.databaseValue(row, "key"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        self.key = try r.value("key")
        value = try r.value("value")
        type = try r.value("type")
    }

    /// The value as SQL compares it in `run_summary`: a number for `int` and `float`, 1/0 for `bool`, else text.
    public var typedValue: DatabaseValue {
        switch type {
        case "int": return Int64(value)?.databaseValue ?? value.databaseValue
        case "float": return Double(value)?.databaseValue ?? value.databaseValue
        case "bool": return (value == "true" ? 1 : 0).databaseValue
        default: return value.databaseValue
        }
    }
}

/// Turns a run's stored `spec_yaml` into its `param` rows (Specs' `SpecParameters.flatten`, handed in by the
/// layers above, since RunStore cannot read YAML).
public typealias SpecParameterSource = @Sendable (_ specYAML: String) throws -> [ParamRecord]

extension RunStore {
    /// The SQL expression giving a `param` row's value its type (numbers compare as numbers in SQL).
    static let typedParamValue = """
        CASE type WHEN 'int' THEN CAST(value AS INTEGER) WHEN 'float' THEN CAST(value AS REAL)
            WHEN 'bool' THEN (value = 'true') ELSE value END
        """

    /// Records the parameters of run `runID`, replacing earlier ones.
    public func recordParameters(runID: Int64, _ parameters: [ParamRecord]) throws {
        try write { tx in try Self.insertParameters(runID: runID, parameters, tx) }
    }

    static func insertParameters(runID: Int64, _ parameters: [ParamRecord], _ tx: any StoreTransaction) throws {
        try tx.execute("DELETE FROM param WHERE run_id = ?", [runID])
        for var parameter in parameters {
            parameter.runId = runID
            try tx.insert(parameter, upsert: ["run_id", "key"])
        }
    }

    /// Fills the `param` rows of every run that has none (runs recorded before `v5-params-groups`) from its
    /// `spec_yaml`. A spec that no longer parses (edited by hand) is left without parameters and named in the
    /// result; the store is otherwise unchanged. Returns those runs and their errors.
    @discardableResult
    public func fillMissingParameters(_ source: SpecParameterSource) throws -> [(run: Int64, error: String)] {
        try write { tx in
            let rows = try tx.rows(
                "SELECT id, spec_yaml FROM run WHERE NOT EXISTS (SELECT 1 FROM param WHERE run_id = run.id)")
            var failures: [(run: Int64, error: String)] = []
            for row in rows {
                let r = StoreRow(row, table: "run", key: StoreRow.runKey(row, column: "id"))
                let id: Int64 = try r.value("id")
                do {
                    try Self.insertParameters(runID: id, try source(try r.value("spec_yaml")), tx)
                } catch let error as StoreValueError {
                    failures.append((id, error.description))
                } catch let error as DatabaseError {
                    throw error
                } catch {
                    failures.append((id, "\(error)"))
                }
            }
            return failures
        }
    }

    /// The parameters of run `id`, by key.
    public func parameters(of id: Int64) throws -> [ParamRecord] {
        try read { try $0.fetchAll(ParamRecord.self, "SELECT * FROM param WHERE run_id = ? ORDER BY key", [id]) }
    }

    /// Whether the store has the `param` table (a store read-only opened before `v5-params-groups` has not).
    public func hasParameters() throws -> Bool {
        try read { try $0.tableExists("param") }
    }
}
