import Foundation
import NeuralNet
import OutputFiles
import SeededRandom

/// Layers that draw random numbers while training (dropout) expose their generators, so a
/// checkpoint can save them and a resumed run draws the same masks.
public protocol RandomStateCarrying {
    var randomStates: [Xoshiro256] { get set }
}

extension ResNet: RandomStateCarrying {
    public var randomStates: [Xoshiro256] {
        get { dropout.map { [$0.generator] } ?? [] }
        set { if dropout != nil, let g = newValue.first { dropout!.generator = g } }
    }
}

/// The training state after a finished epoch, as written to a checkpoint directory.
///
/// Layout of the directory (the JSON file is the commit point: it is written last, atomically, and
/// names the tensor files it belongs to, so a crash mid-write leaves the previous checkpoint intact):
///
/// - `checkpoint.json`: this structure (format version, fit plan, epochs done, step, seed, smoothed
///   loss, optimizer step/LR/momentum, model generator states, best epoch, epoch history, file names).
/// - `model-eNNNN.safetensors`: the model's `stateDict` (weights + BatchNorm running statistics).
/// - `optimizer-eNNNN.safetensors`: the optimizer's `stateTensors` (Adam moments / SGD momentum).
/// - `best-eNNNN.safetensors`: the best epoch's model `stateDict` (NNNN = that epoch).
/// - `average-eNNNN.safetensors`: the mean of the last epochs' models so far, when the learner averages
///   (``LearnerConfiguration/averageEpochs``); `averageCount` says over how many epochs.
///
/// Files of older epochs are deleted after the JSON is committed.
public struct CheckpointState: Codable, Equatable, Sendable {
    public static let currentFormatVersion = 1
    public static let fileName = "checkpoint.json"

    public var formatVersion: Int
    public var plan: FitPlan
    public var epochsCompleted: Int
    public var step: Int
    public var seed: UInt64
    public var smoothedLoss: SmoothedLoss
    public var optimizerStep: Int
    public var learningRate: Float
    public var momentum: Float
    /// Generator states of the model's random layers, as 4 hex words each.
    public var modelRandomStates: [[String]]
    public var best: BestEpoch?
    public var history: [EpochRecord]
    public var modelFile: String
    public var optimizerFile: String
    public var bestFile: String?
    /// The weight average so far and how many epochs it is over (absent when the fit does not average, or
    /// has not reached its averaged epochs).
    public var averageFile: String?
    public var averageCount: Int?

    static func encodeGenerator(_ g: Xoshiro256) -> [String] {
        let s = g.state
        return [s.0, s.1, s.2, s.3].map { String($0, radix: 16) }
    }

    static func decodeGenerator(_ words: [String]) throws -> Xoshiro256 {
        let values = words.compactMap { UInt64($0, radix: 16) }
        guard values.count == 4 else { throw CheckpointError.invalid("generator state \(words) is not 4 hex words") }
        var g = Xoshiro256(seed: 0)
        g.state = (values[0], values[1], values[2], values[3])
        return g
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Reads `checkpoint.json` of a checkpoint directory.
    public static func read(from directory: URL) throws -> CheckpointState {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CheckpointError.missing(url.path)
        }
        let state: CheckpointState
        do {
            state = try decoder.decode(CheckpointState.self, from: Data(contentsOf: url))
        } catch {
            throw CheckpointError.invalid("\(url.path): \(error)")
        }
        guard state.formatVersion == currentFormatVersion else {
            throw CheckpointError.invalid(
                "\(url.path): format version \(state.formatVersion); this build reads version \(currentFormatVersion)")
        }
        return state
    }

    /// Writes the JSON atomically (temporary file + rename, through `OutputFile`: never over a non-regular file).
    func write(to directory: URL) throws {
        try OutputFile.write(
            Self.encoder.encode(self), to: directory.appendingPathComponent(Self.fileName).path, existing: .replace)
    }
}

/// A checkpoint that cannot be read or does not fit the learner.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case invalid(String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no checkpoint here (expected the checkpoint.json a previous run writes after each epoch)"
        case .invalid(let reason): return "invalid checkpoint: \(reason)"
        case .mismatch(let reason): return "checkpoint does not fit this run: \(reason)"
        }
    }
}

/// Tensor-file helpers shared by the learner.
enum CheckpointFiles {
    static func name(_ kind: String, epoch: Int) -> String { String(format: "%@-e%04d.safetensors", kind, epoch) }

    static func tensors(_ url: URL) throws -> [String: Tensor] {
        let file = try SafeTensors.read(from: url)
        return Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Removes `*.safetensors` files in `directory` not named in `keep` (files of older epochs).
    static func prune(_ directory: URL, keep: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".safetensors") && !keep.contains(name) {
            if ["model-e", "optimizer-e", "best-e", "average-e"].contains(where: { name.hasPrefix($0) }) {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        }
    }
}

/// Writes the checkpoint after every epoch (``CheckpointState``'s layout) and restores a learner from one.
/// Runs after the other callbacks' `afterEpoch`, so the checkpoint holds the epoch's records and a stop
/// asked for in `afterEpoch` still writes it; `afterCheckpoint` follows each write.
public final class Checkpointer: LearnerCallback {
    public let order = 100
    public let directory: URL

