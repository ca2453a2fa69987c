import ArgumentParser
import Foundation
import XCTest

@testable import SERCommands

/// `--help` output of every command, compared with the files in `Snapshots/`.
/// Run with `SER_UPDATE_SNAPSHOTS=1` to rewrite them after an intended change, then review the diff.
final class HelpSnapshotTests: XCTestCase {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")

    /// Every command and subcommand (`ser bench features` too), named as its snapshot file (`ser-bench-features`).
    static var commands: [(String, ParsableCommand.Type)] {
        func walk(_ name: String, _ command: ParsableCommand.Type) -> [(String, ParsableCommand.Type)] {
            [(name, command)]
                + command.configuration.subcommands.flatMap { walk("\(name)-\($0._commandName)", $0) }
        }
        return walk("ser", SER.self)
    }

    func testEveryCommandsHelpMatchesItsSnapshot() throws {
        for (name, command) in Self.commands {
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

    /// An option states its default once: a help text that names it ("default: all cores") on an option
    /// whose Swift default is also printed ("(default: 2)") shows two, one of them this machine's.
    func testNoOptionShowsTwoDefaults() {
        for (name, command) in Self.commands {
            let help = SER.helpMessage(for: command, columns: 10_000)
            for line in help.split(separator: "\n") where line.components(separatedBy: "(default").count > 2 {
                XCTFail("`\(name.replacingOccurrences(of: "-", with: " ")) --help` shows two defaults: \(line)")
            }
        }
    }
}
