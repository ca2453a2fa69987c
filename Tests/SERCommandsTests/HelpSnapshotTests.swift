import ArgumentParser
import Foundation
import XCTest

@testable import SERCommands

/// `--help` output of every command, compared with the files in `Snapshots/`.
/// Run with `SER_UPDATE_SNAPSHOTS=1` to rewrite them after an intended change, then review the diff.
final class HelpSnapshotTests: XCTestCase {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")

    func testEveryCommandsHelpMatchesItsSnapshot() throws {
        let commands: [(String, ParsableCommand.Type)] =
            [("ser", SER.self)] + SER.configuration.subcommands.map { ("ser-\($0._commandName)", $0) }
        for (name, command) in commands {
            let help = SER.helpMessage(for: command, columns: 100) + "\n"
            let file = Self.snapshots.appendingPathComponent("\(name).txt")
            if ProcessInfo.processInfo.environment["SER_UPDATE_SNAPSHOTS"] == "1" {
                try help.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
                XCTFail("No snapshot \(file.lastPathComponent); run the tests with SER_UPDATE_SNAPSHOTS=1 once.")
                continue
            }
            XCTAssertEqual(help, expected, "`\(name.replacingOccurrences(of: "-", with: " ")) --help` changed")
        }
    }
}
