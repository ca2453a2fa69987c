import Foundation
import Stopping

/// Settings of a live run.
public struct LiveConfiguration: Equatable, Sendable {
    /// Window length in seconds.
    public var windowSeconds: Double
    /// Seconds between the starts of consecutive windows.
    public var hopSeconds: Double
    public var gate: EnergyGate
    public var smoothing: SmoothingMethod
    /// Largest number of samples requested from the source per read.
    public var readChunk: Int

    public init(
        windowSeconds: Double = 3, hopSeconds: Double = 0.5, gate: EnergyGate = EnergyGate(thresholdDBFS: -50),
        smoothing: SmoothingMethod = .ema(alpha: 0.5), readChunk: Int = 4096
    ) {
        self.windowSeconds = windowSeconds
        self.hopSeconds = hopSeconds
        self.gate = gate
        self.smoothing = smoothing
        self.readChunk = readChunk
    }
}

/// What the driver reports for one window.
public struct WindowResult: Equatable, Sendable {
    /// 0, 1, 2, … in stream order.
    public var index: Int
    /// First and one-past-last sample of the window, at the source's rate.
    public var startSample: Int
    public var endSample: Int
    /// The same in seconds of stream time.
    public var start: Double
    public var end: Double
    /// RMS level of the window (at the source rate), dBFS.
    public var levelDBFS: Float
    /// Below the energy gate: not classified, no label.
    public var isSilent: Bool
    /// The classifier's probabilities (nil for silence).
    public var probabilities: [Float]?
    /// Arg-max class of this window and its probability (nil for silence).
    public var label: Int?
    public var probability: Float?
    /// Smoothed label across hops and its smoothed probability (nil until a window has been classified).
    public var smoothedLabel: Int?
    public var smoothedProbability: Float?
    /// Seconds from the arrival of the window's last sample to the moment the result was handed out:
    /// resampling, classification and smoothing, plus any time the sample waited in the source's buffer
    /// (``AudioSource/bufferedSamples``) because earlier windows were still being classified.
    public var latency: Double
}

/// How a run ended, with counts and latency statistics (the hook for `ser bench listen`).
public struct LiveSummary: Equatable, Sendable {
    public var windows: Int
    public var silentWindows: Int
    public var classifiedWindows: Int
    /// Samples read from the source.
    public var samples: Int
    /// Stream time read, in seconds.
    public var streamSeconds: Double
    /// True when ``LiveDriver/stop()`` ended the run (Ctrl-C), false at the end of the stream.
    public var interrupted: Bool
    /// Latencies of classified windows only (silent windows cost almost nothing).
    public var latency: LatencyStats
    /// Per-window latencies of classified windows, in seconds, in order.
    public var latencies: [Double]
}

/// Reads a source, cuts it into overlapping windows, gates, resamples, classifies and smooths them.
///
/// Window `k` covers source samples `[k·hop, k·hop + window)` (see ``WindowSchedule``); it is handled as
/// soon as its last sample has been read, exactly once; a final partial window is dropped. Reads never
/// go past the end of the next window, so a ring buffer of one window suffices whatever the read sizes.
/// Memory O(window); work per hop O(window) plus the classifier.
public final class LiveDriver {
    public let source: AudioSource
    public let classifier: WindowClassifier
    public let configuration: LiveConfiguration
    public let schedule: WindowSchedule
    private let resampler: WindowResampler?
    private let clock: LiveClock
    private let stopFlag = StopFlag()

    /// - Throws: ``LiveError/resamplingUnavailable(from:to:)`` when the rates differ and `resampler` is nil;
    ///   ``LiveError/invalidConfiguration(_:)`` for bad window/hop values or a classifier without classes.
    public init(
        source: AudioSource, classifier: WindowClassifier, configuration: LiveConfiguration = LiveConfiguration(),
        resampler: WindowResampler? = nil, clock: LiveClock = SystemClock()
    ) throws {
        guard !classifier.classNames.isEmpty else {
            throw LiveError.invalidConfiguration("the model has no classes")
        }
        if source.sampleRate != classifier.sampleRate && resampler == nil {
            throw LiveError.resamplingUnavailable(from: source.sampleRate, to: classifier.sampleRate)
        }
        guard configuration.readChunk > 0 else {
            throw LiveError.invalidConfiguration("readChunk must be positive, got \(configuration.readChunk)")
        }
        self.schedule = try WindowSchedule(
            windowSeconds: configuration.windowSeconds, hopSeconds: configuration.hopSeconds,
            sampleRate: source.sampleRate)
        self.source = source
        self.classifier = classifier
        self.configuration = configuration
        self.resampler = resampler
        self.clock = clock
    }

