import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Parses SVG/XHTML text (charts, report pages) with Foundation's XML parser (libxml2 on Linux); fails the test if malformed.
public func parseXML(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> XMLDocument {
    do {
        return try XMLDocument(xmlString: text, options: [])
    } catch {
        XCTFail("not well-formed XML: \(error)\n\(text.prefix(2000))", file: file, line: line)
        throw error
    }
}

/// Elements named `name` anywhere below the root (namespace-agnostic), optionally having `className`
/// among the words of their `class` attribute.
public func elements(_ doc: XMLDocument, _ name: String, class className: String? = nil) -> [XMLElement] {
    var found: [XMLElement] = []
    func walk(_ node: XMLNode) {
        if let e = node as? XMLElement, (e.localName ?? e.name) == name { found.append(e) }
        for child in node.children ?? [] { walk(child) }
    }
    if let root = doc.rootElement() { walk(root) }
    return found.filter { e in
        guard let className else { return true }
        let classes = (attribute(e, "class") ?? "").split(separator: " ").map(String.init)
        return classes.contains(className)
    }
}

/// The text content of `text` elements with class `className` (e.g. "tick-label" plus "x").
public func texts(_ doc: XMLDocument, class className: String, and second: String? = nil) -> [String] {
    elements(doc, "text", class: className).filter { e in
        guard let second else { return true }
        return (attribute(e, "class") ?? "").split(separator: " ").contains(Substring(second))
    }.map { $0.stringValue ?? "" }
}

/// An attribute's value (looked up by local name: corelibs' `attribute(forName:)` misses attributes of
/// elements in the default SVG namespace).
public func attribute(_ e: XMLElement, _ name: String) -> String? {
    (e.attributes ?? []).first { ($0.localName ?? $0.name) == name }?.stringValue
}

public func number(_ e: XMLElement, _ name: String) -> Double { Double(attribute(e, name) ?? "") ?? .nan }
