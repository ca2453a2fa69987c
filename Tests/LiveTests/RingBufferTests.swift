import XCTest

@testable import Live

final class RingBufferTests: XCTestCase {
    func testKeepsTheMostRecentSamplesAcrossWrapAround() {
        var ring = RingBuffer(capacity: 5)
        ring.append([1, 2, 3])
        XCTAssertEqual(ring.count, 3)
        XCTAssertEqual(ring.latest(3), [1, 2, 3])
        ring.append([4, 5, 6, 7])  // wraps: holds 3…7
        XCTAssertEqual(ring.count, 5)
        XCTAssertEqual(ring.totalAppended, 7)
        XCTAssertEqual(ring.latest(5), [3, 4, 5, 6, 7])
        XCTAssertEqual(ring.latest(2), [6, 7])
        ring.append([8])
        XCTAssertEqual(ring.latest(5), [4, 5, 6, 7, 8])
    }

    func testAppendLongerThanCapacityKeepsItsTail() {
        var ring = RingBuffer(capacity: 4)
        ring.append([1])
        ring.append((10..<20).map(Float.init))
        XCTAssertEqual(ring.latest(4), [16, 17, 18, 19])
        XCTAssertEqual(ring.totalAppended, 11)
    }

    func testMatchesAnArrayForManyRandomAppendSizes() {
        var ring = RingBuffer(capacity: 37)
        var reference: [Float] = []
        var generator = SystemRandomNumberGenerator()
        var next: Float = 0
        for _ in 0..<200 {
            let n = Int.random(in: 0...50, using: &generator)
            let chunk = (0..<n).map { _ -> Float in
                next += 1
                return next
            }
            ring.append(chunk)
            reference += chunk
            let k = min(ring.count, Int.random(in: 0...37, using: &generator))
            XCTAssertEqual(ring.latest(k), Array(reference.suffix(k)))
        }
    }
}

final class WindowScheduleTests: XCTestCase {
    func testWindowBoundariesInSamples() throws {
        let s = try WindowSchedule(windowSeconds: 3, hopSeconds: 0.5, sampleRate: 16000)
        XCTAssertEqual(s.length, 48000)
        XCTAssertEqual(s.hop, 8000)
        XCTAssertEqual((0..<4).map(s.start), [0, 8000, 16000, 24000])
        XCTAssertEqual((0..<4).map(s.end), [48000, 56000, 64000, 72000])
    }

    func testCompleteWindowCounts() throws {
        let s = try WindowSchedule(length: 10, hop: 4)
        XCTAssertEqual(s.completeWindows(after: 9), 0)
        XCTAssertEqual(s.completeWindows(after: 10), 1)
        XCTAssertEqual(s.completeWindows(after: 13), 1)
        XCTAssertEqual(s.completeWindows(after: 14), 2)
        XCTAssertEqual(s.completeWindows(after: 30), 6)
    }

    func testRoundsToWholeSamplesAndRejectsEmptyWindows() throws {
        let s = try WindowSchedule(windowSeconds: 0.0301, hopSeconds: 0.01, sampleRate: 1000)
        XCTAssertEqual(s.length, 30)
        XCTAssertEqual(s.hop, 10)
        XCTAssertThrowsError(try WindowSchedule(windowSeconds: 0.0001, hopSeconds: 0.01, sampleRate: 1000))
        XCTAssertThrowsError(try WindowSchedule(windowSeconds: 1, hopSeconds: -1, sampleRate: 1000))
    }

    func testParsesDurations() {
        XCTAssertEqual(parseSeconds("3"), 3)
        XCTAssertEqual(parseSeconds("3s"), 3)
        XCTAssertEqual(parseSeconds("0.5s"), 0.5)
        XCTAssertEqual(parseSeconds("250ms"), 0.25)
        XCTAssertNil(parseSeconds("0s"))
        XCTAssertNil(parseSeconds("-1s"))
        XCTAssertNil(parseSeconds("three"))
        XCTAssertNil(parseSeconds("3 min"))
    }
}
