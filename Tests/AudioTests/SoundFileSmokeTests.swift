import SndFile
import TestSupport
import XCTest

final class SoundFileSmokeTests: XCTestCase {
    func testWriteThenReadBackFloatWav() throws {
        let dir = TemporaryDirectory()
        let samples: [Float] = (0..<200).map { sin(Float($0) * 0.1) * 0.5 }
        try SoundFile.write(samples, channels: 2, sampleRate: 8000, to: dir.path("a.wav"), format: .wavFloat)
        let (back, info) = try SoundFile.read(dir.path("a.wav"))
        XCTAssertEqual(info, SoundFileInfo(frames: 100, sampleRate: 8000, channels: 2, container: "WAV", encoding: "FLOAT"))
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
