/// Shared look of every chart: fonts, greys for axes and grid, default size.
public enum ChartTheme {
    public static let fontFamily =
        "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, Helvetica, Arial, sans-serif"
    public static let fontSize = 12.0
    public static let titleFontSize = 15.0
    public static let smallFontSize = 10.5
    public static let textColor = "#1a1a1a"
    public static let mutedTextColor = "#555555"
    public static let axisColor = "#333333"
    public static let gridColor = "#e3e3e3"
    public static let minorGridColor = "#f1f1f1"
}

/// Size of a chart's viewBox in SVG user units (pixels at 100 % zoom).
public struct ChartSize: Equatable, Sendable {
    public var width: Double
    public var height: Double
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }
    /// 640 × 360, the size of curve and bar charts.
    public static let standard = ChartSize(width: 640, height: 360)
}
