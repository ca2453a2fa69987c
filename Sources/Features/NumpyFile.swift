import Foundation
import OutputFiles

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

    /// Writes `matrix` to `path` as `.npy` through ``OutputFile`` (see there for what is refused).
    public static func write(
        _ matrix: FeatureMatrix, to path: String, existing: ExistingFile = .replace, protected: [ProtectedFile] = []
    ) throws {
        try OutputFile.write(data(matrix), to: path, existing: existing, protected: protected)
    }
}

extension NumpyFile {
    /// A `.npy` file that cannot be read as a float array.
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): not a readable .npy float array (\(reason))" }
    }

    /// Reads a C-order little-endian float32 (`<f4`) or float64 (`<f8`) `.npy` file (version 1 or 2).
    /// - Returns: the shape and the values converted to `Float`.
    public static func read(_ path: String) throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func fail(_ reason: String) -> ReadError { ReadError(path: path, reason: reason) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("bad magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard !header.contains("'fortran_order': True") else { throw fail("Fortran order") }
        let isDouble: Bool
        if header.contains("'<f4'") {
            isDouble = false
        } else if header.contains("'<f8'") {
            isDouble = true
        } else {
            throw fail("dtype is not <f4 or <f8: \(header)")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw fail("no shape") }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let start = headerStart + headerLength
        let width = isDouble ? 8 : 4
        guard bytes.count - start == count * width else { throw fail("expected \(count) values") }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let data = raw.baseAddress! + start
            for i in 0..<count {
                if isDouble {
                    values[i] = Float(data.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
                } else {
                    values[i] = data.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
                }
            }
        }
        return (shape, values)
    }

    /// Reads a 2-D `.npy` file as a ``FeatureMatrix`` (a 1-D array becomes one row).
    public static func readMatrix(_ path: String) throws -> FeatureMatrix {
        let (shape, values) = try read(path)
        guard shape.count <= 2 else { throw ReadError(path: path, reason: "shape \(shape) is not 1-D or 2-D") }
        return FeatureMatrix(rows: shape.count == 2 ? shape[0] : 1, frames: shape.last ?? 1, values: values)
    }
}
