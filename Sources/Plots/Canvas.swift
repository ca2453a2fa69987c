import Foundation
import OutputFiles
import PNG

/// An 8-bit RGB colour.
public struct RGB: Equatable, Sendable {
    public var r, g, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let grey = RGB(120, 120, 120)
    public static let lightGrey = RGB(225, 225, 225)
    /// matplotlib's default line colour (C0), as in librosa's `waveshow`.
    public static let blue = RGB(31, 119, 180)
}

/// A small raster canvas: RGB pixels, rectangles, lines, 5×7 bitmap text, PNG output.
/// Coordinates are pixels, origin top-left, x to the right, y down. Drawing outside is clipped.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB bytes, `width · height · 3`.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, background)
    }

    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set { set(x, y, newValue) }
    }

    @inline(__always)
    public mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r
        pixels[i + 1] = c.g
        pixels[i + 2] = c.b
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        for yy in Swift.max(0, y)..<Swift.min(height, y + h) {
            for xx in Swift.max(0, x)..<Swift.min(width, x + w) { set(xx, yy, c) }
        }
    }

    /// A straight line (Bresenham), `thickness` pixels wide.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: RGB, thickness: Int = 1) {
        var x = x0
        var y = y0
        let dx = abs(x1 - x0)
        let dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1
        let sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            fill(x: x - thickness / 2, y: y - thickness / 2, width: thickness, height: thickness, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy {
                err += dy
                x += sx
            }
            if e2 <= dx {
                err += dx
                y += sy
            }
        }
    }

    /// An unfilled rectangle.
    public mutating func frame(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        line(x, y, x + w - 1, y, c)
        line(x, y + h - 1, x + w - 1, y + h - 1, c)
        line(x, y, x, y + h - 1, c)
        line(x + w - 1, y, x + w - 1, y + h - 1, c)
    }

    /// Width in pixels of `text` at `scale`.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * (BitmapFont.width + 1) - 1) * scale
    }

    /// Height in pixels of one line of text at `scale`.
    public static func textHeight(scale: Int = 1) -> Int { BitmapFont.height * scale }

    public enum Alignment { case left, center, right }

    /// Draws `text` with its top edge at `y`, aligned on `x`. Unknown characters draw as blanks.
    public mutating func text(
        _ text: String, x: Int, y: Int, align: Alignment = .left, scale: Int = 1, _ c: RGB = .black
    ) {
        let w = Self.textWidth(text, scale: scale)
        var left = align == .left ? x : align == .center ? x - w / 2 : x - w
        for ch in text {
            if let rows = BitmapFont.glyph(ch) {
                for (r, bits) in rows.enumerated() {
                    for col in 0..<BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - col)) != 0 {
                        fill(x: left + col * scale, y: y + r * scale, width: scale, height: scale, c)
                    }
                }
            }
            left += (BitmapFont.width + 1) * scale
        }
    }

    /// The canvas as 8-bit RGB PNG bytes (for `data:` URIs), encoded by libpng.
    public func pngData() throws -> Data {
        Data(try PNGFile.encodeRGB(pixels, width: width, height: height))
    }

    /// Writes the canvas as an 8-bit RGB PNG (through `OutputFile`: see `PNGFile.writeRGB`).
    public func writePNG(to path: String, existing: ExistingFile = .replace, protected: [ProtectedFile] = []) throws {
        try PNGFile.writeRGB(
            pixels, width: width, height: height, to: path, existing: existing, protected: protected)
    }
}
