import SndFile
import TestSupport
import XCTest

final class SoundFileSmokeTests: XCTestCase {
    func testWriteThenReadBackFloatWav() throws {
        let dir = TemporaryDirectory()
        let samples: [Float] = (0..<200).map { sin(Float($0) * 0.1) * 0.5 }
        try SoundFile.write(samples, channels: 2, sampleRate: 8000, to: dir.path("a.wav"), format: .wavFloat)
        let (back, info) = try SoundFile.read(dir.path("a.wav"))
        XCTAssertEqual(
            info, SoundFileInfo(frames: 100, sampleRate: 8000, channels: 2, container: "WAV", encoding: "FLOAT"))
        XCTAssertEqual(back, samples)
        let (part, _) = try SoundFile.read(dir.path("a.wav"), offset: 10, frameCount: 5)
        XCTAssertEqual(part, Array(samples[20..<30]))
    }

    func testMissingFileNamesThePathAndLibsndfilesMessage() {
        XCTAssertThrowsError(try SoundFile.info("/nonexistent/x.wav")) { error in
            let e = error as! SndFileError
            XCTAssertEqual(e.path, "/nonexistent/x.wav")
            XCTAssertFalse(e.message.isEmpty)
        }
    }
}

final class SoundFileTruncationTests: XCTestCase {
    func testDiagnosisReadsLibsndfilesLog() {
        let wav = "File : cut.wav\nLength : 1000\nRIFF : 2036 (should be 992)\nWAVE\ndata : 2000 (should be 956)\nEnd\n"
        let message = SoundFile.truncationDiagnosis(log: wav)
        XCTAssertNotNil(message)
        XCTAssertTrue(message!.contains("declares 2000 bytes"), message!)
        XCTAssertTrue(message!.contains("only 956"), message!)
        XCTAssertNil(SoundFile.truncationDiagnosis(log: "File : ok.wav\nRIFF : 2036\ndata : 2000\nEnd\n"))
        // Trailing bytes after the data (declared < actual) and streaming placeholders are not truncation.
        XCTAssertNil(SoundFile.truncationDiagnosis(log: "data : 2000 (should be 2100)\n"))
        XCTAssertNil(SoundFile.truncationDiagnosis(log: "data : 4294967295 (should be 956)\n"))
        XCTAssertNil(SoundFile.truncationDiagnosis(log: "data : 0 (should be 956)\n"))
        XCTAssertNotNil(
            SoundFile.truncationDiagnosis(log: "Ogg : File ended unexpectedly without an End-Of-Stream flag set.\n"))
        // AIFF, as libsndfile logs a cut file.
        XCTAssertNotNil(
            SoundFile.truncationDiagnosis(log: "FORM : 32046 (should be 15992)\n SSND : 32008 (should be 15954)\n"))
    }

    func testInfoAndReadRejectATruncatedWav() throws {
        let dir = TemporaryDirectory()
        try SoundFile.write([Float](repeating: 0.25, count: 1000), sampleRate: 8000, to: dir.path("ok.wav"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("ok.wav")))
        FileManager.default.createFile(atPath: dir.path("cut.wav"), contents: bytes.prefix(1000))
        XCTAssertEqual(try SoundFile.info(dir.path("ok.wav")).frames, 1000)
        for operation in [
            { _ = try SoundFile.info(dir.path("cut.wav")) }, { _ = try SoundFile.read(dir.path("cut.wav")) },
        ] {
            XCTAssertThrowsError(try operation()) { error in
                let e = error as! SndFileError
                XCTAssertEqual(e.path, dir.path("cut.wav"))
                XCTAssertTrue(e.message.contains("truncated"), e.message)
            }
        }
    }
}
