import Foundation

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

    /// The first NaN or infinite value, by row and frame, if any. O(rows·frames).
    public var firstNonFinite: (row: Int, frame: Int)? {
        guard let i = values.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) else { return nil }
        return (i / Swift.max(frames, 1), i % Swift.max(frames, 1))
    }

    /// Returns `self` when every value is finite.
    /// - Throws: ``NonFiniteFeatureError`` naming `path` and the first NaN or infinite value.
    public func checkedFinite(path: String) throws -> FeatureMatrix {
        if let (row, frame) = firstNonFinite { throw NonFiniteFeatureError(path: path, row: row, frame: frame) }
        return self
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

/// Features that hold NaN or infinity: never used, so no NaN reaches a model, a probability or the store.
public struct NonFiniteFeatureError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public var path: String
    public var row: Int
    public var frame: Int
    public init(path: String, row: Int, frame: Int) {
        self.path = path
        self.row = row
        self.frame = frame
    }
    public var description: String {
        "\(path): its features hold NaN or infinity (row \(row), frame \(frame)); expected finite audio samples within ±1000"
    }
    public var errorDescription: String? { description }
}
