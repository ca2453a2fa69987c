import Foundation
import NeuralNet
import SeededRandom

/// One iteration of the learning-rate sweep.
public struct LRFinderPoint: Codable, Equatable, Sendable {
    public var iteration: Int
    public var learningRate: Double
    /// The batch's loss.
    public var loss: Double
    /// The exponential moving average of the loss (β 0.98, bias-corrected): what fastai plots and
    /// what the suggestions use.
    public var smoothedLoss: Double
}

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

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .value(value)
        } else {
            self = .suggestion(try container.decode(LRSuggestionMethod.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .value(let value): try container.encode(value)
        case .suggestion(let method): try container.encode(method)
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

    /// The learning rate, taken from `finder` for a suggestion (nil when the finder gave none).
    public func resolve(_ finder: LRFinderResult?) -> Double? {
        switch self {
        case .value(let v): return v
        case .suggestion(let m): return finder?.learningRate(m)
        }
    }

    public var description: String {
        switch self {
        case .value(let v): return "\(v)"
        case .suggestion(let m): return m.rawValue
        }
    }
}

extension Learner {
    /// fastai's `lr_find`: trains on training batches (cycling through epochs when `numIt` exceeds
    /// one epoch, no validation) with `lr = start·(end/start)^(i/numIt)` for i = 0, 1, …, records the
    /// loss and its smoothed value, stops after `numIt` iterations or when the smoothed loss exceeds
    /// 4× the best one (`stopDiv`) or is NaN, then restores the model (weights, BatchNorm statistics,
    /// dropout generators), the optimizer and the learner's counters exactly as they were.
    ///
    /// Batches come from the seed's LR-finder streams, so the finder never changes which batches
    /// `fit` sees. Suggestions are computed on the smoothed losses with fastai's trimming.
    @discardableResult
    public func lrFind(
        start: Double = 1e-7, end: Double = 10, numIt: Int = 100, stopDiv: Bool = true,
        methods: [LRSuggestionMethod] = LRSuggestionMethod.allCases
    ) throws -> LRFinderResult {
        guard !split.train.isEmpty else { throw TrainingError.noTrainingItems }
        precondition(start > 0 && end > start && numIt > 0, "lr_find needs 0 < start < end and numIt > 0")
        let savedModel = model, savedOptimizer = optimizer
        defer {
            model = savedModel
            optimizer = savedOptimizer
        }
        var smooth = SmoothedLoss()
        var bestLoss = Double.infinity
        var points: [LRFinderPoint] = []
        var diverged = false
        var iteration = 0
        var epoch: UInt64 = 0
        var bar = BatchProgressBar(output: configuration.output.progress, total: numIt, label: "lr_find")
        sweep: while iteration < numIt {
            var rng = Xoshiro256(seed: configuration.seed ^ 0x4C52_4649_4E44_4552, stream: epoch)
            for indices in loader.trainingOrder(split.train, using: &rng) {
                let lr = lrFinderSchedule(start: start, end: end, iteration: iteration, numIt: numIt)
                optimizer.learningRate = Float(lr)
                let loss = trainStep(loader.trainingBatch(indices, using: &rng))
                let smoothed = smooth.add(loss)
                points.append(LRFinderPoint(iteration: iteration, learningRate: lr, loss: loss, smoothedLoss: smoothed))
                iteration += 1
                bar.update(done: iteration, loss: smoothed)
                if smoothed < bestLoss { bestLoss = smoothed }
                if stopDiv && (smoothed > 4 * bestLoss || smoothed.isNaN) {
                    diverged = true
                    break sweep
                }
                if iteration >= numIt { break sweep }
            }
            epoch += 1
        }
        bar.clear()
        let suggestions = suggestLearningRates(
            learningRates: points.map(\.learningRate), losses: points.map(\.smoothedLoss), numIt: numIt,
            methods: methods)
        let result = LRFinderResult(
            start: start, end: end, numIt: numIt, points: points, suggestions: suggestions, diverged: diverged)
        for o in observers { o.learnerDidFinishLRFinder(result) }
        return result
    }
}
