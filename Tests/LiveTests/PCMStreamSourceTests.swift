import Foundation
import SndFile
import TestSupport
import XCTest

@testable import Live

final class PCMStreamSourceTests: XCTestCase {
    override func setUp() { signal(SIGPIPE, SIG_IGN) }

    func testReadsS16LEFromAPipeInOddChunks() throws {
        let signal = testSignal(5000)
        let pipe = pipeFeeding(pcmBytes(signal, format: .s16le), chunk: 777)
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .s16le, sampleRate: 16000)
        XCTAssertEqual(try source.readAll(chunk: 333), s16Quantised(signal))
        XCTAssertEqual(try source.readAll(), [], "end of stream stays ended")
    }

    func testReadsStereoF32LEAsMono() throws {
        let left = testSignal(1000)
        let right = left.map { -$0 / 2 }
        let pipe = pipeFeeding(pcmBytes(zip(left, right).flatMap { [$0, $1] }, format: .f32le), chunk: 999)
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .f32le, sampleRate: 8000, channels: 2)
        XCTAssertEqual(try source.readAll(chunk: 100), zip(left, right).map { ($0 + $1) / 2 })
        XCTAssertTrue(source.name.contains("f32le, 8000 Hz, 2 channels"), source.name)
    }

    func testOddByteCountAtEndOfStreamIsAClearError() throws {
        let pipe = pipeFeeding(pcmBytes(testSignal(100), format: .s16le) + [7])
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .s16le, sampleRate: 16000, name: "stdin")
        XCTAssertThrowsError(try source.readAll()) { error in
            XCTAssertEqual(
                "\(error)",
                "stdin (s16le, 16000 Hz, 1 channel): malformed stream: it ended with 1 stray byte after 100 frames; "
                    + "s16le with 1 channel needs 2 bytes per frame")
        }
    }

    func testStopEndsAReadThatWaitsForData() throws {
        let pipe = Pipe()  // nothing is ever written; the write end stays open
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .s16le, sampleRate: 16000)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { source.stop() }
        var buffer = [Float](repeating: 0, count: 16)
        XCTAssertEqual(try source.read(into: &buffer), 0)
        _ = pipe
    }

    func testAClosedDescriptorIsAReadError() throws {
        let pipe = Pipe()
        let fd = dup(pipe.fileHandleForReading.fileDescriptor)
        close(fd)
        let source = try PCMStreamSource(fileDescriptor: fd, format: .s16le, sampleRate: 16000, name: "input")
        XCTAssertThrowsError(try source.readAll()) { error in
            XCTAssertTrue("\(error)".hasPrefix("input (s16le, 16000 Hz, 1 channel): read failed"), "\(error)")
        }
    }

    func testRejectsImpossibleRatesAndChannelCounts() {
        XCTAssertThrowsError(try PCMStreamSource(format: .s16le, sampleRate: 0))
        XCTAssertThrowsError(try PCMStreamSource(format: .s16le, sampleRate: 16000, channels: 0))
    }
}

final class FileReplaySourceTests: XCTestCase {
    func testFastReplayReturnsTheWholeSignal() throws {
        let signal = testSignal(4321)
        let source = try FileReplaySource(samples: signal, sampleRate: 16000, speed: 0)
        XCTAssertEqual(try source.readAll(chunk: 1000), signal)
    }

    func testRealTimeReplayWaitsForEachChunk() throws {
        let clock = FakeClock()
        let source = try FileReplaySource(samples: testSignal(16000), sampleRate: 16000, speed: 1, clock: clock)
        let start = clock.now()
        var buffer = [Float](repeating: 0, count: 4000)
        let first = try source.read(into: &buffer)
        XCTAssertEqual(first, 160, "10 ms chunks at 16 kHz")
        XCTAssertEqual(clock.now() - start, 0.01, accuracy: 1e-9, "returned when the chunk's last sample would arrive")
        XCTAssertEqual(try source.readAll(chunk: 4000).count, 16000 - 160)
        XCTAssertEqual(clock.now() - start, 1, accuracy: 1e-9, "one second of audio takes one second")
        XCTAssertTrue(clock.sleeps.allSatisfy { $0 <= 0.05 }, "sleeps in short slices so stop() is noticed")
    }

    func testDoubleSpeedTakesHalfTheTime() throws {
        let clock = FakeClock()
        let source = try FileReplaySource(samples: testSignal(8000), sampleRate: 8000, speed: 2, clock: clock)
        let start = clock.now()
        XCTAssertEqual(try source.readAll().count, 8000)
        XCTAssertEqual(clock.now() - start, 0.5, accuracy: 1e-9)
    }

    func testDecodesAFileToMono() throws {
        let dir = TemporaryDirectory()
        let left = testSignal(3000, rate: 8000)
        let right = left.map { $0 / 4 }
        try SoundFile.write(
            zip(left, right).flatMap { [$0, $1] }, channels: 2, sampleRate: 8000, to: dir.path("a.wav"),
            format: .wavFloat)
        let source = try FileReplaySource(path: dir.path("a.wav"), speed: 0)
        XCTAssertEqual(source.sampleRate, 8000)
        assertAllClose(try source.readAll(), zip(left, right).map { ($0 + $1) / 2 }, absolute: 1e-7)
        XCTAssertThrowsError(try FileReplaySource(path: dir.path("missing.wav")))
        XCTAssertThrowsError(try FileReplaySource(samples: [], sampleRate: 8000, speed: -1))
    }
}
