/// Okabe–Ito categorical colours (Okabe & Ito 2008, "Color Universal Design"): distinguishable under
/// the common forms of colour-vision deficiency. Ordered for lines on white: the low-contrast yellow comes
/// last. Every series also gets a dash pattern or marker shape, so nothing relies on colour alone.
public enum ChartPalette {
    public static let blue = "#0072B2"
    public static let vermillion = "#D55E00"
    public static let bluishGreen = "#009E73"
    public static let orange = "#E69F00"
    public static let reddishPurple = "#CC79A7"
    public static let skyBlue = "#56B4E9"
    public static let black = "#000000"
    public static let yellow = "#F0E442"

    /// The eight colours in the order series use them.
    public static let categorical = [blue, vermillion, bluishGreen, orange, reddishPurple, skyBlue, black, yellow]

    /// Colour of series `index` (wraps after eight).
    public static func color(_ index: Int) -> String { categorical[((index % 8) + 8) % 8] }

    /// SVG `stroke-dasharray` patterns, solid first.
    public static let dashes: [String?] = [nil, "7 4", "2 3", "9 3 2 3", "4 4", "12 4"]

    public static func dash(_ index: Int) -> String? { dashes[((index % dashes.count) + dashes.count) % dashes.count] }

    /// Marker shapes, in the order series use them.
    public static let markers: [MarkerShape] = [.circle, .square, .triangle, .diamond, .cross, .triangleDown]

    public static func marker(_ index: Int) -> MarkerShape {
        markers[((index % markers.count) + markers.count) % markers.count]
    }
}

/// Point marker shapes, drawn by `drawMarker`.
public enum MarkerShape: String, CaseIterable, Sendable {
    case circle, square, triangle, diamond, cross, triangleDown
}

/// How one series is drawn: colour, optional dash pattern, optional point markers.
public struct SeriesStyle: Equatable, Sendable {
    public var color: String
    public var dash: String?
    public var marker: MarkerShape?
    public var lineWidth: Double

    public init(color: String, dash: String? = nil, marker: MarkerShape? = nil, lineWidth: Double = 2) {
        self.color = color
        self.dash = dash
        self.marker = marker
        self.lineWidth = lineWidth
    }

    /// Style of metric `index` within one run: distinct colour and marker, solid line.
    public static func series(_ index: Int) -> SeriesStyle {
        SeriesStyle(color: ChartPalette.color(index), marker: ChartPalette.marker(index))
    }

    /// Style of run `index` when runs are overlaid: distinct colour, dash pattern and marker per run.
    public static func run(_ index: Int) -> SeriesStyle {
        SeriesStyle(
            color: ChartPalette.color(index), dash: ChartPalette.dash(index), marker: ChartPalette.marker(index))
    }
}
