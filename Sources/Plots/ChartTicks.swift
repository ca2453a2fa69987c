import Foundation

/// Tick generation for axes: "nice" 1-2-5 steps on linear axes, decades on log axes.
public enum ChartTicks {
    /// The 1-2-5 step (1, 2 or 5 × 10^k) nearest to `span / targetCount` on a log scale (the thresholds
    /// √2, √10, √50 that d3 uses), so the tick count lands close to the target.
    public static func niceStep(span: Double, targetCount: Int) -> Double {
        precondition(targetCount > 0)
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(targetCount)
        let magnitude = pow(10, floor(Foundation.log10(raw)))
        let residual = raw / magnitude
        let factor: Double
        if residual >= 50.0.squareRoot() {
            factor = 10
        } else if residual >= 10.0.squareRoot() {
            factor = 5
        } else if residual >= 2.0.squareRoot() {
            factor = 2
        } else {
            factor = 1
        }
        return factor * magnitude
    }

    /// Ticks at multiples of a nice step inside `lower...upper` (inclusive, with a tolerance of 1e-9 step),
    /// about `targetCount` of them. Values are exact multiples (`k × step`), so 0.1 + 0.2 noise never shows.
    /// A degenerate range (`lower == upper`) yields the single value.
    public static func linear(_ lower: Double, _ upper: Double, targetCount: Int = 5) -> [Double] {
        guard lower.isFinite, upper.isFinite else { return [] }
        let lo = min(lower, upper)
        let hi = max(lower, upper)
        if lo == hi { return [lo] }
        let step = niceStep(span: hi - lo, targetCount: targetCount)
        let first = (lo / step - 1e-9).rounded(.up)
        let last = (hi / step + 1e-9).rounded(.down)
        guard first <= last else { return [] }
        return stride(from: first, through: last, by: 1).map { cleaned($0 * step, step: step) }
    }

    /// Extends `lower...upper` outwards to the nearest nice-step multiples, so an automatic axis starts and
    /// ends on a tick. A degenerate range is widened to ±1 (around 0) or ±10 % of the value.
    public static func niceDomain(_ lower: Double, _ upper: Double, targetCount: Int = 5) -> ClosedRange<Double> {
        var lo = min(lower, upper)
        var hi = max(lower, upper)
        if !lo.isFinite || !hi.isFinite { return 0...1 }
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = niceStep(span: hi - lo, targetCount: targetCount)
        return cleaned(
            (lo / step + 1e-9).rounded(.down) * step, step: step)...cleaned(
                (hi / step - 1e-9).rounded(.up) * step, step: step)
    }

    /// Decade ticks (10^k) within `lower...upper` (both > 0), as exponents k.
    public static func decades(_ lower: Double, _ upper: Double) -> [Int] {
        guard lower > 0, upper > 0, lower.isFinite, upper.isFinite else { return [] }
        let lo = Int((Foundation.log10(min(lower, upper)) - 1e-9).rounded(.up))
        let hi = Int((Foundation.log10(max(lower, upper)) + 1e-9).rounded(.down))
        return lo <= hi ? Array(lo...hi) : []
    }

    /// Log-axis ticks: the decades inside the range, with 2× and 5× added when fewer than three decades
    /// fall inside, and linear 1-2-5 ticks when even that gives fewer than two. Returned ascending; empty
    /// unless both bounds are positive and finite.
    public static func logTicks(_ lower: Double, _ upper: Double) -> [Double] {
        guard lower > 0, upper > 0, lower.isFinite, upper.isFinite else { return [] }
        let ks = decades(lower, upper)
        var values = ks.map { pow10($0) }
        if ks.count < 3 {
            let lo = min(lower, upper) * (1 - 1e-9)
            let hi = max(lower, upper) * (1 + 1e-9)
            let kLo = Int(Foundation.log10(lo).rounded(.down))
            let kHi = Int(Foundation.log10(hi).rounded(.up))
            for k in kLo...kHi {
                for m in [2.0, 5.0] where m * pow10(k) >= lo && m * pow10(k) <= hi {
                    values.append(m * pow10(k))
                }
            }
            values.sort()
        }
        // Less than a factor of ~2.5 wide: fall back to 1-2-5 ticks inside the range.
        if values.count < 2 {
            values = linear(lower, upper, targetCount: 3).filter { $0 > 0 }
        }
        return values
    }

