/// Perceptually uniform, colour-blind-safe colour maps (matplotlib's magma and viridis), sampled
/// at 256 levels.
public struct ColourMap: Sendable {
    public let name: String
    private let table: [UInt32]

    /// Black → purple → orange → pale yellow; librosa's `specshow` default for one-signed data such as dB.
    public static let magma = ColourMap(name: "magma", table: magmaTable)
    /// Dark blue → green → yellow.
    public static let viridis = ColourMap(name: "viridis", table: viridisTable)

    /// The colour of `t` in [0, 1] (values outside are clamped; NaN maps to the low end).
    public func colour(_ t: Double) -> RGB {
        let clamped = t.isNaN ? 0 : Swift.min(1, Swift.max(0, t))
        let v = table[Int((clamped * 255).rounded())]
        return RGB(UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff))
    }
}
