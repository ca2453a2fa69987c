import Foundation
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
        var two = [Float](repeating: 0, count: 2)
        two.withUnsafeMutableBufferPointer { ring.copy(2, fromBack: 4, into: $0) }
        XCTAssertEqual(two, [4, 5], "two samples starting four back from the newest")
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

final class SampleFIFOTests: XCTestCase {
    func push(_ fifo: SampleFIFO, _ values: [Float]) { values.withUnsafeBufferPointer { fifo.push($0) } }
    func pop(_ fifo: SampleFIFO, _ n: Int, timeout: Double = 0) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        let got = out.withUnsafeMutableBufferPointer { fifo.pop(into: $0, timeout: timeout) }
        return Array(out[0..<got])
    }

    func testFirstInFirstOutAcrossWrapAround() {
        let fifo = SampleFIFO(capacity: 5)
        push(fifo, [1, 2, 3])
        XCTAssertEqual(pop(fifo, 2), [1, 2])
        push(fifo, [4, 5, 6, 7])
        XCTAssertEqual(pop(fifo, 10), [3, 4, 5, 6, 7])
        XCTAssertEqual(pop(fifo, 10, timeout: 0.01), [], "empty: times out")
        XCTAssertEqual(fifo.droppedSamples, 0)
    }

    func testOverflowPolicies() {
        let oldest = SampleFIFO(capacity: 4, policy: .dropOldest)
        push(oldest, [1, 2, 3])
        push(oldest, [4, 5, 6])
        XCTAssertEqual(oldest.droppedSamples, 2)
        XCTAssertEqual(pop(oldest, 10), [3, 4, 5, 6])
        push(oldest, (10..<20).map(Float.init))
        XCTAssertEqual(oldest.droppedSamples, 8)
        XCTAssertEqual(pop(oldest, 10), [16, 17, 18, 19])

        let newest = SampleFIFO(capacity: 4, policy: .dropNewest)
        push(newest, [1, 2, 3])
        push(newest, [4, 5, 6])
        XCTAssertEqual(newest.droppedSamples, 2)
        XCTAssertEqual(pop(newest, 10), [1, 2, 3, 4])
    }

    func testAConsumerThreadReceivesEverySampleInOrder() {
        let fifo = SampleFIFO(capacity: 1000)
        let total = 200_000
        Thread.detachNewThread {
            var next: Float = 0
            var chunk = [Float](repeating: 0, count: 256)
            var sent = 0
            while sent < total {
                let n = min(256, total - sent)
                for i in 0..<n {
                    chunk[i] = next
                    next += 1
                }
                // Wait for room so nothing is dropped: the test checks ordering, not overflow.
                while fifo.droppedSamples == 0 && self.queuedRoomTooSmall(fifo, n) { usleep(50) }
                chunk.withUnsafeBufferPointer { fifo.push(UnsafeBufferPointer(rebasing: $0[0..<n])) }
                sent += n
            }
            fifo.close()
        }
        var received: [Float] = []
        while true {
            let got = pop(fifo, 300, timeout: 5)
            if got.isEmpty { break }
            received += got
        }
        XCTAssertEqual(fifo.droppedSamples, 0)
        XCTAssertEqual(received.count, total)
        XCTAssertTrue(received.enumerated().allSatisfy { Float($0.offset) == $0.element })
    }

    /// Whether pushing `n` more samples would overflow (approximate: used only to pace the producer).
    func queuedRoomTooSmall(_ fifo: SampleFIFO, _ n: Int) -> Bool { fifo.queuedCount + n > fifo.capacity }

    func testCloseWakesAWaitingConsumer() {
        let fifo = SampleFIFO(capacity: 10)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { fifo.close() }
        XCTAssertEqual(pop(fifo, 5, timeout: 30), [])
    }
}
