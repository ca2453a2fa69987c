import Features
import Foundation
import Inference
import NeuralNet
import SndFile
import StoreTestSupport
import TestSupport
import XCTest

/// Issue #24: `ser runs | head -1` ends quietly. Each listing command runs as the built `ser` executable
/// with its standard output connected to a pipe whose reading end is already closed, as `head` leaves it;
/// each must end with status 0 and print nothing on standard error (no "Error: output closed", no death
/// by SIGPIPE).
final class ClosedPipeTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-closed-pipe") }

    /// `ser` beside this test bundle in the build folder (`.build/debug/ser`); `swift build --build-tests`
    /// and `swift test` build it with the tests.
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("ser")
    }

    struct Ended {
        var status: Int32
        var reason: Process.TerminationReason
        var standardError: String
    }

    /// Runs `ser arguments` with standard output a pipe nobody reads (its reading end closed before start).
    static func runIntoClosedPipe(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Ended {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EIO) }
        close(ends[0])
        let writer = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        let errors = Pipe()
        let child = Process()
        child.executableURL = executable
        child.arguments = arguments
        child.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = writer
        child.standardError = errors
        try child.run()
        try writer.close()
        let standardError = errors.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return Ended(
            status: child.terminationStatus, reason: child.terminationReason,
            standardError: String(decoding: standardError, as: UTF8.self))
    }

    /// A tiny model file in the test folder (see ``writeTinyModelFile(to:)``).
    func model() throws -> String { try writeTinyModelFile(to: directory.path("model.safetensors")) }

    func testEveryListingCommandEndsQuietlyWhenItsOutputIsAClosedPipe() throws {
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: Self.executable.path),
            "no ser executable at \(Self.executable.path): build with `swift build --build-tests`")
        let fixture = try ReportFixture.make(in: directory)
        let store = fixture.storePath
        let model = try model()
        // A labelled folder (folders layout) for eval and data.
        for (label, frequency) in [("low", 200.0), ("high", 2000.0)] {
            let folder = directory.path("data/\(label)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let samples = (0..<16000).map { Float(0.3 * sin(2 * Double.pi * frequency * Double($0) / 16000)) }
            try SoundFile.write(samples, sampleRate: 16000, to: folder + "/a.wav")
        }
        let spec = directory.path("spec.yaml")
        try Data(ReportFixture.spec.utf8).write(to: URL(fileURLWithPath: spec))
        let clip = fixture.audio[0]

        let commands: [[String]] = [
            ["runs", "--store", store],
            ["runs", "--store", store, "--json"],
            ["show", "1", "--store", store],
            ["show", "1", "--store", store, "--json"],
            ["compare", "--store", store],
            ["compare", "--store", store, "--json"],
            ["query", "SELECT * FROM epoch_metric", "--store", store],
            ["query", "SELECT * FROM epoch_metric", "--store", store, "--json"],
            ["data", directory.path("data")],
            ["data", directory.path("data"), "--json"],
            ["validate", spec],
            ["doctor", "--seconds", "0"],
            ["doctor", "--seconds", "0", "--json"],
            ["predict", model, clip],
            ["predict", model, clip, "--json"],
            ["eval", model, directory.path("data")],
            ["eval", model, directory.path("data"), "--json"],
            ["report", "1", "--store", store, "-o", directory.path("report.html")],
            ["listen", model, "--file", clip, "--speed", "0"],
            ["listen", model, "--file", clip, "--speed", "0", "--json"],
            ["--help"],
            ["--generate-completion-script", "bash"],
        ]
        for arguments in commands {
            let ended = try Self.runIntoClosedPipe(arguments)
            let command = "ser " + arguments.joined(separator: " ")
            XCTAssertEqual(ended.reason, .exit, "\(command) died of signal \(ended.status)")
            XCTAssertEqual(ended.status, 0, "\(command): \(ended.standardError)")
            XCTAssertEqual(ended.standardError, "", command)
        }
    }

    /// A closed standard error is not the reader going away: the handler leaves that broken pipe to
    /// SIGPIPE, as before (the command does not claim success quietly).
    func testOnlyAClosedStandardOutputEndsQuietly() throws {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        close(ends[0])
        let writer = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        let child = Process()
        child.executableURL = Self.executable
        // An unknown command: its error goes to standard error, which is the closed pipe.
        child.arguments = ["no-such-command"]
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        child.standardError = writer
        try child.run()
        try writer.close()
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertEqual(child.terminationStatus, SIGPIPE)
    }
}
