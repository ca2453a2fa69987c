import Foundation

/// How an axis maps data values to positions.
public enum ScaleKind: Equatable, Sendable {
    case linear
    /// Base-10 logarithmic; the domain must be positive. Ticks at decades, labelled 1e-7 … 0.01, 0.1, 1, 10.
    case log10
    /// Frequencies in Hz placed on the mel scale (for mel-spectrogram rows): HTK formula
    /// `2595 log10(1 + f/700)` when `htk` is true, otherwise Slaney's (librosa's default: linear below
    /// 1 kHz, logarithmic above).
    case mel(htk: Bool)
}

/// Maps a data domain onto a pixel range (which may run backwards, as y axes do).
///
/// `map` is O(1); `ticks` is O(number of ticks).
public struct ChartScale: Equatable, Sendable {
    public var kind: ScaleKind
    public var domain: ClosedRange<Double>
    /// Pixel position of `domain.lowerBound` and of `domain.upperBound`.
    public var start: Double
    public var end: Double

    public init(kind: ScaleKind, domain: ClosedRange<Double>, start: Double, end: Double) {
        self.kind = kind
        self.domain = domain
        self.start = start
        self.end = end
    }

    /// The transformed coordinate (log10 value, mel value...) in which the axis is linear.
    public func transform(_ value: Double) -> Double {
        switch kind {
        case .linear: return value
        case .log10: return Foundation.log10(max(value, .leastNormalMagnitude))
        case .mel(let htk): return ChartScale.hzToMel(value, htk: htk)
        }
    }

    /// Pixel position of `value` (values outside the domain map outside the range).
    public func map(_ value: Double) -> Double {
        let t0 = transform(domain.lowerBound)
        let t1 = transform(domain.upperBound)
        guard t1 != t0 else { return (start + end) / 2 }
        return start + (transform(value) - t0) / (t1 - t0) * (end - start)
    }

    /// Tick values inside the domain, about `targetCount` of them on linear axes.
    public func ticks(targetCount: Int = 5) -> [Double] {
        switch kind {
        case .linear: return ChartTicks.linear(domain.lowerBound, domain.upperBound, targetCount: targetCount)
        case .log10: return ChartTicks.logTicks(domain.lowerBound, domain.upperBound)
        case .mel:
            // Round frequencies, kept only when at least 28 px from the previous one.
            let candidates: [Double] = [0, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000]
            var out: [Double] = []
            for f in candidates where domain.contains(f) {
                if let last = out.last, abs(map(f) - map(last)) < 28 { continue }
                out.append(f)
            }
            return out
        }
    }

    /// Unlabelled minor ticks for light gridlines: on log axes 2…9 × 10^k when at most four decades are
    /// shown, 2 × and 5 × 10^k up to eight decades, none beyond (they would turn into a grey wash).
    public func minorTicks() -> [Double] {
        guard kind == .log10, domain.lowerBound > 0 else { return [] }
        let decades = Foundation.log10(domain.upperBound / domain.lowerBound)
        let all = ChartTicks.logMinorTicks(domain.lowerBound, domain.upperBound)
        if decades <= 4 { return all }
        if decades <= 8 {
            return all.filter { v in
                let m = v / ChartTicks.pow10(Int(Foundation.log10(v).rounded(.down)))
                return abs(m - 2) < 1e-6 || abs(m - 5) < 1e-6
            }
        }
        return []
    }

    /// The label for a tick produced by `ticks(targetCount:)`.
    public func label(_ value: Double, ticks: [Double]) -> String {
        switch kind {
        case .log10: return ChartTicks.logLabel(value)
        case .linear, .mel:
            let step = ticks.count > 1 ? zip(ticks, ticks.dropFirst()).map { $1 - $0 }.min()! : max(abs(value), 1)
            return ChartTicks.linearLabel(value, step: kind == .linear ? step : 1)
        }
    }

    public static func hzToMel(_ hz: Double, htk: Bool) -> Double {
        if htk { return 2595 * Foundation.log10(1 + hz / 700) }
        let fSp = 200.0 / 3
        let minLogHz = 1000.0
        let minLogMel = minLogHz / fSp
        let logStep = Foundation.log(6.4) / 27
        return hz < minLogHz ? hz / fSp : minLogMel + Foundation.log(hz / minLogHz) / logStep
    }
}
