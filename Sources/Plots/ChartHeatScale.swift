import Foundation

/// The sequential colour scale of SVG heat-maps: viridis (van der Walt & Smith, matplotlib), perceptually
/// uniform, readable in greyscale and by colour-blind readers. Low values are dark purple, high values
/// yellow. The colours come from ``ColourMap/viridis`` (the one copy of the table).
public enum ChartHeatScale {
    /// The colour map behind the scale.
    public static let colourMap = ColourMap.viridis

    /// sRGB components in 0…1 for `t` in 0…1 (clamped; NaN maps to 0).
    public static func rgb(_ t: Double) -> (red: Double, green: Double, blue: Double) {
        let c = colourMap.colour(t)
        return (Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255)
    }

    /// `#rrggbb` for `t` in 0…1.
    public static func hex(_ t: Double) -> String { colourMap.hex(t) }

    /// WCAG relative luminance of the colour at `t`.
    public static func luminance(_ t: Double) -> Double {
        let c = rgb(t)
        func lin(_ v: Double) -> Double { v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4) }
        return 0.2126 * lin(c.red) + 0.7152 * lin(c.green) + 0.0722 * lin(c.blue)
    }

    /// Black or white, whichever contrasts more with the colour at `t` (for text drawn on a cell).
    public static func textColor(onValue t: Double) -> String {
        let l = luminance(t)
        // Contrast ratio against black (l + 0.05) / 0.05 vs against white 1.05 / (l + 0.05).
        return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000000" : "#ffffff"
    }
}
