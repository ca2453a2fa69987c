import Foundation
import GRDB

/// The machine and numeric libraries a run computed its results with. The BLAS kernels (core type) and the
/// thread counts change the last digits of a run's numbers, so two runs that differ in them are not expected to
/// agree exactly. Gathered by the runner (`RunEnvironment.current` in Runner) from what `ser doctor` reports.
public struct RunEnvironment: Codable, Equatable, Sendable {
    /// The CPU's model name from `/proc/cpuinfo` ("unknown" where there is none).
    public var cpuModel: String
    /// Cores the process may use.
    public var cores: Int
    /// Operating system and kernel, e.g. `Linux 6.1.0-18-amd64 (Debian GNU/Linux 12 (bookworm))`.
    public var os: String
    public var host: String
    /// The BLAS library and its version, e.g. `OpenBLAS`, `0.3.21`.
    public var blasLibrary: String
    public var blasVersion: String
    /// The BLAS kernels in use, e.g. `SkylakeX`.
    public var blasCore: String
    /// Whether `OPENBLAS_CORETYPE` chose the kernels (rather than OpenBLAS's detection or `ser`).
    public var blasCoreForced: Bool
    /// The engine's threads (lanes of samples) and OpenBLAS's threads per product.
    public var threads: Int
    public var blasThreads: Int
    public var serVersion: String

    public init(
        cpuModel: String, cores: Int, os: String, host: String, blasLibrary: String, blasVersion: String,
        blasCore: String, blasCoreForced: Bool, threads: Int, blasThreads: Int, serVersion: String
    ) {
        self.cpuModel = cpuModel
        self.cores = cores
        self.os = os
        self.host = host
        self.blasLibrary = blasLibrary
        self.blasVersion = blasVersion
        self.blasCore = blasCore
        self.blasCoreForced = blasCoreForced
        self.threads = threads
        self.blasThreads = blasThreads
        self.serVersion = serVersion
    }

    /// What decides a run's last digits: the CPU, the BLAS library and kernels, and the thread counts.
    public var numericKey: String {
        "\(cpuModel) · \(blasLibrary) \(blasVersion) \(blasCore) · \(threads) threads, BLAS \(blasThreads)"
    }

    /// One line for `ser show`.
    public var summary: String {
        "\(cpuModel), \(cores) cores, \(os); \(blasLibrary) \(blasVersion), kernels \(blasCore)"
            + (blasCoreForced ? " (forced by OPENBLAS_CORETYPE)" : "")
            + ", \(threads) threads (BLAS \(blasThreads)); ser \(serVersion) on \(host)"
    }
}

/// One recorded environment of a run. Table `run_environment`, key (run_id, seq): seq 1 when the run started,
/// 2, 3… when a resume found a different one.
public struct RunEnvironmentRecord: Codable, Equatable, Sendable, FetchableRecord {
    public static let databaseTableName = "run_environment"
    public var runId: Int64
    public var seq: Int
    public var environment: RunEnvironment
    public var recordedAt: Date

    public init(runId: Int64, seq: Int, environment: RunEnvironment, recordedAt: Date = Date()) {
        self.runId = runId
        self.seq = seq
        self.environment = environment
        self.recordedAt = recordedAt
    }

    /// - Throws: ``StoreValueError`` naming the run, the seq and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key = StoreRow.runKey(row) + ", seq " + StoreRow.describeKey(StoreRow.databaseValue(row, "seq"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        seq = try r.value("seq")
        environment = RunEnvironment(
            cpuModel: try r.value("cpu_model"), cores: try r.value("cores"), os: try r.value("os"),
            host: try r.value("host"), blasLibrary: try r.value("blas_library"),
            blasVersion: try r.value("blas_version"), blasCore: try r.value("blas_core"),
            blasCoreForced: try r.value("blas_core_forced"), threads: try r.value("threads"),
            blasThreads: try r.value("blas_threads"), serVersion: try r.value("ser_version"))
        recordedAt = try r.value("recorded_at")
    }
}

