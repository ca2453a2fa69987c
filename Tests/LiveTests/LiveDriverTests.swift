import Audio
import Foundation
import SndFile
import TestSupport
import XCTest

@testable import Live

final class LiveDriverTests: XCTestCase {
    override func setUp() { signal(SIGPIPE, SIG_IGN) }

    /// 0.25 s windows every 0.1 s at 16 kHz: 4000-sample windows, 1600-sample hops.
    let configuration = LiveConfiguration(
        windowSeconds: 0.25, hopSeconds: 0.1, gate: EnergyGate(thresholdDBFS: -50), smoothing: .ema(alpha: 0.5),
        readChunk: 700)

    func run(
        _ source: AudioSource, _ classifier: WindowClassifier, resampler: WindowResampler? = nil,
        configuration: LiveConfiguration? = nil, onWindow: (LiveDriver, WindowResult) -> Void = { _, _ in }
    )
        throws -> (results: [WindowResult], summary: LiveSummary)
    {
        let driver = try LiveDriver(
            source: source, classifier: classifier, configuration: configuration ?? self.configuration,
            resampler: resampler)
        var results: [WindowResult] = []
        let summary = try driver.run {
            results.append($0)
            onWindow(driver, $0)
        }
        return (results, summary)
    }

    func testWindowsOverAPipeAreExactSlicesOfTheStream() throws {
        let n = 16000 + 1234
        let signal = testSignal(n)
        let quantised = s16Quantised(signal)
        let pipe = pipeFeeding(pcmBytes(signal, format: .s16le), chunk: 1111)
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .s16le, sampleRate: 16000)
        let classifier = FakeClassifier(sampleRate: 16000)
        let (results, summary) = try run(source, classifier)

