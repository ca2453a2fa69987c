import Foundation
import GRDB
import LRCurve

/// Every record maps its camelCase properties to snake_case columns, so the schema reads naturally in SQL.
public protocol StoreRecord: Codable, FetchableRecord, MutablePersistableRecord {}

extension StoreRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

/// A row that belongs to one run (`run_id`), so that it can move with its run to another store.
public protocol RunOwnedRecord: StoreRecord {
    var runId: Int64 { get set }
}

/// A named group of runs (one spec file, possibly expanded by a sweep). Table `experiment`.
public struct ExperimentRecord: StoreRecord, Equatable, Sendable {
    public static let databaseTableName = "experiment"
    public var id: Int64?
    public var name: String
    public var description: String
    public var createdAt: Date

    public init(id: Int64? = nil, name: String, description: String = "", createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.description = description
        self.createdAt = createdAt
    }

    /// - Throws: ``StoreValueError`` naming the row and the column of a value of the wrong type.
    public init(row: Row) throws {
        let r = StoreRow(
            row, table: Self.databaseTableName, key: "id \(StoreRow.describeKey(StoreRow.databaseValue(row, "id")))")
        id = try r.optional("id")
        name = try r.value("name")
        description = try r.value("description")
        createdAt = try r.value("created_at")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Where a run is in its life. Stored as text in `run.status`.
public enum RunStatus: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    case queued, running, finished, failed, interrupted
}

/// The status `ser runs`, `ser show` and reports show: the recorded ``RunStatus``, or `stale` for a `running` run
/// whose process is gone (never stored). Raw values are the words printed and written in JSON.
public enum DisplayStatus: String, Codable, CaseIterable, Sendable {
    case queued, running, finished, failed, interrupted, stale

    public init(_ status: RunStatus) {
        switch status {
        case .queued: self = .queued
        case .running: self = .running
        case .finished: self = .finished
        case .failed: self = .failed
        case .interrupted: self = .interrupted
        }
    }

    /// The recorded status this one shows (nil for `stale`).
    public var runStatus: RunStatus? { RunStatus(rawValue: rawValue) }
}

/// One training run: one resolved spec (one sweep combination). Table `run`.
public struct RunRecord: StoreRecord, Equatable, Sendable {
    public static let databaseTableName = "run"
    public var id: Int64?
    public var experimentId: Int64
    /// A readable name: the experiment name, plus the sweep assignment when there is one.
    public var name: String
    /// The sweep combination as `key=value` pairs joined by ", " ("" without a sweep).
    public var sweep: String
    /// The canonical resolved spec (every default filled, keys sorted) and its SHA-256 (hex).
    public var specYaml: String
    public var specHash: String
    public var status: RunStatus
    public var error: String?
    public var seed: Int64
    public var toolVersion: String
    public var host: String
    public var pid: Int64?
    public var createdAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var heartbeatAt: Date?

    public init(
        id: Int64? = nil, experimentId: Int64, name: String, sweep: String = "", specYaml: String,
        specHash: String, status: RunStatus = .queued, error: String? = nil, seed: Int64,
        toolVersion: String, host: String = RunStore.hostName, pid: Int64? = nil, createdAt: Date = Date(),
        startedAt: Date? = nil, endedAt: Date? = nil, heartbeatAt: Date? = nil
    ) {
        self.id = id
        self.experimentId = experimentId
        self.name = name
        self.sweep = sweep
        self.specYaml = specYaml
        self.specHash = specHash
        self.status = status
        self.error = error
        self.seed = seed
        self.toolVersion = toolVersion
        self.host = host
        self.pid = pid
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.heartbeatAt = heartbeatAt
    }

