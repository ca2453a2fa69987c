import Datasets
import TestSupport
import XCTest

final class LayoutTests: XCTestCase {
    func testRavdessTreeParsesNamesReportsBadOnesAndIgnoresOtherFiles() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "Actor_01/03-01-05-02-01-01-01.wav")
        try Fixtures.wav(dir, "Actor_02/03-01-02-01-02-02-02.WAV")
        try Fixtures.wav(dir, "Actor_02/nested/03-01-03-01-01-01-02.flac", format: .flac16)
        try Fixtures.wav(dir, "Actor_02/03-01-09-01-01-01-02.wav")  // emotion 09
        try Fixtures.wav(dir, ".hidden/03-01-01-01-01-01-03.wav")
        try Fixtures.wav(dir, "Actor_01/.03-01-01-01-01-01-01.wav")
        try Fixtures.text(dir, "README.md", "# notes")
        try Fixtures.text(dir, "Actor_01/list.txt", "x")

        let listing = try DatasetListing.make(dir.url.path)
        XCTAssertEqual(listing.layout, .ravdess)
        XCTAssertEqual(listing.detection, "3 of 4 audio file names are RAVDESS names")
        XCTAssertEqual(
            listing.files.map(\.relativePath),
            [
                "Actor_01/03-01-05-02-01-01-01.wav", "Actor_02/03-01-02-01-02-02-02.WAV",
                "Actor_02/nested/03-01-03-01-01-01-02.flac",
            ])
        XCTAssertEqual(listing.files.map(\.speaker), ["01", "02", "02"])
        XCTAssertEqual(listing.files[0].ravdess?.emotion, .angry)
        XCTAssertEqual(listing.files[0].path, dir.url.path + "/Actor_01/03-01-05-02-01-01-01.wav")
        XCTAssertEqual(listing.problems.count, 1)
        XCTAssertEqual(listing.problems.first?.path, "Actor_02/03-01-09-01-01-01-02.wav")
        XCTAssertTrue(listing.problems.first!.reason.contains("emotion 09"), listing.problems.first!.reason)
        XCTAssertEqual(listing.ignoredFiles, 2)

        let dataset = try Dataset(listing: listing)
        XCTAssertEqual(dataset.scheme, .emotion)
        XCTAssertEqual(dataset.items.map(\.label), ["angry", "calm", "happy"])
        XCTAssertEqual(dataset.classCounts, [0, 1, 1, 0, 1, 0, 0, 0])
        XCTAssertEqual(dataset.speakers, ["01", "02"])
    }

    func testFoldersLayoutUsesTheFirstFolderAsClass() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "sad/s1.wav")
        try Fixtures.wav(dir, "happy/deep/er/h1.ogg", frames: 4000, format: .oggVorbis)
        try Fixtures.wav(dir, "happy/h2.Flac", format: .flac16)
        try Fixtures.wav(dir, "loose.wav")
        try Fixtures.text(dir, "sad/notes.csv", "a,b")

        let dataset = try Dataset.load(dir.url.path)
        XCTAssertEqual(dataset.layout, .folders)
        XCTAssertEqual(dataset.listing.detection, "only 0 of 4 audio file names are RAVDESS names")
        XCTAssertEqual(dataset.classNames, ["happy", "sad"])
        XCTAssertEqual(dataset.items.map(\.file.relativePath), ["happy/deep/er/h1.ogg", "happy/h2.Flac", "sad/s1.wav"])
        XCTAssertEqual(dataset.items.map(\.classIndex), [0, 0, 1])
        XCTAssertTrue(dataset.items.allSatisfy { $0.speaker == nil })
        XCTAssertEqual(dataset.problems.map(\.path), ["loose.wav"])
        XCTAssertEqual(dataset.listing.ignoredFiles, 1)
    }

    func testCSVManifestWithQuotesSpeakersAndMissingFiles() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "clips/a, b.wav")
        try Fixtures.wav(dir, "clips/c.wav")
        try Fixtures.wav(dir, "clips/d \"q\".wav")
        let manifest = """
            Path,label,speaker,notes
            "clips/a, b.wav",angry,spk1,"said ""hi"", loudly"
            clips/c.wav , calm ,,
            "clips/d ""q"".wav",angry,spk2,"two
            lines"
            clips/missing.wav,calm,spk1,

            clips/c.wav,calm,spk1,again
            """
        try Fixtures.text(dir, "manifest.csv", manifest)

        let dataset = try Dataset.load(dir.path("manifest.csv"))
        XCTAssertEqual(dataset.layout, .csv)
        XCTAssertEqual(dataset.listing.detection, "the path is a .csv file")
        XCTAssertEqual(dataset.classNames, ["angry", "calm"])
        XCTAssertEqual(dataset.items.map(\.file.relativePath), ["clips/a, b.wav", "clips/c.wav", "clips/d \"q\".wav"])
        XCTAssertEqual(
            dataset.items.map(\.path),
            [dir.path("clips/a, b.wav"), dir.path("clips/c.wav"), dir.path("clips/d \"q\".wav")])
        XCTAssertEqual(dataset.items.map(\.speaker), ["spk1", nil, "spk2"])
        XCTAssertEqual(dataset.items.map(\.classIndex), [0, 1, 0])
        XCTAssertEqual(dataset.problems.count, 2)
        XCTAssertTrue(dataset.problems[0].reason.contains("line 6"), dataset.problems[0].reason)
        XCTAssertTrue(dataset.problems[1].reason.contains("line 8"), dataset.problems[1].reason)
        XCTAssertTrue(dataset.problems[1].reason.contains("first on line 3"), dataset.problems[1].reason)

        // The csv layout also accepts the folder holding the manifest.
        let viaFolder = try Dataset.load(dir.url.path, layout: .csv)
        XCTAssertEqual(viaFolder.items, dataset.items)
        XCTAssertNil(viaFolder.listing.detection)
    }

    func testMalformedManifestsNameTheFileAndLine() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "a.wav")
        let path = dir.path("m.csv")
        let cases: [(String, String)] = [
            ("", "m.csv:1: empty manifest"),
            ("file,class\na.wav,x\n", "m.csv:1: header 'file,class' lacks a 'path' or 'label' column"),
            ("path,label\na.wav,x\na.wav,x,extra\n", "m.csv:3: 3 fields; expected 2"),
            ("path,label\na.wav,x\n,x\n", "m.csv:3: empty path"),
            ("path,label\na.wav,\n", "m.csv:2: empty label for 'a.wav'"),
            ("path,label\n\"a.wav,x\n", "m.csv:2: a quoted field is not closed"),
            ("path,label\n\"a.wav\"x,y\n", "m.csv:2: unexpected text after a closing quote"),
            ("path,label\na\"b.wav,y\n", "m.csv:2: a quote inside an unquoted field"),
            ("path,label\n", "m.csv: no rows after the header"),
            ("path,label\nnope.wav,x\n", "m.csv: none of the listed files exists"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try DatasetListing.make(path), "manifest \(text.debugDescription)") { error in
                XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "'\(error)' lacks '\(expected)'")
            }
        }
    }

    func testBadPathsAreClearErrors() throws {
        let dir = TemporaryDirectory()
        XCTAssertThrowsError(try DatasetListing.make(dir.path("absent"))) {
            XCTAssertEqual($0 as? DatasetError, .missing(path: dir.path("absent")))
        }
        XCTAssertThrowsError(try DatasetListing.make(dir.url.path)) {
            XCTAssertEqual($0 as? DatasetError, .noAudioFiles(path: dir.url.path))
            XCTAssertTrue("\($0)".contains("no audio files (.wav, .flac, .ogg)"))
        }
        try Fixtures.text(dir, "notes.txt", "x")
        XCTAssertThrowsError(try DatasetListing.make(dir.path("notes.txt"))) {
            XCTAssertEqual($0 as? DatasetError, .notADirectoryOrManifest(path: dir.path("notes.txt")))
        }
        XCTAssertThrowsError(try DatasetListing.make(dir.path("notes.txt"), layout: .ravdess)) {
            XCTAssertTrue("\($0)".contains("not a directory; the ravdess layout expects a folder"), "\($0)")
        }
        XCTAssertThrowsError(try DatasetListing.make(dir.url.path, layout: .csv)) {
            XCTAssertTrue("\($0)".contains("no .csv manifest in this folder"), "\($0)")
        }
        try Fixtures.wav(dir, "x/speech.wav")
        XCTAssertThrowsError(try DatasetListing.make(dir.url.path, layout: .ravdess)) {
            XCTAssertTrue("\($0)".contains("none of the 1 audio files has a RAVDESS name"), "\($0)")
            XCTAssertTrue("\($0)".contains("speech.wav"), "\($0)")
        }
        let other = TemporaryDirectory()
        try Fixtures.wav(other, "top.wav")
        XCTAssertThrowsError(try DatasetListing.make(other.url.path, layout: .folders)) {
            XCTAssertEqual($0 as? DatasetError, .noClassFolders(path: other.url.path))
        }
    }

    func testRelativePathsAreResolvedAgainstTheWorkingDirectory() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "sad/s1.wav")
        let saved = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir.url.path))
        let listing = try DatasetListing.make(".")
        XCTAssertEqual(listing.source, URL(fileURLWithPath: dir.url.path).standardizedFileURL.path)
        XCTAssertEqual(listing.files.first?.path, listing.source + "/sad/s1.wav")
    }
}
