import Features
import Foundation
import SeededRandom

/// Training-time augmentation of log-mel "images", each part optional and driven by an injected,
/// seeded generator. Applied to training batches only, never to validation or test data.
///
/// Order within one example: frequency warp → time shift → additive noise (on the dB values, through
/// the power domain) → SpecAugment masks. Mixup mixes whole examples of a batch afterwards.
public struct Augmentation: Codable, Equatable, Sendable {
    /// SpecAugment (Park et al., 2019): zero-mean masks over random bands of mel bins and frames.
    public struct SpecAugment: Codable, Equatable, Sendable {
        public var freqMasks: Int
        /// Maximum width of one frequency mask, in mel bins (each width drawn from 0...freqWidth).
        public var freqWidth: Int
        public var timeMasks: Int
        /// Maximum width of one time mask, in frames.
        public var timeWidth: Int

        public init(freqMasks: Int = 2, freqWidth: Int = 15, timeMasks: Int = 2, timeWidth: Int = 25) {
            self.freqMasks = freqMasks
            self.freqWidth = freqWidth
            self.timeMasks = timeMasks
            self.timeWidth = timeWidth
        }

        /// The spec's keys (`train.augment.spec_augment`).
        enum CodingKeys: String, CodingKey {
            case freqMasks = "freq_masks"
            case freqWidth = "freq_width"
            case timeMasks = "time_masks"
            case timeWidth = "time_width"
        }
    }

    /// A random scaling of every frequency, as a different vocal-tract length would give (in the spirit
    /// of VTLP, Jaitly & Hinton 2013): each example draws a factor α uniformly from `1 ± maxWarp` and
    /// row `m` (mel band centre `f`) takes the value the spectrogram had at `f / α`, interpolated
    /// linearly between bands. Rows whose source lies outside the bands repeat the edge band.
    /// Formants and pitch move together, the clip's timing does not.
    public struct FrequencyWarp: Codable, Equatable, Sendable {
        /// Largest relative change of frequency, in (0, 0.5).
        public var maxWarp: Double
        /// The mel axis of the features: its lowest and highest frequency and its scale.
        public var fmin: Double
        public var fmax: Double
        public var htk: Bool

        public init(maxWarp: Double, fmin: Double, fmax: Double, htk: Bool = false) {
            precondition(
                maxWarp > 0 && maxWarp < 0.5 && fmax > fmin, "warp must be in (0, 0.5) on a mel axis fmin < fmax")
            self.maxWarp = maxWarp
            self.fmin = fmin
            self.fmax = fmax
            self.htk = htk
        }

        /// For `mels` bands and warp factor `alpha`, the fractional source row of each row, in `0...mels-1`.
        /// - Complexity: O(mels).
        public func sourceRows(mels: Int, alpha: Double) -> [Double] {
            // The band centres are the inner points of `mels + 2` equally spaced mel frequencies, as in
            // the filterbank; a frequency's fractional row is its mel distance from the first centre.
            let edges = MelScale.frequencies(count: mels + 2, fmin: fmin, fmax: fmax, htk: htk)
            let lo = MelScale.mel(hz: fmin, htk: htk)
            let step = (MelScale.mel(hz: fmax, htk: htk) - lo) / Double(mels + 1)
            return edges[1...mels].map { centre in
                let source = (MelScale.mel(hz: centre / alpha, htk: htk) - lo) / step - 1
                return min(max(source, 0), Double(mels - 1))
            }
        }
    }

    public var specAugment: SpecAugment?
    public var frequencyWarp: FrequencyWarp?
    /// Maximum circular time shift as a fraction of the frames (0 disables).
    public var timeShift: Double
    /// Signal-to-noise ratio range in dB for additive white noise (nil disables).
    public var noiseSNR: ClosedRange<Double>?
    /// Probability that an example gets noise at all.
    public var noiseProbability: Double
    /// Mixup's Beta(α, α) parameter (nil disables).
    public var mixupAlpha: Double?

    public init(
        specAugment: SpecAugment? = nil, timeShift: Double = 0, noiseSNR: ClosedRange<Double>? = nil,
        noiseProbability: Double = 0.5, mixupAlpha: Double? = nil, frequencyWarp: FrequencyWarp? = nil
    ) {
        self.specAugment = specAugment
        self.frequencyWarp = frequencyWarp
        self.timeShift = timeShift
        self.noiseSNR = noiseSNR
        self.noiseProbability = noiseProbability
        self.mixupAlpha = mixupAlpha
    }

    public static let none = Augmentation()

    public var isEnabled: Bool { specAugment != nil || changesDecibels || mixupAlpha != nil }

    /// Whether ``apply(toDecibels:mels:frames:using:)`` changes anything.
    public var changesDecibels: Bool { frequencyWarp != nil || timeShift > 0 || noiseSNR != nil }

