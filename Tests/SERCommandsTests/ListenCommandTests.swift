import Foundation
import Live
import SndFile
import TestSupport
import XCTest

@testable import SERCommands

/// A classifier for command tests: probabilities from the window's mean and its first sample.
private struct MeanClassifier: WindowClassifier {
    let sampleRate = 16000
    let classNames = ["neutral", "happy"]

    static func probabilities(_ samples: [Float]) -> [Float] {
        let mean = samples.reduce(0, +) / Float(samples.count)
        let a = exp(8 * mean)
        let b = exp(2 * samples[0])
        return [a / (a + b), b / (a + b)]
    }

    func classify(_ samples: [Float]) throws -> [Float] { Self.probabilities(samples) }
}

/// Lines written from any thread.
private final class LockedSink: LineSink {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    func write(_ line: String) throws {
        lock.lock()
        stored.append(line)
        lock.unlock()
    }
}

final class ListenCommandTests: XCTestCase {
    private var savedLoad: ((String) throws -> WindowClassifier)!
    private var savedResampler: (() -> WindowResampler?)!

    override func setUp() {
        savedLoad = ClassifierFactory.load
        savedResampler = ClassifierFactory.resampler
        signal(SIGPIPE, SIG_IGN)
    }

    override func tearDown() {
        ClassifierFactory.load = savedLoad
        ClassifierFactory.resampler = savedResampler
    }

    private func useFakeModel() { ClassifierFactory.load = { _ in MeanClassifier() } }

    private func wave(_ n: Int) -> [Float] {
        (0..<n).map { i in 0.3 * Float(sin(Double(i) * 0.01)) + 0.2 * Float((i / 4000) % 2) }
    }

