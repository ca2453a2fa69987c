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
