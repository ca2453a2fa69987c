import Foundation

/// Removes leading and trailing silence exactly as `librosa.effects.trim` (librosa 0.11) does with
/// `ref=np.max, aggregate=np.max`.
///
/// The signal is zero-padded by `frameLength / 2` on both sides (`center=True`, constant padding) and cut
/// into frames of `frameLength` samples every `hopLength` samples (`1 + n / hopLength` frames for even
/// lengths). A frame is *non-silent* when `10·log10(max(1e-10, rms²)) − 10·log10(max(1e-10, maxRMS²)) > −topDB`,
/// where `rms` is the frame's root-mean-square and `maxRMS` the largest over all frames. The kept range
/// starts at `first · hopLength` and ends at `min(n, (last + 1) · hopLength)` for the first and last
/// non-silent frames. As in librosa, an all-zero signal is kept whole (every frame is 0 dB relative to
/// the floor `1e-10`); only an empty signal keeps `0..<0`.
///
/// - Parameters:
///   - x: mono samples.
///   - topDB: threshold in dB below the loudest frame (> 0; default 60).
///   - frameLength: samples per analysis frame (default 2048).
///   - hopLength: samples between frame starts (default 512).
/// - Returns: the kept samples and their `[start, end)` range in `x`.
///   Complexity O(n · frameLength / hopLength).
public func trimSilence(
    _ x: [Float], topDB: Float = 60, frameLength: Int = 2048, hopLength: Int = 512
) -> (samples: [Float], range: Range<Int>) {
    let range = nonSilentRange(x, topDB: topDB, frameLength: frameLength, hopLength: hopLength)
    return (Array(x[range]), range)
}

/// The `[start, end)` sample range ``trimSilence(_:topDB:frameLength:hopLength:)`` keeps.
public func nonSilentRange(
    _ x: [Float], topDB: Float = 60, frameLength: Int = 2048, hopLength: Int = 512
) -> Range<Int> {
    precondition(topDB > 0 && topDB.isFinite, "topDB must be a positive number of decibels, got \(topDB)")
    precondition(frameLength > 0 && hopLength > 0, "frameLength and hopLength must be positive")
    let power = framePower(x, frameLength: frameLength, hopLength: hopLength)
    guard let maxPower = power.max() else { return 0..<0 }
    let amin = 1e-10
    let reference = 10 * log10(max(amin, maxPower))
    let threshold = -Double(topDB)
    var first: Int? = nil
    var last = 0
    for (t, p) in power.enumerated() where 10 * log10(max(amin, p)) - reference > threshold {
        if first == nil { first = t }
        last = t
    }
    guard let first else { return 0..<0 }
    let start = first * hopLength
    let end = min(x.count, (last + 1) * hopLength)
    return start..<max(start, end)
}

/// Mean square of each centred, zero-padded frame (librosa `feature.rms(...)²` with `center=True`).
/// - Returns: `1 + (n + 2·(frameLength/2) − frameLength) / hopLength` values, or none when the padded
///   signal is shorter than one frame.
func framePower(_ x: [Float], frameLength: Int, hopLength: Int) -> [Double] {
    let pad = frameLength / 2
    let padded = x.count + 2 * pad
    guard padded >= frameLength, !x.isEmpty else { return [] }
    let frames = 1 + (padded - frameLength) / hopLength
    var power = [Double](repeating: 0, count: frames)
    x.withUnsafeBufferPointer { x in
        for t in 0..<frames {
            let lo = max(0, t * hopLength - pad)
            let hi = min(x.count, t * hopLength - pad + frameLength)
            var sum = 0.0
            if lo < hi {
                for i in lo..<hi {
                    let v = Double(x[i])
                    sum += v * v
                }
            }
            power[t] = sum / Double(frameLength)
        }
    }
    return power
}
