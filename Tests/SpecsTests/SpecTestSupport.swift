import Foundation
import TestSupport
import XCTest

@testable import Specs

/// Writes spec files into a temporary folder and loads them with a loader that does not look at the
/// real environment.
final class SpecFixture {
    let directory = TemporaryDirectory("ser-spec")
    var environment: [String: String] = [:]

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = directory.path(name)
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var loader: SpecLoader {
        SpecLoader(environment: environment, workingDirectory: directory.url.path)
    }

    func load(_ name: String, overrides: [String] = []) throws -> ExperimentPlan {
        try loader.load(path: directory.path(name), overrides: overrides)
    }

    /// The errors loading `name` throws (fails the test when it loads).
    func errors(
        _ name: String, overrides: [String] = [], file: StaticString = #filePath, line: UInt = #line
    ) -> [SpecError] {
        do {
            _ = try load(name, overrides: overrides)
            XCTFail("expected \(name) to be refused", file: file, line: line)
            return []
        } catch let errors as SpecErrors {
            return errors.errors
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return []
        }
    }
}

/// A minimal valid spec on the synthetic corpus.
let minimalSpec = """
    name: quick
    data:
      synthetic: {actors: 4, seed: 3}

    """
