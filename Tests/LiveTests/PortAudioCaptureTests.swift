import Foundation
import PortAudio
import TestSupport
import XCTest

@testable import Live

/// The PortAudio capture path without a sound card: ALSA's `file` plugin over its `null` device, defined in a
/// test ALSA configuration (see ``ALSATestDevice``), is an input device whose captured samples are a file's.
final class PortAudioCaptureTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(ALSATestDevice.isAvailable, "no /usr/share/alsa/alsa.conf: cannot define the test device")
    }

    func testListsTheTestDevice() throws {
        try ALSATestDevice.install()
        let session = try PortAudio.Session()
        defer { session.close() }
        let devices = try session.inputDevices()
        let device = try XCTUnwrap(devices.first { $0.name == ALSATestDevice.name }, "\(devices)")
        XCTAssertEqual(device.hostAPI, "ALSA")
        XCTAssertGreaterThan(device.maxInputChannels, 0)
        XCTAssertGreaterThan(device.defaultSampleRate, 0)
        XCTAssertEqual(try session.device(.name("SERTEST")), device, "name substrings are case-insensitive")
        XCTAssertEqual(try session.device(.index(device.index)), device)
    }

    func testBlockingReadsReturnTheCapturedSamples() throws {
        let signal = testSignal(6000)
        try ALSATestDevice.install(capturing: signal)
        let session = try PortAudio.Session()
        defer { session.close() }
        let stream = try session.openInput(device: try session.device(.name(ALSATestDevice.name)), sampleRate: 16000)
        var captured = [Float](repeating: 0, count: 5000)
        try captured.withUnsafeMutableBufferPointer { all in
            for range in [0..<1000, 1000..<1257, 1257..<5000] {
                try stream.read(into: UnsafeMutableBufferPointer(rebasing: all[range]))
            }
        }
        assertSameSamples(captured, Array(signal[0..<5000]))
        stream.close()
        XCTAssertFalse(stream.isActive)
        XCTAssertThrowsError(try captured.withUnsafeMutableBufferPointer { try stream.read(into: $0) }) { error in
            XCTAssertTrue("\(error)".contains("the stream is closed"), "\(error)")
        }
    }

    func testCallbackStreamDeliversTheCapturedSamples() throws {
        let signal = testSignal(4096)
        try ALSATestDevice.install(capturing: signal)
        let session = try PortAudio.Session()
        defer { session.close() }
        let lock = NSLock()
        var received: [Float] = []
        let done = expectation(description: "4096 samples captured")
        let stream = try session.openInput(
            device: try session.device(.name(ALSATestDevice.name)), sampleRate: 16000, framesPerBuffer: 256
        ) { buffer in
            lock.lock()
            let before = received.count
            received.append(contentsOf: buffer)
            if before < 4096 && received.count >= 4096 { done.fulfill() }
            lock.unlock()
        }
        wait(for: [done], timeout: 10)
        stream.close()
        lock.lock()
        defer { lock.unlock() }
        assertSameSamples(Array(received.prefix(4096)), signal)
    }

    func testMissingDevicesAreClearErrors() throws {
        try ALSATestDevice.install()
        let session = try PortAudio.Session()
        defer { session.close() }
        XCTAssertThrowsError(try session.device(.name("no-such-microphone"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no input device name contains 'no-such-microphone'"), text)
            XCTAssertTrue(text.contains("'sertest'"), "lists the available inputs: \(text)")
        }
        XCTAssertThrowsError(try session.device(.index(9999))) {
            XCTAssertTrue("\($0)".contains("no input device has index 9999"), "\($0)")
        }
        XCTAssertThrowsError(try DeviceSource(.name("no-such-microphone"), sampleRate: 16000)) { error in
            guard case .device? = error as? LiveError else { return XCTFail("\(error)") }
        }
    }

    func testDeviceSelectorParsing() {
        XCTAssertEqual(DeviceSelector(parsing: "2"), .index(2))
        XCTAssertEqual(DeviceSelector(parsing: "USB Mic"), .name("USB Mic"))
        XCTAssertEqual(DeviceSelector(parsing: "-1"), .name("-1"))
    }

    /// The whole live path on a PortAudio device: capture, windows, classification, in both capture modes.
    /// (The null device delivers samples as fast as it is asked, so the FIFO keeps the stream's beginning
    /// here; live capture drops the oldest instead.)
    func testDriverOnTheTestDevice() throws {
        for mode in [DeviceSource.CaptureMode.callback(bufferSeconds: 5, overflow: .dropNewest), .blocking] {
            let signal = testSignal(16000)
            try ALSATestDevice.install(capturing: signal)
            let source = try DeviceSource(.name(ALSATestDevice.name), sampleRate: 16000, mode: mode)
            XCTAssertTrue(source.name.contains("sertest"), source.name)
            let classifier = FakeClassifier(sampleRate: 16000)
            let driver = try LiveDriver(
                source: source, classifier: classifier,
                configuration: LiveConfiguration(
                    windowSeconds: 0.5, hopSeconds: 0.25, gate: EnergyGate(thresholdDBFS: nil)))
            var results: [WindowResult] = []
            let summary = try driver.run { result in
                results.append(result)
                if result.index == 2 { driver.stop() }  // before the windows run past the end of the capture file
            }
            XCTAssertTrue(summary.interrupted, "\(mode)")
            XCTAssertEqual(results.map(\.endSample), [8000, 12000, 16000], "\(mode)")
            for (k, window) in classifier.windows.enumerated() {
                assertSameSamples(window, Array(signal[(k * 4000)..<(k * 4000 + 8000)]), "\(mode) window \(k)")
            }
        }
    }

    /// A device that fails mid-stream gives a clear error naming the device, not a crash, in both modes.
    func testAFailingDeviceSurfacesAClearError() throws {
        for mode in [DeviceSource.CaptureMode.live, .blocking] {
            try ALSATestDevice.install(capturing: testSignal(16000))
            let source = try DeviceSource(.name(ALSATestDevice.failingName), sampleRate: 16000, mode: mode)
            let driver = try LiveDriver(
                source: source, classifier: FakeClassifier(sampleRate: 16000),
                configuration: LiveConfiguration(windowSeconds: 0.5, hopSeconds: 0.25))
            XCTAssertThrowsError(try driver.run { _ in }, "\(mode)") { error in
                guard case .device(let failure)? = error as? LiveError else { return XCTFail("\(error)") }
                XCTAssertTrue(failure.context.contains("'serbroken'"), failure.context)
            }
        }
    }
}
