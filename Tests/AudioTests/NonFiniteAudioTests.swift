import Audio
import Foundation
import SndFile
import TestSupport
import XCTest

/// Issue #18: float files with NaN, infinite or absurd samples are refused by the loader with an error
/// naming the file and the first offending sample (frame, channel, time), at any output rate.
final class NonFiniteAudioTests: XCTestCase {
    func write(_ name: String, _ samples: [Float], channels: Int = 1, in dir: TemporaryDirectory) throws -> String {
        let path = dir.path(name)
        try SoundFile.write(samples, channels: channels, sampleRate: 8000, to: path, format: .wavFloat)
        return path
    }

    func assertRefused(_ path: String, _ expected: String, sampleRate: Int? = nil, line: UInt = #line) {
        XCTAssertThrowsError(try AudioLoader.load(path, sampleRate: sampleRate), line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
            XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)", line: line)
        }
    }

    func testNaNSampleIsRefused() throws {
        let dir = TemporaryDirectory()
        var x = sine(frequency: 300, rate: 8000, count: 8000)
        x[4000] = .nan
        let path = try write("nan.wav", x, in: dir)
        assertRefused(path, "sample 4000 (channel 0, at 0.500000 s) is nan; expected finite samples within ±1000.0")
        assertRefused(path, "sample 4000", sampleRate: 22050)
    }

    func testInfiniteSampleIsRefused() throws {
        let dir = TemporaryDirectory()
        var x = sine(frequency: 300, rate: 8000, count: 8000)
        x[2] = -.infinity
        assertRefused(try write("inf.wav", x, in: dir), "sample 2 (channel 0, at 0.000250 s) is -inf")
    }

    func testAbsurdMagnitudeIsRefusedButTheBoundIsAccepted() throws {
        let dir = TemporaryDirectory()
        var x = sine(frequency: 300, rate: 8000, count: 8000)
        x[10] = 1000  // the bound itself is accepted…
        let ok = try write("bound.wav", x, in: dir)
        XCTAssertEqual(try AudioLoader.load(ok, sampleRate: nil).samples[10], 1000)
        x[7999] = 1e30  // …a larger magnitude is not
        assertRefused(
            try write("loud.wav", x, in: dir), "sample 7999 (channel 0, at 0.999875 s) is 1e+30, beyond ±1000.0")
    }

    func testTheFrameAndChannelOfAStereoFileAreNamed() throws {
        let dir = TemporaryDirectory()
        var x = [Float](repeating: 0.1, count: 2 * 800)
        x[2 * 400 + 1] = .nan
        let path = try write("stereo.wav", x, channels: 2, in: dir)
        assertRefused(path, "sample 400 (channel 1, at 0.050000 s) is nan")
        // With an offset the frame still counts from the start of the file.
        XCTAssertThrowsError(try AudioLoader.load(path, sampleRate: nil, offset: 0.025)) { error in
            XCTAssertTrue("\(error)".contains("sample 400 (channel 1"), "\(error)")
        }
    }
}