/// `ser eval --store`: one evaluation of a model file on a labelled corpus, kept with the run that trained the
/// model. Table `stored_evaluation`. `labels`, `confusion` (`[t][p]`, as ``EvaluationRecord``) and `per_class`
/// are JSON text.
public struct StoredEvaluationRecord: Codable, Equatable, Sendable, FetchableRecord {
    public static let databaseTableName = "stored_evaluation"

    /// Precision, recall and F1 of one class.
    public struct ClassMetrics: Codable, Equatable, Sendable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int

        public init(label: String, precision: Double, recall: Double, f1: Double, support: Int) {
            self.label = label
            self.precision = precision
            self.recall = recall
            self.f1 = f1
            self.support = support
        }
    }

    public var id: Int64?
    /// The run that trained the model (the model file's source).
    public var runId: Int64
    public var modelPath: String
    public var modelSha256: String
    public var dataPath: String
    public var layout: String
    public var files: Int
    /// Files of classes the model does not know, left out.
    public var excluded: Int
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var f1Macro: Double
    public var labels: [String]
    public var confusion: [[Int]]
    public var perClass: [ClassMetrics]
    public var recordedAt: Date

    public init(
        id: Int64? = nil, runId: Int64, modelPath: String, modelSha256: String, dataPath: String, layout: String,
        files: Int, excluded: Int, accuracy: Double, balancedAccuracy: Double, f1Macro: Double, labels: [String],
        confusion: [[Int]], perClass: [ClassMetrics], recordedAt: Date = Date()
    ) {
        self.id = id
        self.runId = runId
        self.modelPath = modelPath
        self.modelSha256 = modelSha256
        self.dataPath = dataPath
        self.layout = layout
        self.files = files
        self.excluded = excluded
        self.accuracy = accuracy
        self.balancedAccuracy = balancedAccuracy
        self.f1Macro = f1Macro
        self.labels = labels
        self.confusion = confusion
        self.perClass = perClass
        self.recordedAt = recordedAt
    }

    /// - Throws: ``StoreValueError`` naming the evaluation and the column of a value of the wrong type, of
    ///   malformed JSON, or of a confusion matrix that is not labels × labels counts.
    public init(row: Row) throws {
        let key = "id " + StoreRow.describeKey(StoreRow.databaseValue(row, "id"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        id = try r.value("id")
        runId = try r.value("run_id")
        modelPath = try r.value("model_path")
        modelSha256 = try r.value("model_sha256")
        dataPath = try r.value("data_path")
        layout = try r.value("layout")
        files = try r.value("files")
        excluded = try r.value("excluded")
        accuracy = try r.finite("accuracy")
        balancedAccuracy = try r.finite("balanced_accuracy")
        f1Macro = try r.finite("f1_macro")
        (labels, confusion) = try r.labelsAndConfusion()
        perClass = try r.json(
            "per_class", [ClassMetrics].self, "a list of {label, precision, recall, f1, support} objects")
        recordedAt = try r.value("recorded_at")
    }

    /// A short name for tables: the corpus folder's last component and the model file's.
    public var title: String {
        "\(URL(fileURLWithPath: dataPath).lastPathComponent) (\(layout), model \(URL(fileURLWithPath: modelPath).lastPathComponent))"
    }
}

/// `ser eval --store` found no run in the store that the model file comes from.
public enum StoredEvaluationError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case noSourceRun(model: String)
    case sourceRunMissing(model: String, run: Int64, store: String)
    case sourceRunMismatch(model: String, run: Int64, store: String)

    public var description: String {
        switch self {
        case .noSourceRun(let model):
            return
                "\(model) does not name the run that trained it (its metadata has no run_id); only models saved by "
                + "`ser run` or `ser export` can be evaluated into a store: leave out --store to evaluate it anyway."
        case .sourceRunMissing(let model, let run, let store):
            return
                "\(model) comes from run \(run), which is not in the store \(store); give the --store that trained "
                + "it, or leave out --store."
        case .sourceRunMismatch(let model, let run, let store):
            return
                "\(model) comes from a run \(run) with another spec than run \(run) of the store \(store) (the spec "
                + "hashes differ): it was trained in another store; give that --store, or leave out --store."
        }
    }

    public var errorDescription: String? { description }
}

