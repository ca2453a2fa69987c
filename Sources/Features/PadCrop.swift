/// Fixed-length clips: crop longer inputs to a window, pad shorter ones.
public enum PadCrop {
    /// Where the kept window starts (or where a shorter input is placed) for `length` items fitted
    /// into `target`: a window start in `0...length−target` when cropping, a pad before the input
    /// in `0...target−length` when padding.
    public static func offset<G: RandomNumberGenerator>(
        length: Int, target: Int, mode: CropMode, using generator: inout G
    ) -> Int {
        let slack = abs(length - target)
        switch mode {
        case .left: return 0
        case .center: return slack / 2
        case .random: return slack == 0 ? 0 : Int(generator.next(upperBound: UInt64(slack + 1)))
        }
    }

    /// `samples` cropped or zero-padded to `target` samples.
    public static func fit<G: RandomNumberGenerator>(
        _ samples: [Float], to target: Int, mode: CropMode, using generator: inout G
    ) -> [Float] {
        let start = offset(length: samples.count, target: target, mode: mode, using: &generator)
        if samples.count >= target { return Array(samples[start..<(start + target)]) }
        var out = [Float](repeating: 0, count: target)
        out.replaceSubrange(start..<(start + samples.count), with: samples)
        return out
    }
}

/// A generator for deterministic modes, which never draw (so callers need none).
public struct NoRandomness: RandomNumberGenerator {
    public init() {}
    public mutating func next() -> UInt64 { preconditionFailure("random crop needs a random generator") }
}

extension FeatureMatrix {
    /// The matrix cropped or padded to `target` frames. Padding frames take each row's minimum
    /// (the silence floor of a dB spectrogram; a row of a constant matrix keeps its value).
    /// - Parameter generator: drawn from only when `mode` is `.random` and the length differs.
    public func fitted<G: RandomNumberGenerator>(
        toFrames target: Int, mode: CropMode, using generator: inout G
    ) -> FeatureMatrix {
        if frames == target { return self }
        let start = PadCrop.offset(length: frames, target: target, mode: mode, using: &generator)
        if frames > target { return self.frames(start..<(start + target)) }
        var out = FeatureMatrix(rows: rows, frames: target)
        for r in 0..<rows {
            let source = values[(r * frames)..<((r + 1) * frames)]
            let floor = source.min() ?? 0
            for t in 0..<target { out.values[r * target + t] = floor }
            for t in 0..<frames { out.values[r * target + start + t] = source[source.startIndex + t] }
        }
        return out
    }

    /// Deterministic crop/pad (`.left` or `.center`).
    public func fitted(toFrames target: Int, mode: CropMode) -> FeatureMatrix {
        var none = NoRandomness()
        return fitted(toFrames: target, mode: mode, using: &none)
    }
}
