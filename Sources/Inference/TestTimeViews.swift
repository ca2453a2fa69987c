import Features

extension ModelBundle {
    /// How many views `ser predict --tta` may average.
    public static let testTimeViewCounts = 1...64

    /// Test-time augmentation: `count` views of `matrix`, each exactly the model's `frames` wide, whose
    /// probabilities are averaged. A longer matrix gives crops, a shorter one pads (each row's minimum, as
    /// ``FeatureMatrix/fitted(toFrames:mode:)`` pads), at `count` evenly spaced positions from the start to
    /// the end; one view is the centre crop or pad of evaluation. A matrix exactly `frames` wide has one
    /// position, so its views are equal. O(count·rows·frames).
    public func testTimeViews(of matrix: FeatureMatrix, count: Int) -> [FeatureMatrix] {
        let target = audio.frames
        guard count > 1 else { return [matrix.fitted(toFrames: target, mode: .center)] }
        let slack = abs(matrix.frames - target)
        return (0..<count).map { k in
            let start = (k * slack + (count - 1) / 2) / (count - 1)
            if matrix.frames >= target { return matrix.frames(start..<(start + target)) }
            var out = FeatureMatrix(rows: matrix.rows, frames: target)
            for r in 0..<matrix.rows {
                let row = matrix.row(r)
                let floor = row.min() ?? 0
                for t in 0..<target { out.values[r * target + t] = floor }
                for t in 0..<matrix.frames { out.values[r * target + start + t] = row[t] }
            }
            return out
        }
    }
}
