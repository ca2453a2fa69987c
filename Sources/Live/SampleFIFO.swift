import Foundation

/// A bounded, thread-safe first-in-first-out queue of samples between a producer (PortAudio's audio
/// thread) and one consumer (the driver), so that a slow window (a 150 ms model run) does not make
/// the device overflow: capture continues into the FIFO while the consumer is busy.
///
/// The producer never blocks: when the FIFO is full, ``OverflowPolicy`` decides what is lost and
/// ``droppedSamples`` counts it. The consumer blocks in ``pop(into:timeout:)`` until samples arrive.
/// Memory: `capacity` floats, allocated once. Each push/pop is O(samples moved).
public final class SampleFIFO: @unchecked Sendable {
    public enum OverflowPolicy: Sendable {
        /// Discard the oldest queued samples to make room (live use: stay current).
        case dropOldest
        /// Discard the incoming samples (keeps the stream's beginning intact; tests).
        case dropNewest
    }

    public let capacity: Int
    public let policy: OverflowPolicy
    private var ring: RingBuffer
    private var queued = 0
    private var dropped = 0
    private var closed = false
    private let condition = NSCondition()

    public init(capacity: Int, policy: OverflowPolicy = .dropOldest) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.policy = policy
        ring = RingBuffer(capacity: capacity)
    }

    /// Samples waiting to be popped.
    public var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }

    /// Samples lost to overflow so far.
    public var droppedSamples: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// Appends `samples` (producer side; never blocks for long).
    public func push(_ samples: UnsafeBufferPointer<Float>) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, samples.count > 0 else { return }
        var input = samples
        let room = capacity - queued
        if input.count > room {
            switch policy {
            case .dropNewest:
                dropped += input.count - room
                input = UnsafeBufferPointer(rebasing: input[0..<room])
            case .dropOldest:
                // The ring keeps the newest `capacity` samples by itself; count what falls out.
                dropped += queued + input.count - capacity
            }
        }
        ring.append(input)
        queued = min(capacity, queued + input.count)
        condition.signal()
    }

    /// Moves up to `buffer.count` queued samples into `buffer`, oldest first, waiting up to `timeout`
    /// seconds for the first one. Returns 0 on timeout or when closed and empty.
    public func pop(into buffer: UnsafeMutableBufferPointer<Float>, timeout: Double) -> Int {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while queued == 0 && !closed {
            if !condition.wait(until: deadline) { break }
        }
        let n = min(queued, buffer.count)
        guard n > 0 else { return 0 }
        // The oldest queued sample is `queued` back from the newest.
        ring.copy(n, fromBack: queued, into: buffer)
        queued -= n
        return n
    }

    /// Wakes the consumer; later pushes are ignored and pops drain what is left.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