    /// Ends ``run(_:)`` soon (the source's read returns within ~100 ms). Thread-safe; for SIGINT handlers.
    public func stop() {
        stopFlag.request()
        source.stop()
    }

    /// Runs until the source ends or ``stop()`` is called, calling `handle` on the reading thread for every
    /// window in order, then closes the source.
    /// - Throws: the source's ``LiveError``, ``LiveError/classifierFailed(_:)``, or whatever `handle` throws.
    public func run(_ handle: (WindowResult) throws -> Void) throws -> LiveSummary {
        defer { source.close() }
        let rate = Double(source.sampleRate)
        var ring = RingBuffer(capacity: schedule.length)
        var chunk = [Float](repeating: 0, count: configuration.readChunk)
        var window = [Float](repeating: 0, count: schedule.length)
        var smoother = LabelSmoother(method: configuration.smoothing, classCount: classifier.classNames.count)
        var smoothed: (label: Int, probability: Float)? = nil
        var total = 0
        var next = 0
        var silent = 0
        var latencies: [Double] = []

        while !stopFlag.isRequested {
            let want = min(chunk.count, schedule.end(next) - total)
            let n = try source.read(into: &chunk, range: 0..<want)
            if n == 0 { break }
            // When the window's last sample arrived: now, less the time it waited behind later samples.
            let arrival = clock.now() - Double(source.bufferedSamples) / rate
            chunk.withUnsafeBufferPointer { ring.append(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            total += n
            guard total == schedule.end(next) else { continue }

            window.withUnsafeMutableBufferPointer { ring.copyLatest(schedule.length, into: $0) }
            let level = EnergyGate.levelDBFS(window)
            var result = WindowResult(
                index: next, startSample: schedule.start(next), endSample: schedule.end(next),
                start: Double(schedule.start(next)) / rate, end: Double(schedule.end(next)) / rate, levelDBFS: level,
                isSilent: configuration.gate.isSilent(levelDBFS: level), probabilities: nil, label: nil,
                probability: nil,
                smoothedLabel: smoothed?.label, smoothedProbability: smoothed?.probability, latency: 0)
            if result.isSilent {
                silent += 1
            } else {
                let probabilities = try classify(window)
                let label = argmax(probabilities)
                smoothed = smoother.update(probabilities)
                result.probabilities = probabilities
                result.label = label
                result.probability = probabilities[label]
                result.smoothedLabel = smoothed?.label
                result.smoothedProbability = smoothed?.probability
            }
            result.latency = clock.now() - arrival
            if !result.isSilent { latencies.append(result.latency) }
            try handle(result)
            next += 1
        }
        return LiveSummary(
            windows: next, silentWindows: silent, classifiedWindows: next - silent, samples: total,
            streamSeconds: Double(total) / rate, interrupted: stopFlag.isRequested, latency: LatencyStats(latencies),
            latencies: latencies)
    }

    /// Resamples (when needed) and classifies one window, checking the classifier's answer.
    private func classify(_ window: [Float]) throws -> [Float] {
        var input = window
        if source.sampleRate != classifier.sampleRate, let resampler {
            input = try resampler.resample(window, from: source.sampleRate, to: classifier.sampleRate)
        }
        let probabilities: [Float]
        do {
            probabilities = try classifier.classify(input)
        } catch let error as LiveError {
            throw error
        } catch {
            throw LiveError.classifierFailed("\(error)")
        }
        let classes = classifier.classNames.count
        guard probabilities.count == classes else {
            throw LiveError.classifierFailed("returned \(probabilities.count) probabilities for \(classes) classes")
        }
        guard probabilities.allSatisfy(\.isFinite) else {
            throw LiveError.classifierFailed("returned a non-finite probability: \(probabilities)")
        }
        return probabilities
    }
}