        // Windows end at 4000, 5600, …, ≤ 17234: (17234 − 4000) / 1600 + 1 = 9 windows.
        XCTAssertEqual(results.count, 9)
        XCTAssertEqual(results.map(\.index), Array(0..<9))
        XCTAssertEqual(results.map(\.startSample), (0..<9).map { $0 * 1600 })
        XCTAssertEqual(results.map(\.endSample), (0..<9).map { $0 * 1600 + 4000 })
        XCTAssertEqual(results[2].start, 0.2, accuracy: 1e-12)
        XCTAssertEqual(results[2].end, 0.45, accuracy: 1e-12)
        XCTAssertEqual(classifier.windows.count, 9)
        var smoother = LabelSmoother(method: .ema(alpha: 0.5), classCount: 3)
        for (k, r) in results.enumerated() {
            let expected = Array(quantised[(k * 1600)..<(k * 1600 + 4000)])
            assertSameSamples(classifier.windows[k], expected, "window \(k)")
            XCTAssertFalse(r.isSilent)
            XCTAssertEqual(r.probabilities, FakeClassifier.probabilities(expected))
            XCTAssertEqual(r.label, argmax(r.probabilities!))
            XCTAssertEqual(r.levelDBFS, EnergyGate.levelDBFS(expected))
            let smoothed = smoother.update(r.probabilities!)
            XCTAssertEqual(r.smoothedLabel, smoothed.label)
            XCTAssertEqual(r.smoothedProbability, smoothed.probability)
            XCTAssertGreaterThanOrEqual(r.latency, 0)
        }
        XCTAssertEqual(summary.windows, 9)
        XCTAssertEqual(summary.classifiedWindows, 9)
        XCTAssertEqual(summary.samples, n)
        XCTAssertFalse(summary.interrupted)
        XCTAssertEqual(summary.latencies.count, 9)
        XCTAssertEqual(summary.latency.count, 9)
    }

    /// The live prediction for a window equals the prediction for the same samples written to a file and
    /// read back (what `ser predict` does), for every window.
    func testLivePredictionsEqualPredictionsOnTheWindowWrittenToAFile() throws {
        let signal = testSignal(12000)
        let pipe = pipeFeeding(pcmBytes(signal, format: .f32le), chunk: 4096)
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .f32le, sampleRate: 16000)
        let (results, _) = try run(source, FakeClassifier(sampleRate: 16000))
        XCTAssertEqual(results.count, 6)
        let dir = TemporaryDirectory()
        for r in results {
            let path = dir.path("window-\(r.index).wav")
            try SoundFile.write(
                Array(signal[r.startSample..<r.endSample]), sampleRate: 16000, to: path, format: .wavFloat)
            let (fromFile, info) = try SoundFile.read(path)
            XCTAssertEqual(info.sampleRate, 16000)
            XCTAssertEqual(
                r.probabilities, try FakeClassifier(sampleRate: 16000).classify(fromFile), "window \(r.index)")
        }
    }

    /// The same with resampling: a 22.05 kHz stream for a 16 kHz model. Each live window must equal what
    /// the file loader gives for that window's source samples written to a file.
    func testResampledLiveWindowsEqualTheFileLoadersOutput() throws {
        let signal = testSignal(22050, rate: 22050)
        let source = try FileReplaySource(samples: signal, sampleRate: 22050, speed: 0)
        let classifier = FakeClassifier(sampleRate: 16000)
        let (results, _) = try run(source, classifier, resampler: LoaderMatchingResampler())
        XCTAssertEqual(results.count, 8)
        let dir = TemporaryDirectory()
        for r in results {
            let path = dir.path("window-\(r.index).wav")
            try SoundFile.write(
                Array(signal[r.startSample..<r.endSample]), sampleRate: 22050, to: path, format: .wavFloat)
            let loaded = try AudioLoader.load(path, sampleRate: 16000)
            XCTAssertEqual(
                loaded.samples.count, 4001, "ceil(5513 · 16000 / 22050): 0.25 s is 5512.5 samples, rounded to 5513")
            assertSameSamples(classifier.windows[r.index], loaded.samples, "window \(r.index)")
            XCTAssertEqual(r.probabilities, try FakeClassifier(sampleRate: 16000).classify(loaded.samples))
        }
    }

    func testSilentWindowsAreSkippedAndKeepTheSmoothedLabel() throws {
        // 0.3 s of signal, 0.5 s of near silence (−80 dBFS), 0.3 s of signal.
        let loud = testSignal(4800)
        let quiet = [Float](repeating: 1e-4, count: 8000)
        let source = try FileReplaySource(samples: loud + quiet + loud, sampleRate: 16000, speed: 0)
        let classifier = FakeClassifier(sampleRate: 16000)
        let (results, summary) = try run(source, classifier)
        let silentIndices = results.filter(\.isSilent).map(\.index)
        // Window k covers [1600k, 1600k + 4000): entirely inside the quiet part [4800, 12800) for k = 3, 4, 5.
        XCTAssertEqual(silentIndices, [3, 4, 5])
        XCTAssertEqual(summary.silentWindows, 3)
        XCTAssertEqual(classifier.windows.count, results.count - 3, "silent windows are not classified")
        for k in silentIndices {
            XCTAssertNil(results[k].label)
            XCTAssertNil(results[k].probabilities)
            XCTAssertEqual(results[k].levelDBFS, -80, accuracy: 0.01)
            XCTAssertEqual(results[k].smoothedLabel, results[2].smoothedLabel, "smoothing carries over silence")
        }
        XCTAssertEqual(summary.latencies.count, results.count - 3)

        // With the gate off every window is classified.
        let ungated = LiveConfiguration(
            windowSeconds: 0.25, hopSeconds: 0.1, gate: EnergyGate(thresholdDBFS: nil), smoothing: .none)
        let again = try run(
            try FileReplaySource(samples: loud + quiet + loud, sampleRate: 16000, speed: 0),
            FakeClassifier(sampleRate: 16000),
            configuration: ungated)
        XCTAssertEqual(again.summary.silentWindows, 0)
    }

    func testAPartialFinalWindowIsDropped() throws {
        let source = try FileReplaySource(samples: testSignal(3999), sampleRate: 16000, speed: 0)
        let (results, summary) = try run(source, FakeClassifier(sampleRate: 16000))
        XCTAssertEqual(results.count, 0)
        XCTAssertEqual(summary.samples, 3999)
    }

    func testWindowsAreResampledWhenTheRatesDiffer() throws {
        struct Decimate: WindowResampler {
            func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws -> [Float] {
                precondition(inputRate == 2 * outputRate)
                return stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
            }
        }
        let signal = testSignal(16000, rate: 32000)
        let source = try FileReplaySource(samples: signal, sampleRate: 32000, speed: 0)
        let classifier = FakeClassifier(sampleRate: 16000)
        XCTAssertThrowsError(try LiveDriver(source: source, classifier: classifier)) { error in
            XCTAssertEqual(error as? LiveError, .resamplingUnavailable(from: 32000, to: 16000))
        }
        let (results, _) = try run(source, classifier, resampler: Decimate())
        // At 32 kHz: 8000-sample windows every 3200 samples.
        XCTAssertEqual(results.map(\.endSample), [8000, 11200, 14400])
        assertSameSamples(classifier.windows[1], stride(from: 3200, to: 11200, by: 2).map { signal[$0] })
    }

    func testStopEndsTheRunCleanly() throws {
        let source = try FileReplaySource(samples: testSignal(32000), sampleRate: 16000, speed: 0)
        let (results, summary) = try run(source, FakeClassifier(sampleRate: 16000)) { driver, result in
            if result.index == 2 { driver.stop() }
        }
        XCTAssertEqual(results.count, 3)
        XCTAssertTrue(summary.interrupted)
        XCTAssertEqual(summary.windows, 3)
    }

    func testAClassifierWithTheWrongNumberOfProbabilitiesIsReported() throws {
        final class Broken: WindowClassifier {
            let sampleRate = 16000
            let classNames = ["a", "b", "c"]
            func classify(_ samples: [Float]) throws -> [Float] { [1, 0] }
        }
        let source = try FileReplaySource(samples: testSignal(8000), sampleRate: 16000, speed: 0)
        XCTAssertThrowsError(try run(source, Broken())) { error in
            XCTAssertEqual("\(error)", "classifier: returned 2 probabilities for 3 classes")
        }
    }

    func testAMalformedStreamStopsTheDriverWithTheSourcesError() throws {
        let pipe = pipeFeeding(pcmBytes(testSignal(5000), format: .s16le) + [1])
        let source = try PCMStreamSource(
            fileDescriptor: pipe.fileHandleForReading.fileDescriptor, format: .s16le, sampleRate: 16000, name: "stdin")
        XCTAssertThrowsError(try run(source, FakeClassifier(sampleRate: 16000))) { error in
            guard case .malformedStream(let name, _)? = error as? LiveError else { return XCTFail("\(error)") }
            XCTAssertTrue(name.hasPrefix("stdin"))
        }
    }

    /// A source that reports a backlog: latency counts the time the window's last sample waited.
    func testLatencyIncludesTheSourcesBacklog() throws {
        final class Backlogged: AudioSource {
            let inner: FileReplaySource
            init(_ inner: FileReplaySource) { self.inner = inner }
            var sampleRate: Int { inner.sampleRate }
            var name: String { "backlogged" }
            var bufferedSamples: Int { 1600 }  // 0.1 s at 16 kHz
            func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> Int { try inner.read(into: buffer) }
            func stop() { inner.stop() }
            func close() {}
        }
        let source = Backlogged(try FileReplaySource(samples: testSignal(8000), sampleRate: 16000, speed: 0))
        let driver = try LiveDriver(
            source: source, classifier: FakeClassifier(sampleRate: 16000), configuration: configuration,
            clock: FakeClock())
        var latencies: [Double] = []
        _ = try driver.run { latencies.append($0.latency) }
        XCTAssertEqual(latencies.count, 3)
        for latency in latencies { XCTAssertEqual(latency, 0.1, accuracy: 1e-12) }
    }

    func testLatencyStatistics() {
        let stats = LatencyStats([0.004, 0.001, 0.003, 0.002, 0.010])
        XCTAssertEqual(stats.count, 5)
        XCTAssertEqual(stats.mean, 0.004, accuracy: 1e-12)
        XCTAssertEqual(stats.median, 0.003)
        XCTAssertEqual(stats.p95, 0.010)
        XCTAssertEqual(stats.max, 0.010)
        XCTAssertEqual(LatencyStats([]).count, 0)
    }
}

