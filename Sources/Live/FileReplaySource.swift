import Audio
import Foundation
import Stopping

/// An audio file decoded up front (libsndfile through ``AudioLoader``), averaged to mono, and handed out as if it were being
/// captured: with `speed` 1 each chunk of 10 ms is returned when its last sample would have arrived from
/// a microphone; `speed` 2 replays twice as fast; `speed` 0 returns samples as fast as they are read.
///
/// The file plays at its own sample rate; the driver resamples windows for the model when it differs.
public final class FileReplaySource: AudioSource {
    public let sampleRate: Int
    public let name: String
    /// The whole decoded mono signal.
    public let samples: [Float]
    public let speed: Double
    private var position = 0
    private var startTime: Double?
    private let clock: LiveClock
    private let stopFlag = StopFlag()

    /// Decodes `path` with ``AudioLoader`` at its native rate (channels averaged, as `ser predict` loads files).
    /// - Throws: ``LiveError/invalidConfiguration(_:)`` for a negative speed; `AudioError` naming the file
    ///   when it cannot be decoded.
    public convenience init(path: String, speed: Double = 1, clock: LiveClock = SystemClock()) throws {
        let audio = try AudioLoader.load(path, sampleRate: nil)
        try self.init(samples: audio.samples, sampleRate: audio.sampleRate, name: path, speed: speed, clock: clock)
    }

    /// Replays `samples` (mono, at `sampleRate` Hz).
    public init(
        samples: [Float], sampleRate: Int, name: String = "samples", speed: Double = 1, clock: LiveClock = SystemClock()
    )
        throws
    {
        guard speed.isFinite, speed >= 0 else {
            throw LiveError.invalidConfiguration("--speed must be 0 (as fast as possible) or positive, got \(speed)")
        }
        self.samples = samples
        self.sampleRate = sampleRate
        self.name = name
        self.speed = speed
        self.clock = clock
    }

    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard !stopFlag.isRequested, position < samples.count, buffer.count > 0 else { return 0 }
        var n = min(buffer.count, samples.count - position)
        if speed > 0 {
            n = min(n, max(1, sampleRate / 100))
            let start = startTime ?? clock.now()
            startTime = start
            // Wait until the chunk's last sample would have arrived, in slices so stop() is noticed.
            let due = start + Double(position + n) / (Double(sampleRate) * speed)
            while case let wait = due - clock.now(), wait > 0 {
                if stopFlag.isRequested { return 0 }
                clock.sleep(min(wait, 0.05))
            }
        }
        samples.withUnsafeBufferPointer { buffer.baseAddress!.update(from: $0.baseAddress! + position, count: n) }
        position += n
        return n
    }

    public func stop() { stopFlag.request() }
    public func close() {}
}
