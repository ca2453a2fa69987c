import Foundation
import PortAudio

/// Mono float32 capture from a PortAudio input device (blocking reads of `framesPerBuffer` frames).
///
/// PortAudio is initialised when the source is created and terminated by ``close()``. ``stop()`` is
/// noticed between reads, i.e. within `framesPerBuffer / sampleRate` seconds (16 ms at 16 kHz by default).
/// A device that fails mid-stream (unplugged, host error) surfaces as ``LiveError/device(_:)``.
public final class DeviceSource: AudioSource {
    public let sampleRate: Int
    public let name: String
    public let device: AudioDevice
    private let session: PortAudio.Session
    private var stream: AudioInputStream?
    private let stopFlag = StopFlag()

    /// Opens the device `selector` names at `sampleRate` Hz.
    /// - Throws: ``LiveError/device(_:)`` with PortAudio's message when it cannot be found or opened.
    public init(_ selector: DeviceSelector, sampleRate: Int, framesPerBuffer: Int = 256) throws {
        do {
            session = try PortAudio.Session()
            device = try session.device(selector)
            stream = try session.openInput(device: device, sampleRate: sampleRate, framesPerBuffer: framesPerBuffer)
        } catch let error as PortAudioError {
            throw LiveError.device(error)
        }
        self.sampleRate = sampleRate
        self.name = "device \(device.index) '\(device.name)' (\(device.hostAPI), \(sampleRate) Hz)"
    }

    /// Reads overflowed so far (samples were lost because windows were classified too slowly).
    public var overflowCount: Int { stream?.overflowCount ?? 0 }

    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard let stream, !stopFlag.isSet, buffer.count > 0 else { return 0 }
        let n = min(buffer.count, stream.framesPerBuffer)
        do {
            try stream.read(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
        } catch let error as PortAudioError {
            throw LiveError.device(error)
        }
        return n
    }

    public func stop() { stopFlag.set() }

    public func close() {
        stream?.close()
        stream = nil
        session.close()
    }
}
