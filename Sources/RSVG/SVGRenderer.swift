import CRSVG
import Foundation
import OutputFiles
import PNG

/// A failure reported by librsvg or cairo, with their own message.
public struct SVGRenderError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "cannot render the SVG picture: \(message)" }
    public var errorDescription: String? { description }
}

/// SVG to pixels through librsvg and cairo (Debian's librsvg2): real, anti-aliased text in the system's
/// fonts, so PNG pictures read like their SVG originals.
public enum SVGRenderer {
    /// `svg` rendered on white at `scale` times its width and height: 8-bit RGB rows, top row first.
    /// - Throws: ``SVGRenderError`` with librsvg's or cairo's message.
    public static func rgb(svg: String, scale: Double = 1) throws -> (rgb: [UInt8], width: Int, height: Int) {
        var message = [CChar](repeating: 0, count: 256)
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0
        var height: Int32 = 0
        let bytes = Array(svg.utf8)
        let ok = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                ser_svg_render_rgb(
                    $0.baseAddress, $0.count, scale, &pixels, &width, &height, &message, message.count)
            }
        }
        guard ok == 1, let pixels else { throw SVGRenderError(message: String(cString: message)) }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * 3
        return (Array(UnsafeBufferPointer(start: pixels, count: count)), Int(width), Int(height))
    }

    /// Writes `svg` as a PNG at `scale` times its size (libpng, through ``OutputFile``).
    /// - Throws: ``SVGRenderError``, `PNGError` or `OutputFileError`.
    public static func writePNG(
        svg: String, scale: Double = 1, to path: String, existing: ExistingFile = .replace,
        protected: [ProtectedFile] = []
    ) throws {
        let picture = try rgb(svg: svg, scale: scale)
        try PNGFile.writeRGB(
            picture.rgb, width: picture.width, height: picture.height, to: path, existing: existing,
            protected: protected)
    }
}