    /// Augments one example in place.
    /// - Parameters:
    ///   - dB: log-mel values in dB, row-major `mels × frames` (before standardisation).
    /// - Complexity: O(mels · frames).
    public func apply<G: RandomNumberGenerator>(
        toDecibels dB: inout [Float], mels: Int, frames: Int, using rng: inout G
    ) {
        precondition(dB.count == mels * frames, "expected \(mels)×\(frames) values, got \(dB.count)")
        if let warp = frequencyWarp {
            let alpha = Double.random(in: (1 - warp.maxWarp)...(1 + warp.maxWarp), using: &rng)
            Augmentation.resampleRows(&dB, frames: frames, at: warp.sourceRows(mels: mels, alpha: alpha))
        }
        if timeShift > 0 {
            let maxShift = Int(timeShift * Double(frames))
            if maxShift > 0 {
                Augmentation.roll(
                    &dB, mels: mels, frames: frames, by: Int.random(in: -maxShift...maxShift, using: &rng))
            }
        }
        if let noiseSNR, rng.nextUnitDouble() < noiseProbability {
            Augmentation.addNoise(toDecibels: &dB, snrDB: Double.random(in: noiseSNR, using: &rng), using: &rng)
        }
    }

    /// SpecAugment masks, applied after standardisation so the fill value (0) is the mean.
    public func mask<G: RandomNumberGenerator>(
        _ x: inout [Float], mels: Int, frames: Int, fill: Float = 0, using rng: inout G
    ) {
        guard let s = specAugment else { return }
        for _ in 0..<s.freqMasks {
            let width = Int.random(in: 0...min(s.freqWidth, mels), using: &rng)
            let start = Int.random(in: 0...(mels - width), using: &rng)
            for m in start..<(start + width) { for t in 0..<frames { x[m * frames + t] = fill } }
        }
        for _ in 0..<s.timeMasks {
            let width = Int.random(in: 0...min(s.timeWidth, frames), using: &rng)
            let start = Int.random(in: 0...(frames - width), using: &rng)
            for m in 0..<mels { for t in start..<(start + width) { x[m * frames + t] = fill } }
        }
    }

    /// Replaces row `m` by the linear interpolation of the rows around fractional row `sources[m]`.
    static func resampleRows(_ x: inout [Float], frames: Int, at sources: [Double]) {
        let original = x
        for (m, source) in sources.enumerated() {
            let below = Int(source.rounded(.down)), fraction = Float(source - Double(below))
            let above = min(below + 1, sources.count - 1)
            for t in 0..<frames {
                let a = original[below * frames + t], b = original[above * frames + t]
                x[m * frames + t] = a + fraction * (b - a)
            }
        }
    }

    /// Circularly shifts every row by `shift` frames (positive = later).
    static func roll(_ x: inout [Float], mels: Int, frames: Int, by shift: Int) {
        let s = ((shift % frames) + frames) % frames
        guard s != 0 else { return }
        var row = [Float](repeating: 0, count: frames)
        for m in 0..<mels {
            for t in 0..<frames { row[(t + s) % frames] = x[m * frames + t] }
            x.replaceSubrange((m * frames)..<((m + 1) * frames), with: row)
        }
    }

    /// Adds white noise at `snrDB` below the example's mean power: each bin's power gets
    /// `mean power / 10^(snr/10)` times an exponential random factor (the power of a complex
    /// Gaussian), then goes back to dB.
    static func addNoise<G: RandomNumberGenerator>(toDecibels dB: inout [Float], snrDB: Double, using rng: inout G) {
        var meanPower = 0.0
        for v in dB { meanPower += pow(10, Double(v) / 10) }
        meanPower /= Double(max(1, dB.count))
        let noisePower = meanPower / pow(10, snrDB / 10)
        for i in dB.indices {
            let power = pow(10, Double(dB[i]) / 10) + noisePower * -log(max(rng.nextUnitDouble(), 1e-12))
            dB[i] = Float(10 * log10(max(power, 1e-10)))
        }
    }

    /// A mixup coefficient λ ~ Beta(α, α), folded to λ ≥ 0.5 as fastai does so the first example dominates.
    public static func mixupLambda<G: RandomNumberGenerator>(alpha: Double, using rng: inout G) -> Double {
        let a = gamma(shape: alpha, using: &rng), b = gamma(shape: alpha, using: &rng)
        let lambda = a + b > 0 ? a / (a + b) : 0.5
        return max(lambda, 1 - lambda)
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang, with the shape < 1 boost.
    static func gamma<G: RandomNumberGenerator>(shape: Double, using rng: inout G) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, using: &rng) * pow(max(rng.nextUnitDouble(), 1e-300), 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = rng.nextNormal()
            let v0 = 1 + c * x
            guard v0 > 0 else { continue }
            let v = v0 * v0 * v0
            let u = rng.nextUnitDouble()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
