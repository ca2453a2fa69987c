import Foundation

/// Writes NumPy `.npy` files (format version 1.0), so features can be checked in Python with
/// `numpy.load`.
public enum NumpyFile {
    /// The bytes of a `.npy` file holding `matrix` as a little-endian float32 C-order array of
    /// shape `(rows, frames)`: the magic `\x93NUMPY`, version 1.0, a 2-byte header length, the
    /// header dictionary padded with spaces and ending in `\n` so the data starts at a multiple of 64.
    public static func data(_ matrix: FeatureMatrix) -> Data {
        data(matrix.values, shape: [matrix.rows, matrix.frames])
    }

    /// `.npy` bytes for float32 `values` of the given C-order `shape`.
    public static func data(_ values: [Float], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        out.append(contentsOf: Array(header.utf8))
        precondition(1.littleEndian == 1, "little-endian hosts only")
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Writes `matrix` to `path` as `.npy`.
    public static func write(_ matrix: FeatureMatrix, to path: String) throws {
        try data(matrix).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
