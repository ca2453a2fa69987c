import Foundation

/// A sequential colour scale for heat-maps: viridis (van der Walt & Smith, matplotlib), perceptually
/// uniform, readable in greyscale and by colour-blind readers. Sampled at 17 stops and interpolated
/// linearly in sRGB. Low values are dark purple, high values yellow.
public enum ChartHeatScale {
    /// Viridis at t = 0, 1/16, …, 1 (matplotlib 3.x `colormaps["viridis"]`, checked against it).
    static let stops: [(Double, Double, Double)] = [
        (0.267004, 0.004874, 0.329415), (0.282327, 0.094955, 0.417331), (0.278826, 0.175490, 0.483397),
        (0.258965, 0.251537, 0.524736), (0.229739, 0.322361, 0.545706), (0.199430, 0.387607, 0.554642),
        (0.172719, 0.448791, 0.557885), (0.149039, 0.508051, 0.557250), (0.127568, 0.566949, 0.550556),
        (0.120638, 0.625828, 0.533488), (0.157851, 0.683765, 0.501686), (0.246070, 0.738910, 0.452024),
        (0.369214, 0.788888, 0.382914), (0.515992, 0.831158, 0.294279), (0.678489, 0.863742, 0.189503),
        (0.845561, 0.887322, 0.099702), (0.993248, 0.906157, 0.143936),
    ]

    /// sRGB components in 0…1 for `t` in 0…1 (clamped; NaN maps to 0).
    public static func rgb(_ t: Double) -> (red: Double, green: Double, blue: Double) {
        let x = t.isNaN ? 0 : min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Double(i)
        let a = stops[i]
        let b = stops[i + 1]
        return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    /// `#rrggbb` for `t` in 0…1.
    public static func hex(_ t: Double) -> String {
        let c = rgb(t)
        func byte(_ v: Double) -> Int { Int((v * 255).rounded()) }
        return String(format: "#%02x%02x%02x", byte(c.red), byte(c.green), byte(c.blue))
    }

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
