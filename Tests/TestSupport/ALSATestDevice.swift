import Foundation

/// A capture device for PortAudio tests on machines without a sound card.
///
/// Writes an ALSA configuration that includes the system's `alsa.conf` and defines
/// `pcm.sertest` (and ``failingName``): an ALSA `file` plugin over the `null` device whose capture data is read from
/// ``inputFile`` (`format "raw"`: the bytes are handed out as they are, in the sample format PortAudio
/// negotiates with `null`, i.e. float32 little-endian for a paFloat32 stream). `ALSA_CONFIG_PATH` points
/// to it for the whole test process, so PortAudio's ALSA host API lists `sertest` as an input device;
/// the `null` slave never waits, so reads return immediately. `JACK_NO_START_SERVER=1` keeps the JACK
/// host API from launching a server.
public enum ALSATestDevice {
    /// The name PortAudio lists.
    public static let name = "sertest"

    /// A second device that fails once capture starts, like a microphone that was unplugged: the file
    /// plugin also writes what it captures to its `file`, here `/dev/full`, so reads fail with EIO after the
    /// first period (PortAudio: "Unanticipated host error").
    public static let failingName = "serbroken"

    /// Directory holding the configuration and the capture data (one per test process).
    public static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ser-alsa-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The raw float32 samples the device "captures".
    public static var inputFile: URL { directory.appendingPathComponent("capture.f32") }

    /// Whether the system ALSA configuration exists (the device cannot be defined without it).
    public static var isAvailable: Bool { FileManager.default.fileExists(atPath: systemConfig) }

    static let systemConfig = "/usr/share/alsa/alsa.conf"

    /// Installs the configuration (idempotent) and makes the device capture `samples` (then undefined data).
    /// Call before creating a `PortAudio.Session`: PortAudio enumerates devices when initialised.
    public static func install(capturing samples: [Float] = []) throws {
        let config = directory.appendingPathComponent("asound.conf")
        let text = """
            <\(systemConfig)>
            pcm.\(name) {
                type file
                slave.pcm "null"
                file "/dev/null"
                infile "\(inputFile.path)"
                format "raw"
            }
            pcm.\(failingName) {
                type file
                slave.pcm "null"
                file "/dev/full"
                infile "\(inputFile.path)"
                format "raw"
            }

            """
        try text.write(to: config, atomically: true, encoding: .utf8)
        var data = Data(capacity: samples.count * 4)
        for s in samples { withUnsafeBytes(of: s.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: inputFile)
        setenv("ALSA_CONFIG_PATH", config.path, 1)
        setenv("JACK_NO_START_SERVER", "1", 1)
    }
}
