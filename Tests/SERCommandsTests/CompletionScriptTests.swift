import Foundation
import XCTest

/// Issue #24: the completion scripts the README tells users to install (`ser --generate-completion-script
/// bash|zsh|fish`, from swift-argument-parser) are produced by the built executable and know ser's commands.
final class CompletionScriptTests: XCTestCase {
    func script(_ shell: String) throws -> (status: Int32, text: String) {
        let child = Process()
        child.executableURL = ClosedPipeTests.executable
        child.arguments = ["--generate-completion-script", shell]
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return (child.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testBashZshAndFishScriptsCompleteSersCommands() throws {
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: ClosedPipeTests.executable.path),
            "no ser executable at \(ClosedPipeTests.executable.path): build with `swift build --build-tests`")
        // What registers the completion in each shell, as the README's install lines rely on.
        let registration = [
            "bash": "complete -o filenames -F _ser ser", "zsh": "#compdef ser", "fish": "complete -c 'ser'",
        ]
        for (shell, marker) in registration {
            let (status, text) = try script(shell)
            XCTAssertEqual(status, 0, shell)
            XCTAssertTrue(text.contains(marker), "\(shell) script lacks \(marker)")
            for command in ["runs", "show", "compare", "predict", "listen", "doctor", "features"] {
                XCTAssertTrue(text.contains(command), "\(shell) script does not mention \(command)")
            }
            // Nested subcommands too.
            XCTAssertTrue(text.contains("bench") && text.contains("train"), "\(shell) script lacks bench train")
        }
        XCTAssertNotEqual(try script("tcsh").status, 0, "an unknown shell is an error")
    }
}
