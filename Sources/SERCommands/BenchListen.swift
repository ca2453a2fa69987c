import ArgumentParser
import BLAS
import Features
import Foundation
import Live
import NeuralNet
import SeededRandom

/// `ser bench listen`: latency of live windows through log-mel features and a ResNet.
///
/// The ResNet has seeded random weights: the work per window (features, convolutions, classifier) is the
/// same as a trained model's of the same depth and input. For a model file, `ser listen MODEL --file F`
/// prints the same latency summary.
struct BenchListen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract:
            "Time live windows from their last sample to their label (log-mel + a ResNet with seeded random weights)."
    )

    @Option(help: "Replay this audio file (default: a synthetic signal).")
    var file: String?

    @Option(help: "Length of the synthetic signal in seconds.")
    var seconds = 20.0

    @Option(help: "Sample rate of the synthetic signal in Hz (windows are resampled to 22050 Hz when it differs).")
    var rate = 22050

    @Option(help: "ResNet depth: 10, 18, 34 or 50.")
    var depth = 18

    @Option(help: "Window length, e.g. 3s.")
    var window = "3s"

    @Option(help: "Time between windows, e.g. 0.5s.")
    var hop = "0.5s"

    @Option(help: "Replay speed: 1 is real time, 0 as fast as possible.")
    var speed = 0.0

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard ResNet.Depth(rawValue: depth) != nil else {
            throw ValidationError("--depth must be 10, 18, 34 or 50, got \(depth).")
        }
        guard parseSeconds(window) != nil, parseSeconds(hop) != nil else {
            throw ValidationError("--window and --hop must be positive durations such as 3s or 500ms.")
        }
        guard seconds > 0, seconds <= 3600 else {
            throw ValidationError("--seconds must be in (0, 3600], got \(seconds).")
        }
        guard (1000...768_000).contains(rate) else {
            throw ValidationError("--rate must be between 1000 and 768000 Hz.")
        }
        guard speed >= 0, speed.isFinite else { throw ValidationError("--speed must be 0 or positive.") }
    }

    func run() throws {
        let m = try measure()
        if json {
            let object: [String: Any] = [
                "depth": depth, "windows": m.latency.count, "mean_ms": m.latency.mean * 1000,
                "median_ms": m.latency.median * 1000, "p95_ms": m.latency.p95 * 1000, "max_ms": m.latency.max * 1000,
                "input_shape": m.inputShape, "source": m.source, "source_rate": m.sourceRate,
                "features_mean_ms": m.featuresMeanMs, "model_mean_ms": m.modelMeanMs, "lanes": m.engine.threads,
                "blas_threads": m.engine.blasThreads, "blas_core": m.blasCore,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let s = m.latency
        print(
            "ser \(SER.version): ResNet-\(depth) (random weights) on \(m.inputShape) log-mel windows, \(s.count) windows of \(window) every \(hop) from \(m.source) at \(m.sourceRate) Hz"
        )
        print(
            String(
                format: "latency  mean %.1f ms  median %.1f ms  p95 %.1f ms  max %.1f ms", s.mean * 1000,
                s.median * 1000,
                s.p95 * 1000, s.max * 1000))
        print(String(format: "of which log-mel %.1f ms, ResNet %.1f ms (means)", m.featuresMeanMs, m.modelMeanMs))
        print("engine   \(m.engine.threads) lanes, OpenBLAS \(m.blasCore) with \(m.engine.blasThreads) thread(s)")
    }

    /// What one benchmark measured, with the engine settings and BLAS kernel it ran with.
    struct Measurement {
        var latency: LatencyStats
        var inputShape: [Int]
        var source: String
        var sourceRate: Int
        var featuresMeanMs: Double
        var modelMeanMs: Double
        var engine: Engine.Settings
        var blasCore: String
    }

    /// Replays the source through the classifier as `ser listen` would: batch-1 inference splits each
    /// product over one lane per core.
    func measure() throws -> Measurement {
        try EngineSetup.oneLanePerCore { try replay() }
    }

    private func replay() throws -> Measurement {
        let classifier = try ResNetWindowClassifier(depth: ResNet.Depth(rawValue: depth)!, classCount: 8)
        let source: FileReplaySource
        if let file {
            source = try FileReplaySource(path: file, speed: speed)
        } else {
            source = try FileReplaySource(
                samples: Self.syntheticSpeechLike(seconds: seconds, rate: rate), sampleRate: rate, name: "synthetic",
                speed: speed)
        }
        let configuration = LiveConfiguration(
            windowSeconds: parseSeconds(window)!, hopSeconds: parseSeconds(hop)!, gate: EnergyGate(thresholdDBFS: nil))
        // One warm-up window so FFT plans and buffers are made before timing.
        _ = try classifier.classify([Float](repeating: 0, count: Int(configuration.windowSeconds * 22050)))
        classifier.resetTimers()
        let driver = try LiveDriver(
            source: source, classifier: classifier, configuration: configuration, resampler: LoaderMatchingResampler())
        let summary = try driver.run { _ in }
        let calls = Double(max(1, classifier.calls))
        return Measurement(
            latency: summary.latency, inputShape: classifier.inputShape, source: source.name,
            sourceRate: source.sampleRate, featuresMeanMs: classifier.featureSeconds / calls * 1000,
            modelMeanMs: classifier.modelSeconds / calls * 1000, engine: Engine.settings, blasCore: BLASKernels.coreName
        )
    }

    /// Tones with a syllable-like on/off envelope plus a little noise, in [-1, 1]. Deterministic.
    static func syntheticSpeechLike(seconds: Double, rate: Int) -> [Float] {
        var rng = Xoshiro256(seed: 7)
        let n = Int(seconds * Double(rate))
        return (0..<n).map { i in
            let t = Double(i) / Double(rate)
            let envelope = 0.5 + 0.5 * sin(2 * .pi * 4 * t)
            let voice = 0.3 * sin(2 * .pi * 180 * t) + 0.15 * sin(2 * .pi * 360 * t) + 0.07 * sin(2 * .pi * 1100 * t)
            let noise = Double.random(in: -0.02...0.02, using: &rng)
            return Float(envelope * voice + noise)
        }
    }
}

/// A ``WindowClassifier`` that computes the notebook's log-mel features and runs a ResNet on them
/// (`[1, 1, nMels, frames]` → softmax over `classCount`). Used by the benchmark with seeded random
/// weights (``BundleClassifier`` is the model-file counterpart).
final class ResNetWindowClassifier: WindowClassifier {
    let sampleRate: Int
    let classNames: [String]
    private let extractor: LogMelExtractor
    private var model: ResNet
    private(set) var inputShape: [Int] = []
    /// Seconds spent in feature extraction and in the network, summed over calls.
    private(set) var featureSeconds = 0.0
    private(set) var modelSeconds = 0.0
    private(set) var calls = 0

    init(depth: ResNet.Depth, classCount: Int, parameters: FeatureParameters = .notebook, seed: UInt64 = 0) throws {
        extractor = try LogMelExtractor(parameters)
        sampleRate = parameters.sampleRate
        classNames = (0..<classCount).map { "class\($0)" }
        var rng = Xoshiro256(seed: seed)
        model = ResNet(classCount: classCount, depth: depth, using: &rng)
    }

    func resetTimers() {
        featureSeconds = 0
        modelSeconds = 0
        calls = 0
    }

    func classify(_ samples: [Float]) throws -> [Float] {
        let clock = SystemClock()
        let t0 = clock.now()
        let features = extractor.finish(extractor.features(of: samples))
        let t1 = clock.now()
        inputShape = [1, 1, features.rows, features.frames]
        let logits = model.forward(Tensor(shape: inputShape, scalars: features.values), training: false).scalars
        featureSeconds += t1 - t0
        modelSeconds += clock.now() - t1
        calls += 1
        let top = logits.max() ?? 0
        let e = logits.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
