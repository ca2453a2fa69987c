import Audio
import Datasets
import XCTest

final class RavdessNameTests: XCTestCase {
    func testParsesAllSevenFields() throws {
        let name = try RavdessName(parsing: "03-01-06-02-02-01-12.wav")
        XCTAssertEqual(name.modality, 3)
        XCTAssertEqual(name.vocalChannel, 1)
        XCTAssertEqual(name.emotion, .fearful)
        XCTAssertEqual(name.intensity, .strong)
        XCTAssertEqual(name.statement, 2)
        XCTAssertEqual(name.repetition, 1)
        XCTAssertEqual(name.actor, 12)
        XCTAssertEqual(name.gender, .female)
        XCTAssertEqual(name.speaker, "12")
        XCTAssertEqual(name.stem, "03-01-06-02-02-01-12")
    }

    func testGenderFollowsActorParityAndPathsAndExtensionsAreIgnored() throws {
        let male = try RavdessName(parsing: "/data/Actor_01/03-01-01-01-01-01-01.FLAC")
        XCTAssertEqual(male.gender, .male)
        XCTAssertEqual(male.speaker, "01")
        XCTAssertEqual(male.emotion, .neutral)
        XCTAssertEqual(try RavdessName(parsing: "03-01-08-01-01-02-24").gender, .female)
        XCTAssertEqual(try RavdessName(parsing: "01-02-02-01-01-01-23.ogg").vocalChannel, 2)
    }

    func testEveryEmotionCodeMapsInOrder() throws {
        for code in 1...8 {
            let name = try RavdessName(parsing: "03-01-0\(code)-01-01-01-01.wav")
            XCTAssertEqual(name.emotion.rawValue, code)
            XCTAssertEqual(Emotion(name: name.emotion.name), name.emotion)
        }
        XCTAssertEqual(
            Emotion.ravdess.map(\.name),
            ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"])
        XCTAssertEqual(Emotion.ravdess.map(\.rawValue), Array(1...8))
    }

    func testEachOutOfRangeFieldIsNamed() {
        let cases: [(String, String)] = [
            ("04-01-01-01-01-01-01.wav", "modality 04"),
            ("00-01-01-01-01-01-01.wav", "modality 00"),
            ("03-03-01-01-01-01-01.wav", "vocal channel 03"),
            ("03-01-09-01-01-01-01.wav", "emotion 09"),
            ("03-01-00-01-01-01-01.wav", "emotion 00"),
            ("03-01-02-03-01-01-01.wav", "intensity 03"),
            ("03-01-02-01-03-01-01.wav", "statement 03"),
            ("03-01-02-01-01-03-01.wav", "repetition 03"),
            ("03-01-02-01-01-01-25.wav", "actor 25"),
            ("03-01-02-01-01-01-00.wav", "actor 00"),
        ]
        for (file, expected) in cases {
            assertInvalid(file, mentions: expected)
        }
    }

    func testNeutralHasNoStrongIntensityAndSongHasNoDisgustOrSurprise() {
        assertInvalid("03-01-01-02-01-01-01.wav", mentions: "neutral")
        assertInvalid("03-02-07-01-01-01-01.wav", mentions: "song")
        assertInvalid("03-02-08-01-01-01-01.wav", mentions: "surprised")
        XCTAssertNoThrow(try RavdessName(parsing: "03-01-07-02-01-01-01.wav"))
    }

    func testWrongFieldCountAndNonDigitsAreRejected() {
        assertInvalid("03-01-01-01-01-01.wav", mentions: "found 6")
        assertInvalid("03-01-01-01-01-01-01-01.wav", mentions: "found 8")
        assertInvalid("speech.wav", mentions: "found 1")
        assertInvalid("03-01-1-01-01-01-01.wav", mentions: "emotion field '1'")
        assertInvalid("03-01-0a-01-01-01-01.wav", mentions: "emotion field '0a'")
        assertInvalid("03-01-001-01-01-01-01.wav", mentions: "emotion field '001'")
        assertInvalid("03--01-01-01-01-01.wav", mentions: "vocal channel field ''")
    }

    private func assertInvalid(_ file: String, mentions expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try RavdessName(parsing: file), file: #filePath, line: line) { error in
            guard let error = error as? RavdessNameError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(error.fileName, file, line: line)
            XCTAssertTrue(error.description.contains(expected), "\(error) lacks '\(expected)'", line: line)
        }
    }
}
