/// A row-major matrix of features: `rows` (mel bands, MFCCs, deltas) × `frames` (time).
/// `values[r * frames + t]` is row r at frame t, the layout of NumPy's C-order `(rows, frames)` array.
public struct FeatureMatrix: Equatable, Sendable {
    public var rows: Int
    public var frames: Int
    public var values: [Float]

    public init(rows: Int, frames: Int, values: [Float]) {
        precondition(
            values.count == rows * frames, "values must hold rows × frames = \(rows * frames), got \(values.count)")
        self.rows = rows
        self.frames = frames
        self.values = values
    }

    public init(rows: Int, frames: Int, repeating value: Float = 0) {
        self.init(rows: rows, frames: frames, values: [Float](repeating: value, count: rows * frames))
    }

    public subscript(row: Int, frame: Int) -> Float {
        get { values[row * frames + frame] }
        set { values[row * frames + frame] = newValue }
    }

    /// One row as an array.
    public func row(_ r: Int) -> [Float] { Array(values[(r * frames)..<((r + 1) * frames)]) }

    /// Smallest and largest value (0…0 when empty).
    public var range: ClosedRange<Float> {
        guard var lo = values.first else { return 0...0 }
        var hi = lo
        for v in values {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return lo...hi
    }

    /// Rows of `self` followed by rows of `other` (same frame count).
    public func stacked(with other: FeatureMatrix) -> FeatureMatrix {
        precondition(frames == other.frames, "cannot stack \(frames) frames on \(other.frames) frames")
        return FeatureMatrix(rows: rows + other.rows, frames: frames, values: values + other.values)
    }

    /// Frames `start..<end` of every row.
    public func frames(_ range: Range<Int>) -> FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(rows * range.count)
        for r in 0..<rows { out += values[(r * frames + range.lowerBound)..<(r * frames + range.upperBound)] }
        return FeatureMatrix(rows: rows, frames: range.count, values: out)
    }
}
