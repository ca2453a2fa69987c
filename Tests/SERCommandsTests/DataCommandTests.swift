import ArgumentParser
import Foundation
import SndFile
import TestSupport
import XCTest

@testable import SERCommands

final class DataCommandTests: XCTestCase {
    /// Four RAVDESS-named files (two actors), one stereo, one at 16 kHz, one junk .wav, and a README.
    private func makeCorpus() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        let files: [(String, Int, Int)] = [
            ("Actor_01/03-01-01-01-01-01-01.wav", 8000, 1),
            ("Actor_01/03-01-05-02-01-01-01.wav", 8000, 2),
            ("Actor_02/03-01-05-01-01-01-02.wav", 16000, 1),
            ("Actor_02/03-01-08-02-02-02-02.wav", 8000, 1),
        ]
        for (name, rate, channels) in files {
            let path = dir.path(name)
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try SoundFile.write(
                [Float](repeating: 0.01, count: rate / 2 * channels), channels: channels, sampleRate: rate, to: path)
        }
        try "junk".write(toFile: dir.path("Actor_02/03-01-03-01-01-01-02.wav"), atomically: true, encoding: .utf8)
        try "x".write(toFile: dir.path("Actor_02/03-01-99-01-01-01-02.wav"), atomically: true, encoding: .utf8)
        try "# corpus".write(toFile: dir.path("README.md"), atomically: true, encoding: .utf8)
        return dir
    }

    private func report(_ arguments: [String]) throws -> DataReport {
        try DataReport.decoded(from: DataCommand.parse(arguments + ["--json"]).output())
    }

    func testJSONReportParsesBackWithAllCounts() throws {
        let dir = try makeCorpus()
        let report = try report([dir.url.path])
        XCTAssertEqual(report.layout, "ravdess")
        XCTAssertEqual(report.detection, "5 of 6 audio file names are RAVDESS names")
        XCTAssertEqual(report.labels, "emotion")
        XCTAssertEqual(report.classNames.count, 8)
        XCTAssertEqual(report.files, 5)
        XCTAssertEqual(report.readable, 4)
        XCTAssertEqual(report.classCounts["angry"], 2)
        XCTAssertEqual(report.classCounts["calm"], 0)
        XCTAssertEqual(report.speakerCounts, ["01": 2, "02": 3])
        XCTAssertEqual(report.genderCounts, ["male": 2, "female": 3])
        XCTAssertEqual(report.sampleRates, ["8000": 3, "16000": 1])
        XCTAssertEqual(report.channels, ["1": 3, "2": 1])
        XCTAssertEqual(report.duration?.max ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertEqual(report.unreadable.map(\.path), ["Actor_02/03-01-03-01-01-01-02.wav"])
        XCTAssertEqual(report.problems.map(\.path), ["Actor_02/03-01-99-01-01-01-02.wav"])
        XCTAssertTrue(report.problems[0].reason.contains("emotion 99"))
        XCTAssertEqual(report.ignoredFiles, 1)
    }

    func testLabelsAndClassesOptions() throws {
        let dir = try makeCorpus()
        let genderEmotion = try report([dir.url.path, "--labels", "gender_emotion"])
        XCTAssertEqual(genderEmotion.classNames.count, 16)
        XCTAssertEqual(genderEmotion.classCounts["male_angry"], 1)
        XCTAssertEqual(genderEmotion.classCounts["female_angry"], 1)
        let subset = try report([dir.url.path, "--classes", "angry, neutral"])
        XCTAssertEqual(subset.classNames, ["neutral", "angry"])
        XCTAssertEqual(subset.files, 3)
        XCTAssertEqual(subset.excluded, 2)
        let intensity = try report([dir.url.path, "--labels", "intensity"])
        XCTAssertEqual(intensity.classCounts, ["normal": 3, "strong": 2])
        let folders = try report([dir.url.path, "--layout", "folders"])
        XCTAssertNil(folders.detection)
        XCTAssertEqual(folders.classNames, ["Actor_01", "Actor_02"])
        XCTAssertEqual(folders.speakers, 0)
    }

    func testAnotherCorpusIsDetectedAndItsLabelsMapped() throws {
        let dir = TemporaryDirectory()
        for name in ["OAF_Pleasant_surprise/OAF_back_ps.wav", "YAF_angry/YAF_back_angry.wav"] {
            try FileManager.default.createDirectory(
                atPath: (dir.path(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try SoundFile.write([Float](repeating: 0.01, count: 800), sampleRate: 8000, to: dir.path(name))
        }
        let tess = try report([dir.url.path])
        XCTAssertEqual(tess.layout, "tess")
        XCTAssertEqual(tess.classCounts["surprised"], 1)
        XCTAssertEqual(tess.speakers, 2)
        let text = try DataCommand.parse([dir.url.path]).output()
        XCTAssertTrue(text.contains("Gender  Files\nfemale      2"), text)
        XCTAssertFalse(text.contains("Intensity"), "TESS names carry no intensity: \(text)")
        let mapped = try report([dir.url.path, "--label-map", "ps=happy"])
        XCTAssertEqual(mapped.classCounts["happy"], 1)
        XCTAssertNil(mapped.classCounts["surprised"])
        XCTAssertThrowsError(try DataCommand.parse([dir.url.path, "--label-map", "calm=neutral"]).output()) {
            XCTAssertTrue("\($0)".contains("'calm' is not a label of the TESS layout"), "\($0)")
        }
    }

    func testTextReportShowsTablesAndUnreadableFiles() throws {
        let dir = try makeCorpus()
        let text = try DataCommand.parse([dir.url.path]).output()
        XCTAssertTrue(text.contains("Layout       ravdess (detected: 5 of 6"), text)
        XCTAssertTrue(text.contains("Sample rates 8000 Hz: 3, 16000 Hz: 1"), text)
        XCTAssertTrue(text.contains("Channels     1 (mono): 3, 2 (stereo): 1"), text)
        XCTAssertTrue(text.contains("Actor  Gender  Files\n01     male        2\n02     female      3"), text)
        XCTAssertTrue(text.contains("Unreadable files (1):\n  Actor_02/03-01-03-01-01-01-02.wav: "), text)
        XCTAssertTrue(text.contains("angry          2"), text)
    }

    func testLongProblemListsAreCutInTablesButNotInJSON() throws {
        let dir = TemporaryDirectory()
        try SoundFile.write([0, 0], sampleRate: 8000, to: dir.path("03-01-01-01-01-01-01.wav"))
        for i in 0..<25 { try "x".write(toFile: dir.path("clip\(i).wav"), atomically: true, encoding: .utf8) }
        let text = try DataCommand.parse([dir.url.path, "--layout", "ravdess"]).output()
        XCTAssertTrue(text.contains("Not usable (25):"), text)
        XCTAssertTrue(text.contains("  … and 5 more (--json lists them all)"), text)
        XCTAssertEqual(try report([dir.url.path, "--layout", "ravdess"]).problems.count, 25)
    }

    func testFailFastNamesTheUnreadableFile() throws {
        let dir = try makeCorpus()
        XCTAssertThrowsError(try DataCommand.parse([dir.url.path, "--fail-fast"]).output()) {
            XCTAssertTrue("\($0)".contains("03-01-03-01-01-01-02.wav"), "\($0)")
        }
    }

    func testBadArgumentsAreClearErrors() throws {
        let dir = try makeCorpus()
        for (arguments, expected) in [
            (
                ["--layout", "tree"],
                "unknown layout 'tree'; expected one of: ravdess, cremad, tess, savee, emodb, folders, csv"
            ),
            (["--labels", "mood"], "unknown label scheme 'mood'"),
            (["--classes", "a,,b"], "must list class names"),
        ] {
            XCTAssertThrowsError(try DataCommand.parse([dir.url.path] + arguments)) {
                XCTAssertTrue(DataCommand.message(for: $0).contains(expected), DataCommand.message(for: $0))
            }
        }
        XCTAssertThrowsError(try DataCommand.parse([dir.path("none")]).output()) {
            XCTAssertTrue("\($0)".contains("\(dir.path("none")): no such file or directory"), "\($0)")
        }
        XCTAssertThrowsError(try DataCommand.parse([dir.url.path, "--classes", "joy"]).output()) {
            XCTAssertTrue("\($0)".contains("unknown class 'joy'"), "\($0)")
        }
    }

    func testSharedRavdessFolder() throws {
        let root = try XCTUnwrap(SharedData.ravdess, "../shared/data/ravdess is absent")
        let report = try report([root.path])
        XCTAssertEqual(report.layout, "ravdess")
        XCTAssertEqual(report.files, 1200)
        XCTAssertEqual(report.readable, 1200)
        XCTAssertEqual(report.speakers, 20)
        XCTAssertEqual(report.emotionCounts.count, 8)
        XCTAssertEqual(report.sampleRates, ["48000": 1200])
        XCTAssertEqual(report.channels["2"], 5)
        XCTAssertEqual(report.channels["1"], 1195)
    }

    override func setUpWithError() throws {
        if name.contains("SharedRavdess") {
            try XCTSkipIf(SharedData.ravdess == nil, "../shared/data/ravdess is absent")
        }
    }
}

extension DataReport {
    /// The report `ser data --json` printed: its keys are snake_case (issue #24), the properties camelCase.
    static func decoded(from json: String) throws -> DataReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(DataReport.self, from: Data(json.utf8))
    }
}
