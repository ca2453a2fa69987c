import Foundation
import XCTest

@testable import SERCommands
@testable import Specs

/// `ser schema` prints the spec's JSON Schema as parseable JSON.
final class SchemaCommandTests: XCTestCase {
    func testSchemaPrintsParseableJSONOfTheSpecSchema() throws {
        let command = try XCTUnwrap(try SER.parseAsRoot(["schema"]) as? Schema)
        let text = command.output()
        XCTAssertEqual(text, SpecJSONSchema.text())
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(object["additionalProperties"] as? Bool, false)
        let properties = try XCTUnwrap(object["properties"] as? [String: Any])
        XCTAssertNotNil(properties["split"])
        XCTAssertNotNil(properties["sweep"])
    }
}