    /// - Throws: ``StoreValueError`` naming the run and the column of a value of the wrong type.
    public init(row: Row) throws {
        let r = StoreRow(row, table: Self.databaseTableName, key: StoreRow.runKey(row, column: "id"))
        id = try r.optional("id")
        experimentId = try r.value("experiment_id")
        name = try r.value("name")
        sweep = try r.value("sweep")
        specYaml = try r.value("spec_yaml")
        specHash = try r.value("spec_hash")
        status = try r.value("status")
        error = try r.optional("error")
        seed = try r.value("seed")
        toolVersion = try r.value("tool_version")
        host = try r.value("host")
        pid = try r.optional("pid")
        createdAt = try r.value("created_at")
        startedAt = try r.optional("started_at")
        endedAt = try r.optional("ended_at")
        heartbeatAt = try r.optional("heartbeat_at")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The metrics of one finished epoch. Table `epoch_metric`, primary key (run_id, epoch); epochs count from 1.
public struct EpochMetricRecord: RunOwnedRecord, Equatable, Sendable {
    public static let databaseTableName = "epoch_metric"
    public var runId: Int64
    public var epoch: Int
    public var trainLoss: Double?
    public var validLoss: Double?
    /// Validation accuracy, balanced accuracy (unweighted average recall) and macro F1, all in 0…1.
    public var accuracy: Double?
    public var balancedAccuracy: Double?
    public var f1Macro: Double?
    /// The learning rate at the end of the epoch.
    public var lr: Double?
    public var seconds: Double?
    public var recordedAt: Date

    public init(
        runId: Int64, epoch: Int, trainLoss: Double? = nil, validLoss: Double? = nil, accuracy: Double? = nil,
        balancedAccuracy: Double? = nil, f1Macro: Double? = nil, lr: Double? = nil, seconds: Double? = nil,
        recordedAt: Date = Date()
    ) {
        self.runId = runId
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validLoss = validLoss
        self.accuracy = accuracy
        self.balancedAccuracy = balancedAccuracy
        self.f1Macro = f1Macro
        self.lr = lr
        self.seconds = seconds
        self.recordedAt = recordedAt
    }

    /// - Throws: ``StoreValueError`` naming the run, the epoch and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key = StoreRow.runKey(row) + ", epoch " + StoreRow.describeKey(StoreRow.databaseValue(row, "epoch"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        epoch = try r.value("epoch")
        trainLoss = try r.optionalFinite("train_loss")
        validLoss = try r.optionalFinite("valid_loss")
        accuracy = try r.optionalFinite("accuracy")
        balancedAccuracy = try r.optionalFinite("balanced_accuracy")
        f1Macro = try r.optionalFinite("f1_macro")
        lr = try r.optionalFinite("lr")
        seconds = try r.optionalFinite("seconds")
        recordedAt = try r.value("recorded_at")
    }
}

/// The row of one ``LRFinderPoint`` of a run. Table `lr_finder_point`, primary key (run_id, iteration).
public struct LRFinderPointRecord: RunOwnedRecord, Equatable, Sendable {
    public static let databaseTableName = "lr_finder_point"
    public var runId: Int64
    public var iteration: Int
    public var lr: Double
    /// The raw batch loss and the exponentially smoothed loss the suggestions use.
    public var loss: Double
    public var smoothedLoss: Double?

    public init(runId: Int64, iteration: Int, lr: Double, loss: Double, smoothedLoss: Double? = nil) {
        self.runId = runId
        self.iteration = iteration
        self.lr = lr
        self.loss = loss
        self.smoothedLoss = smoothedLoss
    }

    /// The row of `point` of run `runId`.
    public init(runId: Int64, point: LRFinderPoint) {
        self.init(
            runId: runId, iteration: point.iteration, lr: point.learningRate, loss: point.loss,
            smoothedLoss: point.smoothedLoss)
    }

    /// The finder point this row records; a row without a smoothed loss gives its raw loss there.
    public var point: LRFinderPoint {
        LRFinderPoint(iteration: iteration, learningRate: lr, loss: loss, smoothedLoss: smoothedLoss ?? loss)
    }