    func testAFileThatIsNotAModelIsRefusedAtLoadingTimeNamingIt() throws {
        let dir = TemporaryDirectory()
        let model = dir.path("model.safetensors")
        XCTAssertTrue(FileManager.default.createFile(atPath: model, contents: Data()))
        let command = try Listen.parse([model, "--stdin", "--rate", "16000"])
        XCTAssertThrowsError(try command.run(output: MemorySink())) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(model): not a safetensors file"), "\(error)")
        }
        XCTAssertThrowsError(
            try Listen.parse([dir.path("none"), "--stdin", "--rate", "16000"]).run(output: MemorySink())
        ) {
            XCTAssertEqual("\($0)", "\(dir.path("none")): no such model file")
        }
    }

    func testValidation() {
        for arguments in [
            ["m", "--stdin"],  // no rate
            ["m", "--stdin", "--rate", "16000", "--file", "a.wav"],
            ["m", "--device", "1", "--stdin", "--rate", "16000"],
            ["m", "--file", "a.wav", "--rate", "16000"],
            ["m", "--format", "f32le"],  // PCM options without --stdin
            ["m", "--stdin", "--rate", "16000", "--format", "u8"],
            ["m", "--stdin", "--rate", "16000", "--channels", "0"],
            ["m", "--window", "3 s"],
            ["m", "--hop", "0"],
            ["m", "--gate", "+3"],
            ["m", "--smoothing", "mean"],
            ["m", "--speed", "2"],  // --speed without --file
        ] {
            XCTAssertThrowsError(try Listen.parse(arguments), "\(arguments)")
        }
        XCTAssertNoThrow(
            try Listen.parse(["m", "--gate", "-45", "--window", "2500ms", "--hop", "0.25s", "--device", "USB"]))
    }

    func testReplaysAFileAndPrintsOneJSONObjectPerWindow() throws {
        useFakeModel()
        let dir = TemporaryDirectory()
        let samples = wave(16000)
        try SoundFile.write(samples, sampleRate: 16000, to: dir.path("a.wav"), format: .wavFloat)
        let sink = MemorySink()
        // Batch-1 inference splits each product over one lane per core.
        try assertSwitchesToOneLanePerCore { observe in
            try Listen.parse([
                "m", "--file", dir.path("a.wav"), "--speed", "0", "--window", "0.5s", "--hop", "0.25s", "--json",
            ])
            .run(output: ObservingSink(sink, observe: observe))
        }
        // The header, windows ending at 8000, 12000, 16000, then the summary.
        XCTAssertEqual(sink.lines.count, 5, sink.lines.joined(separator: "\n"))
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sink.lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(header["type"] as? String, "header")
        XCTAssertEqual(header["classes"] as? [String], ["neutral", "happy"])
        XCTAssertEqual(header["window_seconds"] as? Double, 0.5)
        for (k, line) in sink.lines.dropFirst().prefix(3).enumerated() {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["index"] as? Int, k)
            XCTAssertEqual(object["start"] as? Double ?? -1, Double(k) * 0.25, accuracy: 1e-9)
            let expected = MeanClassifier.probabilities(Array(samples[(k * 4000)..<(k * 4000 + 8000)]))
            let probabilities = try XCTUnwrap(object["probabilities"] as? [String: Double])
            XCTAssertEqual(probabilities["happy"] ?? -1, Double(expected[1]), accuracy: 1e-6)
            XCTAssertEqual(object["label"] as? String, expected[1] > expected[0] ? "happy" : "neutral")
        }
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sink.lines[4].utf8)) as? [String: Any])
        XCTAssertEqual(summary["type"] as? String, "summary")
        XCTAssertEqual(summary["windows"] as? Int, 3)
        XCTAssertEqual(summary["interrupted"] as? Bool, false)
    }

    func testReadsRawPCMFromStandardInput() throws {
        useFakeModel()
        let samples = wave(12000)
        var encoded = Data()
        for s in samples {
            withUnsafeBytes(of: Int16((s * 32767).rounded()).littleEndian) { encoded.append(contentsOf: $0) }
        }
        let bytes = encoded
        let pipe = Pipe()
        let saved = dup(STDIN_FILENO)
        dup2(pipe.fileHandleForReading.fileDescriptor, STDIN_FILENO)
        defer {
            dup2(saved, STDIN_FILENO)
            close(saved)
        }
        Thread.detachNewThread {
            try? pipe.fileHandleForWriting.write(contentsOf: bytes)
            try? pipe.fileHandleForWriting.close()
        }
        let sink = MemorySink()
        try Listen.parse(["m", "--stdin", "--rate", "16000", "--window", "0.5s", "--hop", "0.25s", "--gate", "off"])
            .run(output: sink)
        // The header, windows ending at 8000 and 12000, then the summary.
        XCTAssertEqual(sink.lines.count, 4, sink.lines.joined(separator: "\n"))
        XCTAssertTrue(sink.lines[1].hasPrefix("   0.50s  "), sink.lines[1])
        XCTAssertTrue(
            sink.lines[3].hasPrefix("end of stream after 0.75 s of stdin (s16le, 16000 Hz, 1 channel)"), sink.lines[2])
    }

    func testRatesOtherThanTheModelsAreResampled() throws {
        useFakeModel()
        let dir = TemporaryDirectory()
        try SoundFile.write(wave(8000), sampleRate: 8000, to: dir.path("a.wav"), format: .wavFloat)
        let sink = MemorySink()
        try Listen.parse(["m", "--file", dir.path("a.wav"), "--speed", "0", "--window", "0.5s", "--hop", "0.25s"])
            .run(output: sink)
        XCTAssertEqual(sink.lines.count, 1 + 3 + 1, sink.lines.joined(separator: "\n"))
        // Without a resampler the mismatch is reported clearly.
        ClassifierFactory.resampler = { nil }
        XCTAssertThrowsError(
            try Listen.parse(["m", "--file", dir.path("a.wav"), "--speed", "0"]).run(output: MemorySink())
        ) {
            XCTAssertTrue("\($0)".contains("the audio is at 8000 Hz but the model expects 16000 Hz"), "\($0)")
        }
    }

    /// Issue #24: the window defaults to the clip duration the model was trained on, and a header says what
    /// is listened to with what.
    func testTheWindowDefaultsToTheModelsClipAndAHeaderComesFirst() throws {
        struct ClipClassifier: WindowClassifier {
            let sampleRate = 16000
            let classNames = ["neutral", "happy"]
            let clipSeconds: Double? = 0.75
            func classify(_ samples: [Float]) throws -> [Float] { MeanClassifier.probabilities(samples) }
        }
        ClassifierFactory.load = { _ in ClipClassifier() }
        let dir = TemporaryDirectory()
        try SoundFile.write(wave(16000), sampleRate: 16000, to: dir.path("a.wav"), format: .wavFloat)
        let sink = MemorySink()
        try Listen.parse(["m.safetensors", "--file", dir.path("a.wav"), "--speed", "0", "--hop", "0.25s"])
            .run(output: sink)
        // 0.75 s windows every 0.25 s over 1 s: ending at 0.75 s and 1 s (3 s would give none).
        XCTAssertEqual(sink.lines.count, 1 + 2 + 1, sink.lines.joined(separator: "\n"))
        XCTAssertEqual(
            sink.lines[0],
            """
            model:  m.safetensors (2 classes: neutral, happy; 16000 Hz, trained on 0.75 s clips)
            window: 0.75 s (the model's clip), hop 0.25 s
            input:  \(dir.path("a.wav"))
            """)
        XCTAssertTrue(sink.lines[1].hasPrefix("   0.75s  "), sink.lines[1])
        // --window still wins.
        let chosen = MemorySink()
        try Listen.parse(["m", "--file", dir.path("a.wav"), "--speed", "0", "--window", "0.5s", "--hop", "0.25s"])
            .run(output: chosen)
        XCTAssertEqual(chosen.lines.count, 1 + 3 + 1, chosen.lines.joined(separator: "\n"))
        XCTAssertTrue(chosen.lines[0].contains("window: 0.5 s, hop 0.25 s"), chosen.lines[0])
    }

    func testInterruptStopsCleanlyAndPrintsTheSummary() throws {
        useFakeModel()
        let dir = TemporaryDirectory()
        try SoundFile.write(wave(16000 * 30), sampleRate: 16000, to: dir.path("long.wav"), format: .wavFloat)
        let sink = LockedSink()
        let command = try Listen.parse(["m", "--file", dir.path("long.wav"), "--window", "0.2s", "--hop", "0.1s"])
        let finished = expectation(description: "listen returned")
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome()
        Thread.detachNewThread {
            do { try command.run(output: sink, installSignalHandler: true) } catch { outcome.error = error }
            finished.fulfill()
        }
        // Send SIGINT once the handler is certainly installed (the first window has been printed).
        let deadline = Date().addingTimeInterval(10)
        while sink.lines.count < 2 && Date() < deadline { usleep(10_000) }
        XCTAssertGreaterThanOrEqual(sink.lines.count, 2)
        kill(getpid(), SIGINT)
        wait(for: [finished], timeout: 10)
        XCTAssertNil(outcome.error)
        XCTAssertTrue(sink.lines.last?.hasPrefix("stopped after") ?? false, sink.lines.last ?? "")
        XCTAssertLessThan(sink.lines.count, 250, "stopped long before the 30 s file ended")
    }

    func testAFailingDeviceIsAClearError() throws {
        try XCTSkipUnless(ALSATestDevice.isAvailable)
        useFakeModel()
        try ALSATestDevice.install()
        XCTAssertThrowsError(try Listen.parse(["m", "--device", ALSATestDevice.failingName]).run(output: MemorySink()))
        {
            XCTAssertTrue("\($0)".contains("'serbroken'"), "\($0)")
            XCTAssertTrue(
                "\($0)".contains("the stream stopped delivering audio (the device failed or was disconnected)"), "\($0)"
            )
        }
        XCTAssertThrowsError(try Listen.parse(["m", "--device", "no-such-mic"]).run(output: MemorySink())) {
            XCTAssertTrue("\($0)".contains("no input device name contains 'no-such-mic'"), "\($0)")
        }
    }
}

