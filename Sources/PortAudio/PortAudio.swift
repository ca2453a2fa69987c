import CPortAudio
import Foundation

/// A failure reported by PortAudio: what was being done, PortAudio's error code and its own message
/// (`Pa_GetErrorText`, plus the host API's text for `paUnanticipatedHostError`).
public struct PortAudioError: Error, CustomStringConvertible, Equatable {
    /// What ser was doing, e.g. "opening input device 2 ('sertest')".
    public var context: String
    /// PortAudio's `PaError` code (negative), or 0 for errors found by this wrapper.
    public var code: Int32
    public var message: String

    public init(context: String, code: Int32, message: String) {
        self.context = context
        self.code = code
        self.message = message
    }

    init(_ context: String, _ code: PaError) {
        var message = String(cString: Pa_GetErrorText(code))
        if code == paUnanticipatedHostError.rawValue, let info = Pa_GetLastHostErrorInfo(),
            let text = info.pointee.errorText
        {
            let host = String(cString: text)
            if !host.isEmpty { message += " (host: \(host))" }
        }
        self.init(context: context, code: code, message: message)
    }

    /// PortAudio reported that the input buffer overflowed (samples were lost, the stream goes on).
    public var isOverflow: Bool { code == paInputOverflowed.rawValue }

    public var description: String { "\(context): PortAudio: \(message)" }
}

/// One input-capable device as PortAudio enumerates it.
public struct AudioDevice: Sendable, Equatable, Codable {
    /// PortAudio's device index, valid until the library is re-initialised.
    public var index: Int
    public var name: String
    /// Host API name, e.g. "ALSA", "JACK Audio Connection Kit".
    public var hostAPI: String
    public var maxInputChannels: Int
    public var defaultSampleRate: Double
    /// Whether this is PortAudio's default input device.
    public var isDefault: Bool

    public init(
        index: Int, name: String, hostAPI: String, maxInputChannels: Int, defaultSampleRate: Double, isDefault: Bool
    ) {
        self.index = index
        self.name = name
        self.hostAPI = hostAPI
        self.maxInputChannels = maxInputChannels
        self.defaultSampleRate = defaultSampleRate
        self.isDefault = isDefault
    }
}

/// How an input device is chosen: by PortAudio index, by (case-insensitive) name substring, or the default.
public enum DeviceSelector: Sendable, Equatable, CustomStringConvertible {
    case defaultInput
    case index(Int)
    case name(String)

    /// "3" selects index 3; anything else is a name substring.
    public init(parsing text: String) {
        if let index = Int(text), index >= 0 { self = .index(index) } else { self = .name(text) }
    }

    public var description: String {
        switch self {
        case .defaultInput: return "the default input device"
        case .index(let i): return "input device \(i)"
        case .name(let n): return "input device matching '\(n)'"
        }
    }
}

/// The PortAudio library: initialisation, device enumeration and input streams.
///
/// Every use is bracketed by ``PortAudio/Session`` (Pa_Initialize … Pa_Terminate; sessions nest).
/// Before the first initialisation this sets `JACK_NO_START_SERVER=1` (unless already set) so that
/// probing the JACK host API never launches a JACK server, and by default it silences the diagnostics
/// ALSA and JACK print to standard error while probing devices (set `SER_PORTAUDIO_VERBOSE=1` to see them).
public enum PortAudio {
    /// "PortAudio V19.6.0-devel, revision …".
    public static var versionText: String { String(cString: Pa_GetVersionText()) }

    /// An initialised PortAudio library; terminates it on ``close()`` or deinit.
    public final class Session {
        private var open = true

        /// Initialises PortAudio (enumerating the host APIs and their devices).
        public init() throws {
            setenv("JACK_NO_START_SERVER", "1", 0)
            let status = PortAudio.quietly { Pa_Initialize() }
            guard status == paNoError.rawValue else {
                Pa_Terminate()
                throw PortAudioError("initialising PortAudio", status)
            }
        }

        /// Terminates PortAudio (closing any stream still open). Idempotent.
        public func close() {
            if open {
                open = false
                _ = PortAudio.quietly { Pa_Terminate() }
            }
        }

