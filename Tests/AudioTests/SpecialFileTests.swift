import Audio
import Foundation
import TestSupport
import XCTest

/// FIFOs, devices and folders given as audio files are refused before they are opened, so nothing blocks.
final class SpecialFileTests: XCTestCase {
    func testAFIFOIsRefusedWithoutBeingOpened() throws {
        let dir = TemporaryDirectory()
        let fifo = dir.path("x.wav")
        try makeFIFO(fifo)
        let result = finishing(within: 20, releasing: [fifo]) { try AudioLoader.load(fifo) }
        XCTAssertThrowsError(try XCTUnwrap(result, "AudioLoader.load blocked on a FIFO").get()) { error in
            XCTAssertEqual(error as? AudioError, AudioError(path: fifo, problem: .notARegularFile(.fifo)))
            XCTAssertEqual(
                "\(error)",
                "\(fifo): is a FIFO (named pipe), not a regular file; expected an audio file (WAV, FLAC or OGG)")
        }
    }

    func testDevicesAndFoldersAreRefusedByKind() throws {
        let dir = TemporaryDirectory()
        for (path, kind) in [("/dev/zero", FileKind.characterDevice), (dir.url.path, .directory)] {
            let result = finishing(within: 20) { try AudioLoader.load(path) }
            XCTAssertThrowsError(try XCTUnwrap(result, "AudioLoader.load did not return on \(path)").get()) { error in
                XCTAssertEqual(error as? AudioError, AudioError(path: path, problem: .notARegularFile(kind)))
            }
        }
        XCTAssertEqual(FileKind(atPath: dir.path("none")), nil, "a missing file is left to the decoder's message")
    }
}