    /// - Throws: ``StoreValueError`` naming the run, the iteration and the column of a value of the wrong
    ///   type. (Losses may be infinite: the finder runs until the loss explodes.)
    public init(row: Row) throws {
        let key =
            StoreRow.runKey(row) + ", iteration " + StoreRow.describeKey(StoreRow.databaseValue(row, "iteration"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        iteration = try r.value("iteration")
        lr = try r.finite("lr")
        loss = try r.value("loss")
        smoothedLoss = try r.optional("smoothed_loss")
    }
}

/// A learning rate suggested by the finder (`minimum`, `steep`, `valley`, `slide`). Table `lr_suggestion`.
public struct LRSuggestionRecord: RunOwnedRecord, Equatable, Sendable {
    public static let databaseTableName = "lr_suggestion"
    public var runId: Int64
    public var method: String
    public var lr: Double
    /// True for the suggestion the run trained with.
    public var chosen: Bool

    public init(runId: Int64, method: String, lr: Double, chosen: Bool = false) {
        self.runId = runId
        self.method = method
        self.lr = lr
        self.chosen = chosen
    }

    /// - Throws: ``StoreValueError`` naming the run, the method and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key = StoreRow.runKey(row) + ", method " + StoreRow.describeKey(StoreRow.databaseValue(row, "method"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        method = try r.value("method")
        lr = try r.finite("lr")
        chosen = try r.value("chosen")
    }
}

/// A model's evaluation on one split (`valid` or `test`): summary metrics and the confusion matrix.
/// Table `evaluation`, primary key (run_id, split). `labels` and `confusion` are JSON text:
/// `labels` is the class names in matrix order, `confusion[t][p]` counts files of true class t predicted p.
public struct EvaluationRecord: RunOwnedRecord, Equatable, Sendable {
    public static let databaseTableName = "evaluation"
    public var runId: Int64
    public var split: String
    public var loss: Double?
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var f1Macro: Double
    public var labels: [String]
    public var confusion: [[Int]]
    /// Files of the split (a `test:` corpus) whose class the model does not know, per class: counted, not
    /// scored; nil when every file was scored (column `unknown_classes`, JSON text, from `v10-unknown-classes`).
    public var unknownClasses: [String: Int]?
    public var recordedAt: Date

    public init(
        runId: Int64, split: String, loss: Double? = nil, accuracy: Double, balancedAccuracy: Double,
        f1Macro: Double, labels: [String], confusion: [[Int]], unknownClasses: [String: Int]? = nil,
        recordedAt: Date = Date()
    ) {
        self.runId = runId
        self.split = split
        self.loss = loss
        self.accuracy = accuracy
        self.balancedAccuracy = balancedAccuracy
        self.f1Macro = f1Macro
        self.labels = labels
        self.confusion = confusion
        self.unknownClasses = unknownClasses
        self.recordedAt = recordedAt
    }

    /// The files ``unknownClasses`` counts, for people: "32 files of classes the model does not know:
    /// disgust (32)"; nil when every file was scored.
    public var notScored: String? {
        guard let unknown = unknownClasses, !unknown.isEmpty else { return nil }
        let files = unknown.values.reduce(0, +)
        return "\(files) file\(files == 1 ? "" : "s") of classes the model does not know: "
            + unknown.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
    }