final class LiveFormatterTests: XCTestCase {
    let result = WindowResult(
        index: 4, startSample: 8000, endSample: 56000, start: 0.5, end: 3.5, levelDBFS: -23.456, isSilent: false,
        probabilities: [0.1, 0.7, 0.2], label: 1, probability: 0.7, smoothedLabel: 2, smoothedProbability: 0.45,
        latency: 0.0123)

    func testTextLine() {
        let f = LiveFormatter(classNames: ["calm", "happy", "angry"], json: false)
        XCTAssertEqual(f.line(result), "   3.50s  happy    0.70  smoothed angry    0.45    12.3 ms")
        var silent = result
        silent.isSilent = true
        silent.levelDBFS = -63.14
        XCTAssertEqual(f.line(silent), "   3.50s  silence   -63.1 dBFS  smoothed angry")
    }

    func testJSONLineRoundTrips() throws {
        let f = LiveFormatter(classNames: ["calm", "happy", "angry"], json: true)
        let line = f.line(result)
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["type"] as? String, "window")
        XCTAssertEqual(object["label"] as? String, "happy")
        XCTAssertEqual(object["smoothed"] as? String, "angry")
        XCTAssertEqual(object["probability"] as? Double ?? 0, 0.7, accuracy: 1e-6)
        XCTAssertEqual(object["latency_ms"] as? Double ?? 0, 12.3, accuracy: 1e-9)
        XCTAssertEqual(object["end"] as? Double, 3.5)
        XCTAssertEqual((object["probabilities"] as? [String: Double])?["angry"] ?? 0, 0.2, accuracy: 1e-6)

        var silent = result
        silent.isSilent = true
        silent.label = nil
        silent.probability = nil
        silent.probabilities = nil
        let quiet = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(f.line(silent).utf8)) as? [String: Any])
        XCTAssertTrue(quiet["label"] is NSNull)
        XCTAssertEqual(quiet["silent"] as? Bool, true)
    }
}
