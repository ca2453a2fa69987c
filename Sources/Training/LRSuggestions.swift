import Foundation

/// fastai's learning-rate suggestion rules, applied to an LR-finder curve.
public enum LRSuggestionMethod: String, Codable, CaseIterable, Sendable {
    /// One tenth of the LR at the minimum (smoothed) loss.
    case minimum
    /// The LR where the loss falls fastest per unit of log LR, before the loss minimum.
    case steep
    /// fastai's default: two thirds of the way down the longest valley.
    case valley
    /// fastai's interval-slide rule on the loss gradient.
    case slide
}

/// A suggested learning rate and the point of the curve it marks.
public struct LRSuggestion: Codable, Equatable, Sendable {
    public var method: LRSuggestionMethod
    public var learningRate: Double
    /// The point to mark on the plot (LR, loss); for `minimum` this is the minimum itself.
    public var markerLR: Double
    public var markerLoss: Double
}

/// fastai's `lr_find` post-processing: drops the first `numIt/10` and the last 5 points, cuts the
/// curve at the first NaN, and applies each method. Returns an empty array when too few points remain.
/// - Complexity: O(n²) for `valley`, O(n) for the others, n = number of points.
public func suggestLearningRates(
    learningRates: [Double], losses: [Double], numIt: Int, methods: [LRSuggestionMethod]
) -> [LRSuggestion] {
    precondition(learningRates.count == losses.count, "learning rates and losses differ in length")
    let start = numIt / 10
    let end = learningRates.count - 5
    guard end > start else { return [] }
    var lrs = Array(learningRates[start..<end])
    var ls = Array(losses[start..<end])
    if let nan = ls.firstIndex(where: { $0.isNaN }) {
        lrs = Array(lrs[..<nan])
        ls = Array(ls[..<nan])
    }
    guard lrs.count >= 2 else { return [] }
    return methods.map { method in
        switch method {
        case .minimum: return LRSuggestionRules.minimum(lrs, ls)
        case .steep: return LRSuggestionRules.steep(lrs, ls)
        case .valley: return LRSuggestionRules.valley(lrs, ls)
        case .slide: return LRSuggestionRules.slide(lrs, ls)
        }
    }
}

/// The individual rules, on an already trimmed curve (at least 2 points).
enum LRSuggestionRules {
    static func nearestLoss(_ lrs: [Double], _ losses: [Double], to lr: Double) -> Double {
        let i = lrs.indices.min { abs(lrs[$0] - lr) < abs(lrs[$1] - lr) }!
        return losses[i]
    }

    static func minimum(_ lrs: [Double], _ losses: [Double]) -> LRSuggestion {
        let i = losses.indices.min { losses[$0] < losses[$1] }!
        return LRSuggestion(method: .minimum, learningRate: lrs[i] / 10, markerLR: lrs[i], markerLoss: losses[i])
    }

    /// fastai's rule, searched only up to the minimum loss: past the minimum the loss is diverging,
    /// and a momentary dip there (one batch back from a spike) is steeper than the real descent but
    /// marks a rate that diverges. When the minimum is the first point, the whole curve is searched.
    static func steep(_ lrs: [Double], _ losses: [Double]) -> LRSuggestion {
        let lowest = losses.indices.min { losses[$0] < losses[$1] }!
        let last = lowest > 0 ? lowest : lrs.count - 1
        let slopes = (0..<last).map { i -> Double in
            let rise: Double = losses[i + 1] - losses[i]
            let run: Double = log(lrs[i + 1]) - log(lrs[i])
            return rise / run
        }
        let i = slopes.indices.min { slopes[$0] < slopes[$1] }!
        return LRSuggestion(
            method: .steep, learningRate: lrs[i], markerLR: lrs[i], markerLoss: nearestLoss(lrs, losses, to: lrs[i]))
    }

    /// Longest decreasing run (as a longest-decreasing-subsequence ending index), then 1/3 + 1/6 of the way in.
    static func valley(_ lrs: [Double], _ losses: [Double]) -> LRSuggestion {
        let n = losses.count
        var lds = [Int](repeating: 1, count: n)
        var maxStart = 0, maxEnd = 0
        for i in 1..<n {
            for j in 0..<i {
                if losses[i] < losses[j] && lds[i] < lds[j] + 1 { lds[i] = lds[j] + 1 }
                if lds[maxEnd] < lds[i] {
                    maxEnd = i
                    maxStart = maxEnd - lds[maxEnd]
                }
            }
        }
        let sections = Double(maxEnd - maxStart) / 3
        let i = min(n - 1, max(0, maxStart + Int(sections) + Int(sections / 2)))
        return LRSuggestion(method: .valley, learningRate: lrs[i], markerLR: lrs[i], markerLoss: losses[i])
    }

    static func slide(
        _ lrs: [Double], _ losses: [Double], lrDiff: Int = 15, threshold: Double = 0.005, adjust: Double = 1
    ) -> LRSuggestion {
        let n = losses.count
        let gradient = numpyGradient(losses)
        // Negative indices as in fastai: -1 is the last point.
        func at<T>(_ a: [T], _ negative: Int) -> T { a[n + negative] }
        var right = -1
        var left = right - lrDiff
        var localMin = left >= -n ? at(lrs, left) : lrs[0]
        while left >= -n && abs(at(gradient, right) - at(gradient, left)) > threshold {
            localMin = at(lrs, left)
            right -= 1
            left -= 1
        }
        let suggestion = localMin * adjust
        return LRSuggestion(
            method: .slide, learningRate: suggestion, markerLR: suggestion,
            markerLoss: interpolate(log10(suggestion), xs: lrs.map(log10), ys: losses))
    }

    /// `numpy.gradient` with unit spacing: central differences inside, one-sided at the ends.
    static func numpyGradient(_ y: [Double]) -> [Double] {
        let n = y.count
        guard n >= 2 else { return [0] }
        return (0..<n).map { i in
            if i == 0 { return y[1] - y[0] }
            if i == n - 1 { return y[n - 1] - y[n - 2] }
            return (y[i + 1] - y[i - 1]) / 2
        }
    }

    /// `numpy.interp` for increasing xs: clamps outside the range.
    static func interpolate(_ x: Double, xs: [Double], ys: [Double]) -> Double {
        if x <= xs[0] { return ys[0] }
        if x >= xs[xs.count - 1] { return ys[ys.count - 1] }
        let i = xs.firstIndex { $0 >= x }!
        let t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
        return ys[i - 1] + t * (ys[i] - ys[i - 1])
    }
}

/// fastai's exponential LR sweep: `start · (end/start)^(i/numIt)`.
public func lrFinderSchedule(start: Double, end: Double, iteration: Int, numIt: Int) -> Double {
    start * pow(end / start, Double(iteration) / Double(numIt))
}

/// fastai's `AvgSmoothLoss`: an exponential moving average of the loss, bias-corrected.
public struct SmoothedLoss: Codable, Equatable, Sendable {
    public var beta: Double
    private var average = 0.0
    private var count = 0

    public init(beta: Double = 0.98) { self.beta = beta }

    /// Adds a batch loss and returns the smoothed value.
    public mutating func add(_ loss: Double) -> Double {
        count += 1
        average = beta * average + (1 - beta) * loss
        return value
    }

    public var value: Double { count == 0 ? .nan : average / (1 - pow(beta, Double(count))) }
}
