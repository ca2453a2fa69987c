import XCTest

/// Asserts that every element of `actual` is within `absolute + relative·|expected|` of `expected`.
public func assertAllClose(
    _ actual: [Float], _ expected: [Float], absolute: Float = 1e-5, relative: Float = 1e-4,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "length differs. \(message())", file: file, line: line)
    var worst: (index: Int, error: Float)? = nil
    for i in 0..<min(actual.count, expected.count) {
        let error = abs(actual[i] - expected[i])
        if !(error <= absolute + relative * abs(expected[i])) && (worst == nil || error > worst!.error) {
            worst = (i, error)
        }
    }
    if let worst {
        XCTFail(
            "element \(worst.index): \(actual[worst.index]) vs expected \(expected[worst.index]) (error \(worst.error)). \(message())",
            file: file, line: line)
    }
}