    /// Minor log ticks (2…9 × 10^k) inside the range, for light gridlines.
    public static func logMinorTicks(_ lower: Double, _ upper: Double) -> [Double] {
        guard lower > 0, upper > 0 else { return [] }
        let lo = min(lower, upper)
        let hi = max(lower, upper)
        var values: [Double] = []
        for k in Int(Foundation.log10(lo).rounded(.down))...Int(Foundation.log10(hi).rounded(.up)) {
            for m in 2...9 {
                let v = Double(m) * pow10(k)
                if v >= lo && v <= hi { values.append(v) }
            }
        }
        return values
    }

    /// 10^k exactly for the decades we label (avoids `pow(10, -3) = 0.0010000000000000002`).
    public static func pow10(_ k: Int) -> Double {
        k >= 0 ? Double("1e\(k)")! : Double("1e-\(-k)")!
    }

    /// The double nearest to the decimal value of `value` rounded to the step's decimal place (steps are
    /// 1, 2 or 5 × 10^e, so ticks are whole multiples of 10^e): `0.30000000000000004` → `0.3`, and no "-0".
    static func cleaned(_ value: Double, step: Double) -> Double {
        guard step > 0, step.isFinite, value.isFinite else { return value }
        let e = Int(Foundation.log10(step).rounded(.down))
        let multiple = (value / pow(10, Double(e))).rounded()
        guard abs(multiple) < 1e15, let v = Double("\(Int(multiple))e\(e)") else { return value }
        return v == 0 ? 0 : v
    }

    // MARK: - Labels

    /// Label for a linear tick: as many decimals as the step needs (step 0.05 → "0.15"), no "-0".
    /// Values of 10 000 or more with a step of at least 1000 are written with a "k" suffix ("20k").
    public static func linearLabel(_ value: Double, step: Double) -> String {
        if abs(value) >= 10_000, step >= 1000, (value / 1000).rounded() == value / 1000 {
            return "\(Int(value / 1000))k"
        }
        let decimals = step > 0 ? max(0, -Int(Foundation.log10(step * (1 + 1e-9)).rounded(.down))) : 0
        let s = String(format: "%.\(min(decimals, 10))f", value)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    /// Label for a log tick: decades 0.01 … 1000 are written plainly, others as "1e-7"; non-decade
    /// values (2×, 5×) as "2e-5" or plainly in the same range.
    public static func logLabel(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        let l = Foundation.log10(value)
        var k = Int(l.rounded(.down))
        if l - Double(k) > 0.999999 { k += 1 }
        let mantissa = (value / pow10(k) * 1000).rounded() / 1000
        if (-2...3).contains(k) {
            let s = String(format: "%.\(max(0, -k))f", value)
            return s
        }
        let m = mantissa == mantissa.rounded() ? String(Int(mantissa)) : String(mantissa)
        return "\(m)e\(k)"
    }

    /// A compact scientific label for a single value, two significant digits: 0.0013 → "1.3e-3",
    /// 0.01 → "1e-2", 3.0 → "3e0". Used for learning rates in legends.
    public static func scientific(_ value: Double, significantDigits: Int = 2) -> String {
        guard value.isFinite else { return String(value) }
        if value == 0 { return "0" }
        var k = Int(Foundation.log10(abs(value)).rounded(.down))
        let scale = pow(10, Double(max(1, significantDigits) - 1))
        var mantissa = (value / pow(10, Double(k)) * scale).rounded() / scale
        if abs(mantissa) >= 10 {
            mantissa /= 10
            k += 1
        }
        var m = String(format: "%.\(max(0, significantDigits - 1))f", mantissa)
        if m.contains(".") {
            while m.hasSuffix("0") { m.removeLast() }
            if m.hasSuffix(".") { m.removeLast() }
        }
        return "\(m)e\(k)"
    }
}
