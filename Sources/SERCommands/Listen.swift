import ArgumentParser
import Dispatch
import Foundation
import Live
import PortAudio

/// `ser listen`: classify live audio window by window.
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Classify the emotion in live audio (an input device, raw PCM on standard input, or a replayed file) window by window."
    )

    @Argument(help: "The exported model file.")
    var model: String

    @Option(help: "Input device: an index or a name substring from `ser devices` (default: the default input).")
    var device: String?

    @Option(help: "Window length, e.g. 3s or 2500ms (default: the clip duration the model was trained on).")
    var window: String?

    @Option(help: "Time between consecutive windows, e.g. 0.5s.")
    var hop = "0.5s"

    @Flag(help: "Read raw PCM from standard input instead of a device (needs --rate).")
    var stdin = false

    @Option(help: "Sample rate in Hz of --stdin PCM; for a device, the capture rate (default: the model's rate).")
    var rate: Int?

    @Option(help: "Sample encoding of --stdin PCM: s16le or f32le.")
    var format = "s16le"

    @Option(help: "Interleaved channels in --stdin PCM (averaged to mono).")
    var channels = 1

    @Option(help: "Replay an audio file in real time instead of capturing.")
    var file: String?

    @Option(help: "Replay speed for --file: 1 is real time, 2 twice as fast, 0 as fast as possible.")
    var speed = 1.0

    @Option(
        parsing: .unconditional,
        help:
            "Energy gate: windows below this RMS level in dBFS are reported as silence and not classified ('off' disables)."
    )
    var gate = "-50"

    @Option(help: "Smoothing across hops: ema:ALPHA, majority:K or none.")
    var smoothing = "ema:0.5"

    @Flag(help: "Print one JSON object per line.")
    var json = false

    func validate() throws {
        do {
            _ = try settings()
        } catch let error as LiveError {
            throw ValidationError(error.description)
        }
        if stdin && file != nil { throw ValidationError("--stdin and --file are alternatives; give one.") }
        if device != nil && (stdin || file != nil) {
            throw ValidationError("--device selects a capture device; it cannot be combined with --stdin or --file.")
        }
        if stdin && rate == nil {
            throw ValidationError("--stdin needs --rate: raw PCM does not say its sample rate (e.g. --rate 16000).")
        }
        if !stdin && (format != "s16le" || channels != 1) {
            throw ValidationError("--format and --channels describe --stdin PCM; add --stdin or drop them.")
        }
        if file != nil && rate != nil {
            throw ValidationError("--rate does not apply to --file: the file is replayed at its own rate.")
        }
        if file == nil && speed != 1 { throw ValidationError("--speed applies to --file only.") }
        if let rate, !(1000...768_000).contains(rate) {
            throw ValidationError("--rate must be between 1000 and 768000 Hz, got \(rate).")
        }
        if !(1...64).contains(channels) {
            throw ValidationError("--channels must be between 1 and 64, got \(channels).")
        }
        if !speed.isFinite || speed < 0 { throw ValidationError("--speed must be 0 or positive, got \(speed).") }
    }

    /// The window when `--window` is absent and the model does not say its clip duration.
    static let fallbackWindowSeconds = 3.0

    /// The parsed window/hop/gate/smoothing options; without `--window`, the window is `clipSeconds` (the
    /// duration the model was trained on).
    func settings(clipSeconds: Double? = nil) throws -> LiveConfiguration {
        var windowSeconds = clipSeconds ?? Self.fallbackWindowSeconds
        if let window {
            guard let seconds = parseSeconds(window) else {
                throw LiveError.invalidConfiguration(
                    "--window must be a positive duration such as 3s or 2500ms, got '\(window)'")
            }
            windowSeconds = seconds
        }
        guard let hopSeconds = parseSeconds(hop) else {
            throw LiveError.invalidConfiguration(
                "--hop must be a positive duration such as 0.5s or 250ms, got '\(hop)'")
        }
        guard windowSeconds <= 60 else {
            throw LiveError.invalidConfiguration("--window must be at most 60 s, got \(window ?? "\(windowSeconds) s")")
        }
        _ = try PCMFormat(parsing: format)
        return LiveConfiguration(
            windowSeconds: windowSeconds, hopSeconds: hopSeconds, gate: try EnergyGate(parsing: gate),
            smoothing: try SmoothingMethod(parsing: smoothing))
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        do {
            try run(output: StandardOutputSink(), installSignalHandler: true)
        } catch LiveError.outputClosed {
            // The reader has gone (`ser listen … | head -3`): the source is closed; end quietly, as every
            // listing does (see ClosedOutput).
        }
    }

    /// Loads the model, opens the source and prints a line per window and a summary to `output`.
    func run(output: LineSink, installSignalHandler: Bool = false) throws {
        // Batch-1 inference splits each product over one lane per core (single-threaded BLAS).
        try EngineSetup.oneLanePerCore { try listen(output: output, installSignalHandler: installSignalHandler) }
    }

    private func listen(output: LineSink, installSignalHandler: Bool) throws {
        let classifier = try ClassifierFactory.load(model)
        let source = try openSource(modelRate: classifier.sampleRate)
        let driver: LiveDriver
        let configuration: LiveConfiguration
        do {
            configuration = try settings(clipSeconds: classifier.clipSeconds)
            driver = try LiveDriver(
                source: source, classifier: classifier, configuration: configuration,
                resampler: ClassifierFactory.resampler())
        } catch {
            source.close()
            throw error
        }
        var interrupt: DispatchSourceSignal? = nil
        if installSignalHandler {
            // Ctrl-C stops the stream cleanly (the summary is still printed); a second Ctrl-C exits at once.
            signal(SIGINT, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            var count = 0
            signalSource.setEventHandler {
                count += 1
                if count > 1 { Foundation.exit(130) }
                driver.stop()
            }
            signalSource.resume()
            interrupt = signalSource
        }
        defer {
            interrupt?.cancel()
            if installSignalHandler { signal(SIGINT, SIG_DFL) }
        }
        let formatter = LiveFormatter(classNames: classifier.classNames, json: json)
        try output.write(
            formatter.header(
                LiveHeader(
                    model: model, classNames: classifier.classNames, sampleRate: classifier.sampleRate,
                    clipSeconds: classifier.clipSeconds, windowSeconds: configuration.windowSeconds,
                    windowIsModelClip: window == nil && classifier.clipSeconds != nil,
                    hopSeconds: configuration.hopSeconds, input: source.name)))
        let summary = try driver.run { try output.write(formatter.line($0)) }
        try output.write(formatter.summary(summary, source: source.name))
    }

    /// The source the options select.
    func openSource(modelRate: Int) throws -> AudioSource {
        if stdin {
            return try PCMStreamSource(
                fileDescriptor: STDIN_FILENO, format: try PCMFormat(parsing: format), sampleRate: rate!,
                channels: channels)
        }
        if let file {
            return try FileReplaySource(path: file, speed: speed)
        }
        return try DeviceSource(
            device.map(DeviceSelector.init(parsing:)) ?? .defaultInput, sampleRate: rate ?? modelRate)
    }
}

/// Why `ser listen` could not get a classifier.
enum ListenError: Error, CustomStringConvertible, Equatable {
    case modelMissing(String)

    var description: String {
        switch self {
        case .modelMissing(let path): return "\(path): no such model file"
        }
    }
}

/// The single place where a model file becomes a ``WindowClassifier`` (and where the window resampler
/// comes from). Tests replace ``load`` with a fake.
enum ClassifierFactory {
    /// Turns a model path (a file from `ser export` or a run's `model.safetensors`) into a classifier.
    static var load: (String) throws -> WindowClassifier = { path in
        guard FileManager.default.fileExists(atPath: path) else { throw ListenError.modelMissing(path) }
        return try BundleClassifier(path: path)
    }

    /// Converts windows to the model's rate when the source's differs, exactly as the file loader does.
    static var resampler: () -> WindowResampler? = { LoaderMatchingResampler() }
}
