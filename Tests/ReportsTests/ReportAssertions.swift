import Foundation
import TestSupport
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

extension XCTestCase {
    /// No external resource: no http(s) src/href, no <link>, no <script src>, images only as data URIs.
    func assertSelfContained(
        _ html: String, _ doc: XMLDocument, file: StaticString = #filePath, line: UInt = #line
    ) {
        for e in elements(doc, "link") + elements(doc, "script") + elements(doc, "iframe") {
            XCTFail("external element \(e.name ?? "")", file: file, line: line)
        }
        for name in ["img", "image", "a", "use", "source", "video", "audio"] {
            for e in elements(doc, name) {
                for attr in ["src", "href", "xlink:href"] {
                    guard let value = attribute(e, attr) else { continue }
                    XCTAssertTrue(
                        value.hasPrefix("#") || value.hasPrefix("data:"), "\(name) \(attr)=\(value.prefix(60))",
                        file: file, line: line)
                }
            }
        }
        for pattern in ["src=\"http", "href=\"http", "src='http", "href='http", "url(http", "@import"] {
            XCTAssertFalse(html.contains(pattern), pattern, file: file, line: line)
        }
    }
}