    /// - Throws: ``StoreValueError`` naming the run, the split and the column of a value of the wrong type,
    ///   of malformed JSON, or of a confusion matrix that is not labels × labels counts.
    public init(row: Row) throws {
        let key = StoreRow.runKey(row) + ", split " + StoreRow.describeKey(StoreRow.databaseValue(row, "split"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        split = try r.value("split")
        loss = try r.optionalFinite("loss")
        accuracy = try r.finite("accuracy")
        balancedAccuracy = try r.finite("balanced_accuracy")
        f1Macro = try r.finite("f1_macro")
        (labels, confusion) = try r.labelsAndConfusion()
        unknownClasses = try r.optionalJSON(
            "unknown_classes", [String: Int].self, "an object of class names to file counts")
        recordedAt = try r.value("recorded_at")
    }
}

/// Precision, recall and F1 of one class on one split. Table `class_metric`, key (run_id, split, label).
public struct ClassMetricRecord: RunOwnedRecord, Equatable, Sendable {
    public static let databaseTableName = "class_metric"
    public var runId: Int64
    public var split: String
    public var label: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// The number of files of this class in the split.
    public var support: Int

    public init(
        runId: Int64, split: String, label: String, precision: Double, recall: Double, f1: Double, support: Int
    ) {
        self.runId = runId
        self.split = split
        self.label = label
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }

    /// - Throws: ``StoreValueError`` naming the run, split, label and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key =
            StoreRow.runKey(row) + ", split " + StoreRow.describeKey(StoreRow.databaseValue(row, "split"))
            + ", label " + StoreRow.describeKey(StoreRow.databaseValue(row, "label"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        split = try r.value("split")
        label = try r.value("label")
        precision = try r.finite("precision")
        recall = try r.finite("recall")
        f1 = try r.finite("f1")
        support = try r.value("support")
    }
}

/// The model's answer for one audio file. Table `prediction`, key (run_id, split, path).
/// `probabilities` is JSON text: one probability per class, in the evaluation's label order.
public struct PredictionRecord: RunOwnedRecord, Equatable, Sendable {
    public static let databaseTableName = "prediction"
    public var runId: Int64
    public var split: String
    public var path: String
    public var label: String
    public var predicted: String
    public var confidence: Double
    public var probabilities: [Double]?

    public init(
        runId: Int64, split: String, path: String, label: String, predicted: String, confidence: Double,
        probabilities: [Double]? = nil
    ) {
        self.runId = runId
        self.split = split
        self.path = path
        self.label = label
        self.predicted = predicted
        self.confidence = confidence
        self.probabilities = probabilities
    }

    /// - Throws: ``StoreValueError`` naming the run, split, path and the column of a value of the wrong type
    ///   or of malformed JSON.
    public init(row: Row) throws {
        let key =
            StoreRow.runKey(row) + ", split " + StoreRow.describeKey(StoreRow.databaseValue(row, "split"))
            + ", path " + StoreRow.describeKey(StoreRow.databaseValue(row, "path"))
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        runId = try r.value("run_id")
        split = try r.value("split")
        path = try r.value("path")
        label = try r.value("label")
        predicted = try r.value("predicted")
        confidence = try r.finite("confidence")
        probabilities = try r.optionalJSON("probabilities", [Double].self, "a list of numbers")
    }
}

/// A file a run produced. Table `artifact`. Kinds in use: `weights` (final safetensors), `checkpoint`
/// (resumable state after `epoch`), `report`, `plot`.
public struct ArtifactRecord: StoreRecord, Equatable, Sendable {
    public static let databaseTableName = "artifact"
    public var id: Int64?
    public var runId: Int64
    public var kind: String
    public var path: String
    public var sha256: String
    public var bytes: Int64
    public var epoch: Int?
    public var createdAt: Date

    public init(
        id: Int64? = nil, runId: Int64, kind: String, path: String, sha256: String, bytes: Int64,
        epoch: Int? = nil, createdAt: Date = Date()
    ) {
        self.id = id
        self.runId = runId
        self.kind = kind
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
        self.epoch = epoch
        self.createdAt = createdAt
    }

    /// - Throws: ``StoreValueError`` naming the artifact, its run and the column of a value of the wrong type.
    public init(row: Row) throws {
        let key =
            "id " + StoreRow.describeKey(StoreRow.databaseValue(row, "id")) + " of " + StoreRow.runKey(row)
        let r = StoreRow(row, table: Self.databaseTableName, key: key)
        id = try r.optional("id")
        runId = try r.value("run_id")
        kind = try r.value("kind")
        path = try r.value("path")
        sha256 = try r.value("sha256")
        bytes = try r.value("bytes")
        epoch = try r.optional("epoch")
        createdAt = try r.value("created_at")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