extension RunStore {
    /// Records `environment` for run `runID` unless it equals the run's latest one (a resume on the same
    /// machine adds nothing; on another, a second row). Returns whether a row was added.
    @discardableResult
    public func recordEnvironment(_ environment: RunEnvironment, runID: Int64, at date: Date = Date()) throws -> Bool {
        try write { tx in
            let latest = try tx.fetchOne(
                RunEnvironmentRecord.self, "SELECT * FROM run_environment WHERE run_id = ? ORDER BY seq DESC LIMIT 1",
                [runID])
            if latest?.environment == environment { return false }
            try Self.insertEnvironment(environment, runID: runID, seq: (latest?.seq ?? 0) + 1, at: date, tx)
            return true
        }
    }

    /// Inserts one `run_environment` row.
    static func insertEnvironment(
        _ e: RunEnvironment, runID: Int64, seq: Int, at date: Date, _ tx: any StoreTransaction
    ) throws {
        try tx.execute(
            """
            INSERT INTO run_environment (run_id, seq, cpu_model, cores, os, host, blas_library, blas_version,
                blas_core, blas_core_forced, threads, blas_threads, ser_version, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                runID, seq, e.cpuModel, e.cores, e.os, e.host, e.blasLibrary, e.blasVersion, e.blasCore,
                e.blasCoreForced, e.threads, e.blasThreads, e.serVersion, date,
            ])
    }

    /// The environments recorded for run `runID`, oldest first (none for a store from before they were
    /// recorded, also when it is opened read-only without that migration).
    public func environments(of runID: Int64) throws -> [RunEnvironmentRecord] {
        try read { tx in
            guard try tx.tableExists(RunEnvironmentRecord.databaseTableName) else { return [] }
            return try tx.fetchAll(
                RunEnvironmentRecord.self, "SELECT * FROM run_environment WHERE run_id = ? ORDER BY seq", [runID])
        }
    }

    /// Checks that run `runID` exists and, when `specHash` is given, that it has that spec hash (the model file
    /// comes from this store's run, not from a run with the same id in another store).
    public func checkEvaluationSource(model: String, runID: Int64?, specHash: String?) throws -> Int64 {
        guard let runID else { throw StoredEvaluationError.noSourceRun(model: model) }
        guard let run = try self.run(runID) else {
            throw StoredEvaluationError.sourceRunMissing(model: model, run: runID, store: path)
        }
        if let specHash, specHash != run.specHash {
            throw StoredEvaluationError.sourceRunMismatch(model: model, run: runID, store: path)
        }
        return runID
    }

    /// Records a stored evaluation; returns it with its id.
    @discardableResult
    public func recordStoredEvaluation(_ evaluation: StoredEvaluationRecord) throws -> StoredEvaluationRecord {
        try write { tx in try Self.insertStoredEvaluation(evaluation, tx) }
    }

    /// Inserts one `stored_evaluation` row (a new id); returns it with that id.
    static func insertStoredEvaluation(_ evaluation: StoredEvaluationRecord, _ tx: any StoreTransaction) throws
        -> StoredEvaluationRecord
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String {
            String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        let e = evaluation
        let row = try tx.row(
            """
            INSERT INTO stored_evaluation (run_id, model_path, model_sha256, data_path, layout, files, excluded,
                accuracy, balanced_accuracy, f1_macro, labels, confusion, per_class, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                e.runId, e.modelPath, e.modelSha256, e.dataPath, e.layout, e.files, e.excluded, e.accuracy,
                e.balancedAccuracy, e.f1Macro, try json(e.labels), try json(e.confusion), try json(e.perClass),
                e.recordedAt,
            ])
        var stored = e
        stored.id = row?["id"]
        return stored
    }

    /// The stored evaluations of run `runID`'s model, oldest first (none for a store without them).
    public func storedEvaluations(of runID: Int64) throws -> [StoredEvaluationRecord] {
        try read { tx in
            guard try tx.tableExists(StoredEvaluationRecord.databaseTableName) else { return [] }
            return try tx.fetchAll(
                StoredEvaluationRecord.self, "SELECT * FROM stored_evaluation WHERE run_id = ? ORDER BY id", [runID])
        }
    }
}