        deinit { close() }

        /// All devices with at least one input channel, in PortAudio's index order. O(devices).
        public func inputDevices() throws -> [AudioDevice] {
            let count = Pa_GetDeviceCount()
            guard count >= 0 else { throw PortAudioError("counting devices", count) }
            let defaultIndex = Int(Pa_GetDefaultInputDevice())
            var devices: [AudioDevice] = []
            for i in 0..<count {
                guard let info = Pa_GetDeviceInfo(i), info.pointee.maxInputChannels > 0 else { continue }
                let api = Pa_GetHostApiInfo(info.pointee.hostApi).map { String(cString: $0.pointee.name) } ?? "?"
                devices.append(
                    AudioDevice(
                        index: Int(i), name: String(cString: info.pointee.name), hostAPI: api,
                        maxInputChannels: Int(info.pointee.maxInputChannels),
                        defaultSampleRate: info.pointee.defaultSampleRate, isDefault: Int(i) == defaultIndex))
            }
            return devices
        }

        /// The input device `selector` names.
        /// - Throws: ``PortAudioError`` (code 0) listing the available inputs when none matches, or
        ///   when a name substring matches several devices.
        public func device(_ selector: DeviceSelector) throws -> AudioDevice {
            let devices = try inputDevices()
            let available =
                devices.isEmpty
                ? "no input devices found"
                : "inputs: " + devices.map { "\($0.index) '\($0.name)'" }.joined(separator: ", ")
            func fail(_ why: String) -> PortAudioError {
                PortAudioError(context: "selecting \(selector)", code: 0, message: "\(why) (\(available))")
            }
            switch selector {
            case .defaultInput:
                guard let device = devices.first(where: \.isDefault) ?? devices.first else {
                    throw fail("there is no default input device")
                }
                return device
            case .index(let index):
                guard let device = devices.first(where: { $0.index == index }) else {
                    throw fail("no input device has index \(index)")
                }
                return device
            case .name(let name):
                if let exact = devices.first(where: { $0.name == name }) { return exact }
                let matches = devices.filter { $0.name.range(of: name, options: .caseInsensitive) != nil }
                guard let first = matches.first else { throw fail("no input device name contains '\(name)'") }
                guard matches.count == 1 else {
                    throw fail("'\(name)' matches \(matches.count) devices; give an index or a longer name")
                }
                return first
            }
        }

        /// Opens (and starts) a mono float32 input stream on `device` at `sampleRate` Hz.
        /// - Parameters:
        ///   - framesPerBuffer: PortAudio's buffer size in frames (latency ≈ framesPerBuffer / sampleRate).
        ///   - callback: nil opens a blocking stream read with ``AudioInputStream/read(into:)``; otherwise the
        ///     closure receives each buffer on PortAudio's audio thread (it must not block) and
        ///     ``AudioInputStream/read(into:)`` is unavailable.
        public func openInput(
            device: AudioDevice, sampleRate: Int, framesPerBuffer: Int = 512,
            callback: ((UnsafeBufferPointer<Float>) -> Void)? = nil
        ) throws -> AudioInputStream {
            try AudioInputStream(
                session: self, device: device, sampleRate: sampleRate, framesPerBuffer: framesPerBuffer,
                callback: callback)
        }
    }

    /// Runs `body` with standard error sent to /dev/null unless `SER_PORTAUDIO_VERBOSE=1`.
    /// ALSA prints one line per unusable configuration entry ("cannot find card '0'") and JACK one
    /// per failed connection while PortAudio probes them; none of it concerns the user.
    static func quietly<T>(_ body: () -> T) -> T {
        if ProcessInfo.processInfo.environment["SER_PORTAUDIO_VERBOSE"] == "1" { return body() }
        fflush(stderr)
        let saved = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY)
        guard saved >= 0, null >= 0 else {
            if saved >= 0 { close(saved) }
            if null >= 0 { close(null) }
            return body()
        }
        dup2(null, STDERR_FILENO)
        close(null)
        defer {
            fflush(stderr)
            dup2(saved, STDERR_FILENO)
            close(saved)
        }
        return body()
    }
}
