import Foundation
import LRCurve
import NeuralNet
import SeededRandom

/// The curve and the suggestions of an LR-finder run.
public struct LRFinderResult: Codable, Equatable, Sendable {
    public var start: Double
    public var end: Double
    public var numIt: Int
    public var points: [LRFinderPoint]
    public var suggestions: [LRSuggestion]
    /// True when the sweep stopped because the smoothed loss exceeded 4× its best (`stop_div`).
    public var diverged: Bool

    /// The suggestion of `method`, when it could be computed.
    public func learningRate(_ method: LRSuggestionMethod) -> Double? {
        suggestions.first { $0.method == method }?.learningRate
    }
}

/// An experiment's learning rate: a number, or a suggestion of the LR finder (`lr: valley`). Coded as the
/// number or the suggestion's name (a spec's `train.lr`).
public enum LearningRateChoice: Codable, Equatable, Sendable, CustomStringConvertible {
    case value(Double)
    case suggestion(LRSuggestionMethod)
    /// Discriminative rates (fastai's `slice(low, high)`): the schedule follows `high`, the head's rate; the
    /// earlier stages get rates spaced geometrically down to `low` for the stem (coded `[low, high]`).
    case range(low: Double, high: Double)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .value(value)
        } else if let pair = try? container.decode([Double].self) {
            guard pair.count == 2, pair[0] > 0, pair[0] < pair[1] else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected [low, high] with 0 < low < high, got \(pair)")
            }
            self = .range(low: pair[0], high: pair[1])
        } else {
            self = .suggestion(try container.decode(LRSuggestionMethod.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .value(let value): try container.encode(value)
        case .suggestion(let method): try container.encode(method)
        case .range(let low, let high): try container.encode([low, high])
        }
    }

    /// Parses `"valley"`, `"minimum"`, … or a number such as `"1e-3"`.
    public init?(_ text: String) {
        if let m = LRSuggestionMethod(rawValue: text.lowercased()) {
            self = .suggestion(m)
        } else if let v = Double(text), v > 0, v.isFinite {
            self = .value(v)
        } else {
            return nil
        }
    }

    public var needsFinder: Bool { if case .suggestion = self { return true } else { return false } }

    /// The learning rate (the head's, for a range), taken from `finder` for a suggestion (nil when the finder
    /// gave none).
    public func resolve(_ finder: LRFinderResult?) -> Double? {
        switch self {
        case .value(let v): return v
        case .range(_, let high): return high
        case .suggestion(let m): return finder?.learningRate(m)
        }
    }

    public var description: String {
        switch self {
        case .value(let v): return "\(v)"
        case .suggestion(let m): return m.rawValue
        case .range(let low, let high): return "[\(low), \(high)]"
        }
    }
}

extension Learner {
    /// fastai's `lr_find`: a fit with an ``LRFinder`` callback. It trains on training batches (cycling
    /// through epochs when `numIt` exceeds one epoch, no validation) with
    /// `lr = start·(end/start)^(i/numIt)` for i = 0, 1, …, records the loss and its smoothed value, stops
    /// after `numIt` iterations or when the smoothed loss exceeds 4× the best one (`stopDiv`) or is NaN,
    /// then restores the model (weights, BatchNorm statistics, dropout generators), the optimizer and
    /// the learner's counters exactly as they were.
    ///
    /// Batches come from the seed's LR-finder streams, so the finder never changes which batches
    /// `fit` sees. Suggestions are computed on the smoothed losses with fastai's trimming. The learner's
    /// ``Learner/callbacks`` do not run during the sweep; they receive its result in `afterLRFind`.
    @discardableResult
    public func lrFind(
        start: Double = 1e-7, end: Double = 10, numIt: Int = 100, stopDiv: Bool = true,
        methods: [LRSuggestionMethod] = LRSuggestionMethod.allCases
    ) throws -> LRFinderResult {
        guard !split.train.isEmpty else { throw TrainingError.noTrainingItems }
        precondition(start > 0 && end > start && numIt > 0, "lr_find needs 0 < start < end and numIt > 0")
        let finder = LRFinder(start: start, end: end, numIt: numIt, stopDiv: stopDiv, methods: methods)
        let savedModel = model, savedOptimizer = optimizer, savedState = state
        defer {
            model = savedModel
            optimizer = savedOptimizer
            state = savedState
        }
        let epochs = (numIt + batchesPerEpoch - 1) / max(batchesPerEpoch, 1)
        try run(
            FitPlan(epochs: max(epochs, 1), policy: .constant(lr: start)), startEpoch: 0,
            with: [finder], streamSeed: configuration.seed ^ 0x4C52_4649_4E44_4552,
            validate: false)
        let result = finder.result
        lrFinderResult = result
        for c in inOrder(callbacks) { try c.on(.afterLRFind, self) }
        return result
    }
}

/// fastai's `LRFinder` callback: before each batch sets the learning rate of the exponential sweep, after
/// it records the loss and its smoothed value, and cancels the fit after `numIt` batches or when the
/// smoothed loss diverges (above 4× its best, or NaN, with `stopDiv`). Draws its own progress bar over
/// the whole sweep.
public final class LRFinder: LearnerCallback {
    public let start: Double, end: Double, numIt: Int, stopDiv: Bool
    public let methods: [LRSuggestionMethod]
    public private(set) var points: [LRFinderPoint] = []
    public private(set) var diverged = false
    private var smooth = SmoothedLoss()
    private var bestLoss = Double.infinity
    private var bar: BatchProgressBar?

    public init(start: Double, end: Double, numIt: Int, stopDiv: Bool, methods: [LRSuggestionMethod]) {
        self.start = start
        self.end = end
        self.numIt = numIt
        self.stopDiv = stopDiv
        self.methods = methods
    }

    public func on<Model: Layer, Opt: Optimizer>(_ event: LearnerEvent, _ learner: Learner<Model, Opt>) throws {
        switch event {
        case .beforeFit:
            bar = BatchProgressBar(output: learner.configuration.output.progress, total: numIt, label: "lr_find")
        case .beforeBatch:
            learner.optimizer.learningRate = Float(
                lrFinderSchedule(start: start, end: end, iteration: points.count, numIt: numIt))
        case .afterBatch:
            let loss = learner.state.loss
            let smoothed = smooth.add(loss)
            let lr = lrFinderSchedule(start: start, end: end, iteration: points.count, numIt: numIt)
            points.append(LRFinderPoint(iteration: points.count, learningRate: lr, loss: loss, smoothedLoss: smoothed))
            bar?.update(done: points.count, loss: smoothed)
            if smoothed < bestLoss { bestLoss = smoothed }
            if stopDiv && (smoothed > 4 * bestLoss || smoothed.isNaN) {
                diverged = true
                throw CancelFit()
            }
            if points.count >= numIt { throw CancelFit() }
        case .beforeValidate: throw CancelValidation()
        case .afterCancelFit, .afterFit:
            bar?.clear()
            bar = nil
        default: break
        }
    }

    /// The curve and the suggestions computed on its smoothed losses.
    public var result: LRFinderResult {
        let suggestions = suggestLearningRates(
            learningRates: points.map(\.learningRate), losses: points.map(\.smoothedLoss), numIt: numIt,
            methods: methods)
        return LRFinderResult(
            start: start, end: end, numIt: numIt, points: points, suggestions: suggestions, diverged: diverged)
    }
}