    public init(_ directory: URL) { self.directory = directory }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) throws {
        guard event == .afterEpoch, learner.history.last?.epoch == learner.state.epoch else { return }
        try Self.save(learner, to: directory, epochsCompleted: learner.state.epoch + 1, plan: learner.state.plan)
        learner.state.checkpoint = directory
    }

    /// Writes the state after `epochsCompleted` epochs.
    static func save<Model: Layer, Opt: Optimizer>(
        _ learner: Learner<Model, Opt>, to directory: URL, epochsCompleted: Int, plan: FitPlan
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let last = epochsCompleted - 1
        let modelFile = CheckpointFiles.name("model", epoch: last)
        let optimizerFile = CheckpointFiles.name("optimizer", epoch: last)
        try SafeTensors.write(
            learner.model.stateDict, metadata: ["epoch": String(last)],
            to: directory.appendingPathComponent(modelFile))
        try SafeTensors.write(
            learner.optimizer.stateTensors, metadata: ["step": String(learner.optimizer.stepCount)],
            to: directory.appendingPathComponent(optimizerFile))
        var bestFile: String? = nil
        if let best = learner.best, let bestModel = learner.bestModel {
            bestFile = CheckpointFiles.name("best", epoch: best.epoch)
            let url = directory.appendingPathComponent(bestFile!)
            if best.epoch == last || !FileManager.default.fileExists(atPath: url.path) {
                try SafeTensors.write(
                    bestModel.stateDict,
                    metadata: ["epoch": String(best.epoch), best.metric.rawValue: String(best.value)], to: url)
            }
        }
        var averageFile: String? = nil
        if let average = learner.average {
            averageFile = CheckpointFiles.name("average", epoch: last)
            try SafeTensors.write(
                average.model.stateDict, metadata: ["epochs": String(average.count)],
                to: directory.appendingPathComponent(averageFile!))
        }
        let randomStates = (learner.model as? RandomStateCarrying)?.randomStates ?? []
        let state = CheckpointState(
            formatVersion: CheckpointState.currentFormatVersion, plan: plan, epochsCompleted: epochsCompleted,
            step: learner.step, seed: learner.configuration.seed, smoothedLoss: learner.smoothedLoss,
            optimizerStep: learner.optimizer.stepCount, learningRate: learner.optimizer.learningRate,
            momentum: learner.optimizer.momentum,
            modelRandomStates: randomStates.map(CheckpointState.encodeGenerator), best: learner.best,
            history: learner.history, modelFile: modelFile, optimizerFile: optimizerFile, bestFile: bestFile,
            averageFile: averageFile, averageCount: learner.average?.count)
        try state.write(to: directory)
        CheckpointFiles.prune(
            directory, keep: Set([modelFile, optimizerFile] + [bestFile, averageFile].compactMap { $0 }))
    }

    /// Restores the model, optimizer, counters, records, best model and average saved in `directory`
    /// after checking that the checkpoint fits the learner; returns the state (its plan and epochs done).
    static func restore<Model: Layer, Opt: Optimizer>(_ learner: Learner<Model, Opt>, from directory: URL) throws
        -> CheckpointState
    {
        let state = try CheckpointState.read(from: directory)
        let seed = learner.configuration.seed
        guard state.seed == seed else {
            throw CheckpointError.mismatch(
                "the checkpoint was made with seed \(state.seed), this learner has seed \(seed)")
        }
        guard state.history.isEmpty || state.step == state.history.last!.step else {
            throw CheckpointError.invalid("step \(state.step) disagrees with the history")
        }
        let perEpoch = learner.batchesPerEpoch
        guard state.epochsCompleted * perEpoch == state.step else {
            throw CheckpointError.mismatch(
                "\(state.step) steps after \(state.epochsCompleted) epochs, but this learner makes \(perEpoch) batches per epoch (different data, split or batch size?)"
            )
        }
        do {
            try learner.model.loadStateDict(
                CheckpointFiles.tensors(directory.appendingPathComponent(state.modelFile)))
        } catch let error as ModelStateError {
            throw CheckpointError.mismatch("model: \(error)")
        }
        if var carrier = learner.model as? RandomStateCarrying {
            carrier.randomStates = try state.modelRandomStates.map(CheckpointState.decodeGenerator)
            learner.model = carrier as! Model
        }
        learner.optimizer.loadStateTensors(
            try CheckpointFiles.tensors(directory.appendingPathComponent(state.optimizerFile)))
        learner.optimizer.stepCount = state.optimizerStep
        learner.optimizer.learningRate = state.learningRate
        learner.optimizer.momentum = state.momentum
        learner.step = state.step
        learner.smoothedLoss = state.smoothedLoss
        learner.history = state.history
        learner.best = state.best
        learner.bestModel = nil
        if let bestFile = state.bestFile {
            var copy = learner.model
            try copy.loadStateDict(CheckpointFiles.tensors(directory.appendingPathComponent(bestFile)))
            learner.bestModel = copy
        }
        learner.average = nil
        if let averageFile = state.averageFile, let count = state.averageCount {
            var copy = learner.model
            try copy.loadStateDict(CheckpointFiles.tensors(directory.appendingPathComponent(averageFile)))
            learner.average = WeightAverage(model: copy, count: count)
        }
        return state
    }
}
