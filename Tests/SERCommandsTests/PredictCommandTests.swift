import ArgumentParser
import Foundation
import SndFile
import TestSupport
import XCTest

@testable import SERCommands

#if canImport(Glibc)
    import Glibc
#endif

/// `ser predict` with folders, mixed paths, `--format table|csv|json` and missing files (issue #24).
final class PredictCommandTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-predict-command") }

    func parse(_ arguments: [String]) throws -> Predict {
        let command = try SER.parseAsRoot(["predict"] + arguments)
        return try XCTUnwrap(command as? Predict, "\(arguments) parsed as \(type(of: command))")
    }

    func model() throws -> String { try writeTinyModelFile(to: directory.path("model.safetensors")) }

    /// A one-second float WAV of a tone at `name` (folders made as needed).
    @discardableResult
    func wav(_ name: String, frequency: Double = 440) throws -> String {
        let path = directory.path(name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let samples = (0..<16000).map { Float(0.3 * sin(2 * Double.pi * frequency * Double($0) / 16000)) }
        try SoundFile.write(samples, sampleRate: 16000, to: path, format: .wavFloat)
        return path
    }

    func testAFolderGivesItsNestedFilesInOrderAndListsItsSkippedEntries() throws {
        let model = try model()
        try wav("clips/b.wav", frequency: 300)
        try wav("clips/a/z.wav", frequency: 900)
        try wav("clips/a/deeper/c.wav", frequency: 1500)
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: directory.path("clips/notes.txt")))
        XCTAssertEqual(mkfifo(directory.path("clips/pipe.wav"), 0o600), 0)
        let folder = directory.path("clips")
        let results = try parse([model, folder + "/"]).predictions()
        XCTAssertEqual(
            results.map(\.file),
            [folder + "/a/deeper/c.wav", folder + "/a/z.wav", folder + "/b.wav", folder + "/pipe.wav"])
        XCTAssertTrue(results[0..<3].allSatisfy { $0.label != nil && $0.error == nil }, "\(results)")
        XCTAssertNil(results[3].label)
        XCTAssertTrue(results[3].skipped?.contains("FIFO") == true, "\(results[3])")
        // A skipped entry is not a failure.
        XCTAssertNoThrow(try parse([model, folder]).run())
    }

    func testFilesAndFoldersMixKeepTheCommandLineOrder() throws {
        let model = try model()
        let single = try wav("single.wav", frequency: 700)
        let nested = try wav("clips/x/one.wav", frequency: 300)
        let top = try wav("clips/two.wav", frequency: 900)
        let other = try wav("last.wav", frequency: 200)
        let results = try parse([model, single, directory.path("clips"), other]).predictions()
        XCTAssertEqual(results.map(\.file), [single, top, nested, other])  // "two.wav" < "x/one.wav"
        XCTAssertTrue(results.allSatisfy { $0.label != nil }, "\(results)")
    }

    func testAMissingFileSaysNoSuchFileAndTheOthersAreStillClassified() throws {
        let model = try model()
        let good = try wav("good.wav")
        let missing = directory.path("x.wav")
        let predict = try parse([model, good, missing])
        let results = try predict.predictions()
        XCTAssertEqual(results.map(\.file), [good, missing])
        XCTAssertNotNil(results[0].label)
        let error = try XCTUnwrap(results[1].error)
        XCTAssertTrue(error.hasPrefix("\(missing): no such file"), error)
        XCTAssertFalse(error.contains("decode"), error)
        XCTAssertThrowsError(try predict.run()) { XCTAssertEqual(($0 as? ExitCode)?.rawValue, 1, "\($0)") }
    }

    func testFormatsParse() throws {
        let model = try model()
        let plain = try wav("plain.wav", frequency: 300)
        let comma = try wav("with, \"comma\".wav", frequency: 900)
        XCTAssertEqual(try parse([model, plain]).format, .table)
        XCTAssertEqual(try parse([model, plain, "--format", "csv"]).format, .csv)
        XCTAssertThrowsError(try SER.parseAsRoot(["predict", model, plain, "--format", "xml"]))

        // CSV: a header, then path, label, probability and one column per class, RFC 4180 quoted.
        let csv = try parse([model, plain, comma, "--format", "csv"])
        let (labels, entries) = try csv.classified()
        XCTAssertEqual(labels, ["low", "high"])
        let text = try XCTUnwrap(try csv.output(labels: labels, entries: entries))
        let lines = text.components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 3, text)
        XCTAssertEqual(lines[0], "path,label,probability,low,high")
        XCTAssertTrue(lines[2].hasPrefix("\"" + comma.replacingOccurrences(of: "\"", with: "\"\"") + "\","), text)
        for (line, entry) in zip(lines.dropFirst(), entries) {
            let numbers = line.components(separatedBy: ",").suffix(3).compactMap(Double.init)
            XCTAssertEqual(numbers.count, 3, line)
            XCTAssertEqual(numbers[0], entry.probability)
            XCTAssertEqual(numbers[0], numbers[1...].max())
            XCTAssertEqual(numbers[1] + numbers[2], 1, accuracy: 1e-9, line)
            XCTAssertTrue(line.contains(",\(entry.label ?? "?"),"), line)
        }

        // Table: a header and one row per file.
        let table = try XCTUnwrap(try parse([model, plain, comma]).output(labels: labels, entries: entries))
        let rows = table.components(separatedBy: "\n")
        XCTAssertEqual(rows.count, 3, table)
        XCTAssertTrue(rows[0].hasPrefix("FILE") && rows[0].contains("LABEL") && rows[0].hasSuffix("TOP 3"), table)
        XCTAssertTrue(rows[1].hasPrefix(plain), table)

        // JSON (`--format json` and its synonym `--json`): snake_case keys, every class's probability.
        for arguments in [["--format", "json"], ["--json"]] {
            let command = try parse([model, plain, comma] + arguments)
            let json = try XCTUnwrap(try command.output(labels: labels, entries: entries))
            let decoded = try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]], json)
            XCTAssertEqual(decoded.map { $0["file"] as? String }, [plain, comma])
            let probabilities = try XCTUnwrap(decoded[0]["probabilities"] as? [String: Double], json)
            XCTAssertEqual(Set(probabilities.keys), ["low", "high"])
        }
    }
}
