import Foundation
import PortAudio
import Stopping

/// Mono float32 capture from a PortAudio input device.
///
/// By default (``CaptureMode/live``) PortAudio's callback thread copies each buffer into a
/// ``SampleFIFO`` of 10 s, so capture goes on while the driver is busy classifying a window (a blocking
/// stream's device buffer holds only tens of milliseconds and would overflow). ``stop()`` is noticed
/// within 100 ms. A device that fails (unplugged, host error) surfaces as ``LiveError/device(_:)``.
/// PortAudio is initialised when the source is created and terminated by ``close()``.
public final class DeviceSource: AudioSource {
    /// How samples get from PortAudio to ``read(into:)``.
    public enum CaptureMode: Sendable, Equatable {
        /// A callback stream filling a FIFO of `bufferSeconds`; `overflow` says what is lost when it is full.
        case callback(bufferSeconds: Double, overflow: SampleFIFO.OverflowPolicy)
        /// Blocking reads of `framesPerBuffer` frames on the reading thread.
        case blocking

        /// Callback capture into 10 s, dropping the oldest samples if the reader falls that far behind.
        public static let live = CaptureMode.callback(bufferSeconds: 10, overflow: .dropOldest)
    }

    public let sampleRate: Int
    public let name: String
    public let device: AudioDevice
    public let mode: CaptureMode
    private let session: PortAudio.Session
    private var stream: AudioInputStream?
    private let fifo: SampleFIFO?
    private let stopFlag = StopFlag()

    /// Opens the device `selector` names at `sampleRate` Hz and starts capturing.
    /// - Throws: ``LiveError/device(_:)`` with PortAudio's message when it cannot be found or opened.
    public init(_ selector: DeviceSelector, sampleRate: Int, framesPerBuffer: Int = 256, mode: CaptureMode = .live)
        throws
    {
        self.mode = mode
        if case .callback(let seconds, let policy) = mode {
            guard seconds.isFinite, seconds > 0, seconds <= 600 else {
                throw LiveError.invalidConfiguration("the capture buffer must hold between 0 and 600 s, got \(seconds)")
            }
            fifo = SampleFIFO(capacity: max(framesPerBuffer, Int(seconds * Double(sampleRate))), policy: policy)
        } else {
            fifo = nil
        }
        do {
            session = try PortAudio.Session()
            device = try session.device(selector)
            if let fifo {
                stream = try session.openInput(device: device, sampleRate: sampleRate, framesPerBuffer: framesPerBuffer)
                {
                    fifo.push($0)
                }
            } else {
                stream = try session.openInput(device: device, sampleRate: sampleRate, framesPerBuffer: framesPerBuffer)
            }
        } catch let error as PortAudioError {
            throw LiveError.device(error)
        }
        self.sampleRate = sampleRate
        self.name = "device \(device.index) '\(device.name)' (\(device.hostAPI), \(sampleRate) Hz)"
    }

    /// Samples lost because the reader fell behind: FIFO overflow in callback mode, or reads that reported
    /// an input overflow in blocking mode.
    public var droppedSamples: Int { fifo?.droppedSamples ?? (stream?.overflowCount ?? 0) }

    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard let stream, buffer.count > 0 else { return 0 }
        guard let fifo else {
            guard !stopFlag.isRequested else { return 0 }
            let n = min(buffer.count, stream.framesPerBuffer)
            do {
                try stream.read(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
            } catch let error as PortAudioError {
                throw LiveError.device(error)
            }
            return n
        }
        while !stopFlag.isRequested {
            let n = fifo.pop(into: buffer, timeout: 0.1)
            if n > 0 { return n }
            if !stream.isActive {
                throw LiveError.device(
                    PortAudioError(
                        context: "reading from input device \(device.index) ('\(device.name)')", code: 0,
                        message: "the stream stopped delivering audio (the device failed or was disconnected)"))
            }
        }
        return 0
    }

    /// Samples captured into the FIFO and not read yet (0 in blocking mode).
    public var bufferedSamples: Int { fifo?.queuedCount ?? 0 }

    public func stop() { stopFlag.request() }

    public func close() {
        fifo?.close()
        stream?.close()
        stream = nil
        session.close()
    }
}
