/// A mono signal and its sample rate, as returned by ``AudioLoader/load(_:sampleRate:offset:duration:)``.
public struct AudioBuffer: Sendable, Equatable {
    /// Mono samples, nominally in [-1, 1].
    public var samples: [Float]
    /// Samples per second.
    public var sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }
}

extension AudioBuffer {
    /// This buffer without its leading and trailing silence, and the kept `[start, end)` sample range.
    /// See ``trimSilence(_:topDB:frameLength:hopLength:)`` for the rule (librosa's `effects.trim`).
    public func trimmingSilence(
        topDB: Float = 60, frameLength: Int = 2048, hopLength: Int = 512
    ) -> (buffer: AudioBuffer, range: Range<Int>) {
        let (kept, range) = trimSilence(samples, topDB: topDB, frameLength: frameLength, hopLength: hopLength)
        return (AudioBuffer(samples: kept, sampleRate: sampleRate), range)
    }
}
