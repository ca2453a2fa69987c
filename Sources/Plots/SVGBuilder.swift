import Foundation

/// A value that can be written as an SVG attribute: strings are escaped, numbers are written compactly.
public protocol SVGAttributeValue {
    /// The attribute text before XML escaping.
    var svgAttributeText: String { get }
}

extension String: SVGAttributeValue {
    public var svgAttributeText: String { self }
}

extension Double: SVGAttributeValue {
    public var svgAttributeText: String { svgNumber(self) }
}

extension Int: SVGAttributeValue {
    public var svgAttributeText: String { String(self) }
}

/// An ordered list of attributes, written in the order given (`["x": 1.5, "fill": "#000"]`).
public struct SVGAttributes: ExpressibleByDictionaryLiteral {
    public var pairs: [(name: String, value: String)]

    public init(dictionaryLiteral elements: (String, SVGAttributeValue)...) {
        pairs = elements.map { ($0.0, $0.1.svgAttributeText) }
    }

    public init(_ pairs: [(name: String, value: String)]) { self.pairs = pairs }

    /// Appends an attribute (later duplicates are the caller's mistake: SVG rejects them).
    public mutating func append(_ name: String, _ value: SVGAttributeValue) {
        pairs.append((name, value.svgAttributeText))
    }

    var rendered: String {
        pairs.map { " \($0.name)=\"\(xmlEscape($0.value))\"" }.joined()
    }
}

/// Escapes the five XML special characters so any text (class names, file names) is safe in SVG and HTML,
/// both as element text and inside double- or single-quoted attributes.
public func xmlEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            // Control characters other than tab/newline are not allowed in XML 1.0 at all.
            if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(ch)
            }
        }
    }
    return out
}

/// Formats a coordinate compactly: at most two decimals, no trailing zeros, no "-0" (`12.50` → `12.5`).
public func svgNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let rounded = (value * 100).rounded() / 100
    if rounded == rounded.rounded() && abs(rounded) < 1e15 {
        let i = Int(rounded)
        return String(i == 0 ? 0 : i)
    }
    var s = String(format: "%.2f", rounded)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s == "-0" ? "0" : s
}

/// A minimal SVG writer: elements are appended in document order and `render()` wraps them in the root
/// `<svg>` with a fixed viewBox. Text and attribute values are always escaped.
///
/// The root carries `width`/`height` equal to the viewBox, `max-width` of that size and the class `chart`;
/// pages make it responsive with CSS (`svg.chart { width: 100%; height: auto }`: it shrinks on narrow
/// screens but never grows past its design size), and a standalone file still opens at its size.
public struct SVGDocument {
    public let width: Double
    public let height: Double
    /// Accessible name (`<title>` child of the root) and optional longer description.
    public var title: String
    public var summary: String?
    public private(set) var body: String = ""
    private var openElements: [String] = []

    public init(width: Double, height: Double, title: String, summary: String? = nil) {
        self.width = width
        self.height = height
        self.title = title
        self.summary = summary
    }

    /// Appends an empty element, or one with escaped text content.
    public mutating func add(_ name: String, _ attributes: SVGAttributes = [:], text: String? = nil) {
        if let text {
            body += "<\(name)\(attributes.rendered)>\(xmlEscape(text))</\(name)>\n"
        } else {
            body += "<\(name)\(attributes.rendered)/>\n"
        }
    }

    /// Appends an element with a `<title>` child, which browsers show as a tooltip.
    public mutating func add(_ name: String, _ attributes: SVGAttributes, tooltip: String) {
        body += "<\(name)\(attributes.rendered)><title>\(xmlEscape(tooltip))</title></\(name)>\n"
    }

    /// Opens a container element (`g`, `a`...); close it with `close()`.
    public mutating func open(_ name: String, _ attributes: SVGAttributes = [:]) {
        body += "<\(name)\(attributes.rendered)>\n"
        openElements.append(name)
    }

    public mutating func close() {
        guard let name = openElements.popLast() else { return }
        body += "</\(name)>\n"
    }

    /// The complete `<svg>` element (no XML declaration, so it can be inlined in HTML as-is).
    public func render() -> String {
        var doc = self
        while !doc.openElements.isEmpty { doc.close() }
        let root: SVGAttributes = [
            "xmlns": "http://www.w3.org/2000/svg", "class": "chart",
            "viewBox": "0 0 \(svgNumber(width)) \(svgNumber(height))",
            "width": width, "height": height, "style": "max-width:\(svgNumber(width))px", "role": "img",
            "font-family": ChartTheme.fontFamily, "font-size": ChartTheme.fontSize,
        ]
        var out = "<svg\(root.rendered)>\n<title>\(xmlEscape(title))</title>\n"
        if let summary { out += "<desc>\(xmlEscape(summary))</desc>\n" }
        out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(svgNumber(width))\" "
        out += "height=\"\(svgNumber(height))\" fill=\"#ffffff\"/>\n"
        return out + doc.body + "</svg>\n"
    }
}

/// Approximate rendered width of `text` in a sans-serif font (average glyph ≈ 0.58 em); used for layout
/// only (margins, legend boxes, whether labels need rotating), never for correctness.
public func estimatedTextWidth(_ text: String, fontSize: Double = ChartTheme.fontSize) -> Double {
    Double(text.count) * fontSize * 0.58
}

/// `text` shortened with a trailing "…" so its estimated width fits `width` (unchanged when it fits).
public func truncated(_ text: String, toWidth width: Double, fontSize: Double = ChartTheme.fontSize) -> String {
    guard estimatedTextWidth(text, fontSize: fontSize) > width else { return text }
    let keep = max(1, Int(width / (fontSize * 0.58)) - 1)
    return String(text.prefix(keep)) + "…"
}
