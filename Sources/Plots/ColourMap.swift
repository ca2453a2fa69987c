import Foundation

/// Perceptually uniform, colour-blind-safe colour maps (matplotlib's magma and viridis), sampled
/// at 256 levels. The single source of colour-map data in `Plots`: the SVG heat scale
/// (``ChartHeatScale``), colour bars and rasters all read these tables.
public struct ColourMap: Sendable {
    public let name: String
    private let table: [UInt32]

    /// Black → purple → orange → pale yellow; librosa's `specshow` default for one-signed data such as dB.
    public static let magma = ColourMap(name: "magma", table: magmaTable)
    /// Dark blue → green → yellow.
    public static let viridis = ColourMap(name: "viridis", table: viridisTable)

    /// The colour of `t` in [0, 1] (values outside are clamped; NaN maps to the low end): table entry
    /// `round(t · 255)`, which equals matplotlib's `cmap(t)` at the ends and the midpoint.
    public func colour(_ t: Double) -> RGB {
        let clamped = t.isNaN ? 0 : Swift.min(1, Swift.max(0, t))
        let v = table[Int((clamped * 255).rounded())]
        return RGB(UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff))
    }

    /// `#rrggbb` of ``colour(_:)``.
    public func hex(_ t: Double) -> String {
        let c = colour(t)
        return String(format: "#%02x%02x%02x", c.r, c.g, c.b)
    }

    /// `count` (≥ 2) evenly spaced `#rrggbb` stops from low to high, for colour bars.
    public func stops(_ count: Int) -> [String] {
        let n = Swift.max(2, count)
        return (0..<n).map { hex(Double($0) / Double(n - 1)) }
    }
}
