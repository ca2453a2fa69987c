extension FeatureMatrix {
    /// Zero mean and unit variance per utterance (one pair of statistics for the whole matrix) or
    /// per band (one pair per row). Statistics in double precision; a constant matrix (std below
    /// `1e-8`) is only centred.
    /// - Complexity: O(rows · frames).
    public func standardised(_ mode: Standardisation) -> FeatureMatrix {
        switch mode {
        case .none: return self
        case .utterance:
            var out = self
            Self.standardise(&out.values[...])
            return out
        case .perBand:
            var out = self
            for r in 0..<rows { Self.standardise(&out.values[(r * frames)..<((r + 1) * frames)]) }
            return out
        }
    }

    private static func standardise(_ v: inout ArraySlice<Float>) {
        guard !v.isEmpty else { return }
        var sum = 0.0
        for x in v { sum += Double(x) }
        let mean = sum / Double(v.count)
        var squares = 0.0
        for x in v { squares += (Double(x) - mean) * (Double(x) - mean) }
        let std = (squares / Double(v.count)).squareRoot()
        let scale = std < 1e-8 ? 1 : 1 / std
        for i in v.indices { v[i] = Float((Double(v[i]) - mean) * scale) }
    }
}