final class DevicesCommandTests: XCTestCase {
    func testListsTheTestDeviceAsTextAndJSON() throws {
        try XCTSkipUnless(ALSATestDevice.isAvailable)
        try ALSATestDevice.install()
        let text = try Devices.parse([]).output()
        XCTAssertTrue(text.hasPrefix("index  name"), text)
        XCTAssertTrue(text.contains("sertest"), text)
        XCTAssertTrue(text.contains("ALSA"), text)
        let json = try Devices.parse(["--json"]).output()
        let devices = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertTrue(devices.contains { $0["name"] as? String == "sertest" && $0["host_api"] as? String == "ALSA" })
    }

    func testNoDevicesIsAMessageNotAnError() {
        XCTAssertTrue(Devices.table([]).hasPrefix("No audio input devices found"))
    }
}

final class BenchListenTests: XCTestCase {
    func testResNetWindowClassifierGivesOneProbabilityPerClass() throws {
        let classifier = try ResNetWindowClassifier(depth: .resNet10, classCount: 5)
        XCTAssertEqual(classifier.sampleRate, 22050)
        let window = BenchListen.syntheticSpeechLike(seconds: 0.2, rate: 22050)
        let p = try classifier.classify(window)
        XCTAssertEqual(p.count, 5)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertTrue(p.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertEqual(classifier.inputShape, [1, 1, 128, 45], "0.2 s at hop 100 with centring: 4410 / 100 + 1 frames")
        XCTAssertEqual(try classifier.classify(window), p, "inference is deterministic")
    }

    func testBenchListenValidatesItsOptions() {
        XCTAssertThrowsError(try BenchListen.parse(["--depth", "19"]))
        XCTAssertThrowsError(try BenchListen.parse(["--window", "0"]))
        XCTAssertNoThrow(try BenchListen.parse(["--depth", "10", "--seconds", "1"]))
    }
}

/// Forwards lines to another sink, calling `observe` with each (to see the engine settings mid-command).
private final class ObservingSink: LineSink {
    let sink: MemorySink
    let observe: () -> Void
    init(_ sink: MemorySink, observe: @escaping () -> Void) {
        self.sink = sink
        self.observe = observe
    }
    func write(_ line: String) throws {
        observe()
        try sink.write(line)
    }
}
