import CPNG
import Foundation
import OutputFiles

/// A failure reported by libpng, with the file and libpng's message.
public struct PNGError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// Reading and writing 8-bit RGB PNG files through libpng's simplified API.
public enum PNGFile {
    /// Writes `rgb` (row-major, top row first, 3 bytes per pixel) as an 8-bit RGB PNG: encoded in memory by
    /// libpng, then written through ``OutputFile`` (temporary file and rename; see there for what is refused).
    /// - Throws: ``PNGError`` with libpng's message, or ``OutputFileError``.
    public static func writeRGB(
        _ rgb: [UInt8], width: Int, height: Int, to path: String, existing: ExistingFile = .replace,
        protected: [ProtectedFile] = []
    ) throws {
        let bytes: [UInt8]
        do { bytes = try encodeRGB(rgb, width: width, height: height) } catch let error as PNGError {
            throw PNGError(path: path, message: error.message)
        }
        try OutputFile.write(Data(bytes), to: path, existing: existing, protected: protected)
    }

    /// Encodes `rgb` (row-major, top row first, 3 bytes per pixel) as 8-bit RGB PNG bytes in memory
    /// (for `data:` URIs). - Throws: ``PNGError`` (path "<memory>") with libpng's message.
    public static func encodeRGB(_ rgb: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        precondition(
            width > 0 && height > 0 && rgb.count == width * height * 3, "rgb must hold width × height × 3 bytes")
        var message = [CChar](repeating: 0, count: 64)
        var size = 0
        let measured = rgb.withUnsafeBufferPointer {
            ser_png_write_rgb_memory(nil, &size, $0.baseAddress, UInt32(width), UInt32(height), &message)
        }
        guard measured == 1, size > 0 else { throw PNGError(path: "<memory>", message: String(cString: message)) }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            rgb.withUnsafeBufferPointer {
                ser_png_write_rgb_memory(
                    dst.baseAddress, &size, $0.baseAddress, UInt32(width), UInt32(height), &message)
            }
        }
        guard ok == 1 else { throw PNGError(path: "<memory>", message: String(cString: message)) }
        return Array(out.prefix(size))
    }

    /// Reads a PNG file converted to 8-bit RGB.
    /// - Returns: the pixels (row-major, 3 bytes each) and the dimensions.
    public static func readRGB(_ path: String) throws -> (rgb: [UInt8], width: Int, height: Int) {
        var message = [CChar](repeating: 0, count: 64)
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var width: UInt32 = 0
        var height: UInt32 = 0
        guard ser_png_read_rgb(path, &buffer, &width, &height, &message) == 1, let buffer else {
            throw PNGError(path: path, message: String(cString: message))
        }
        defer { free(buffer) }
        let rgb = Array(UnsafeBufferPointer(start: buffer, count: Int(width) * Int(height) * 3))
        return (rgb, Int(width), Int(height))
    }
}
