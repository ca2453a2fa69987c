import Features
import Foundation
import XCTest

/// The librosa reference outputs in `Fixtures/` (written by tools/fixtures/make_feature_fixtures.py).
struct FeatureFixtures: Decodable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    struct Case: Decodable { var signal, parameters, melPower, melDB: String }
    struct Filterbank: Decodable {
        var name, weights: String
        var arguments: [String: Argument]
    }
    enum Argument: Decodable {
        case number(Double), bool(Bool), null
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else {
                self = .number(try c.decode(Double.self))
            }
        }
        var number: Double? { if case .number(let n) = self { return n } else { return nil } }
        var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    }
    struct MFCCCase: Decodable { var signal, parameters, mfcc, delta, delta2: String; var nMFCC: Int }
    struct Resampled: Decodable { var file, parameters, samples, melPower, melDB: String }

    var librosa: String
    var parameters: [String: FeatureParameters]
    var signals: [String: String]
    var cases: [Case]
    var filterbanks: [Filterbank]
    var mfcc: [MFCCCase]
    var resampled: [Resampled]

    static func load() throws -> FeatureFixtures {
        let data = try Data(contentsOf: directory.appendingPathComponent("index.json"))
        return try JSONDecoder().decode(FeatureFixtures.self, from: data)
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static func matrix(_ name: String) throws -> FeatureMatrix { try NumpyFile.readMatrix(path(name)) }
    static func samples(_ name: String) throws -> [Float] { try NumpyFile.read(path(name)).values }
}

/// Asserts `actual` is within `relative` of `expected` wherever `expected` exceeds `floorFraction` of its maximum.
/// - Returns: the worst relative error seen.
@discardableResult
func assertRelativeClose(
    _ actual: FeatureMatrix, _ expected: FeatureMatrix, relative: Float, floorFraction: Float, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) -> Float {
    XCTAssertEqual(actual.rows, expected.rows, "\(label): rows", file: file, line: line)
    XCTAssertEqual(actual.frames, expected.frames, "\(label): frames", file: file, line: line)
    guard actual.values.count == expected.values.count else { return .infinity }
    let floor = (expected.values.max() ?? 0) * floorFraction
    var worst: Float = 0
    var compared = 0
    for i in expected.values.indices where expected.values[i] > floor {
        compared += 1
        worst = max(worst, abs(actual.values[i] - expected.values[i]) / expected.values[i])
    }
    XCTAssertLessThanOrEqual(
        worst, relative, "\(label): worst relative error over \(compared) bins", file: file, line: line)
    return worst
}

/// Asserts dB values agree within `tolerance` dB over bins within `range` dB of the reference's peak.
/// - Returns: the worst difference seen.
@discardableResult
func assertDBClose(
    _ actual: FeatureMatrix, _ expected: FeatureMatrix, tolerance: Float, range: Float = 80, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) -> Float {
    XCTAssertEqual(actual.rows, expected.rows, "\(label): rows", file: file, line: line)
    XCTAssertEqual(actual.frames, expected.frames, "\(label): frames", file: file, line: line)
    guard actual.values.count == expected.values.count else { return .infinity }
    let floor = (expected.values.max() ?? 0) - range
    var worst: Float = 0
    for i in expected.values.indices where expected.values[i] >= floor {
        worst = max(worst, abs(actual.values[i] - expected.values[i]))
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(label): worst dB difference", file: file, line: line)
    return worst
}
