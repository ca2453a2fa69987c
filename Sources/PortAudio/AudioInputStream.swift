import CPortAudio
import Foundation

/// A started mono float32 PortAudio input stream; stopped and closed by ``close()`` or deinit.
///
/// Not thread-safe: call ``read(into:)`` and ``close()`` from one thread (PortAudio forbids
/// concurrent calls on a blocking stream). A callback stream calls its closure on PortAudio's thread.
public final class AudioInputStream {
    public let device: AudioDevice
    public let sampleRate: Int
    public let framesPerBuffer: Int
    /// Number of reads that reported an input overflow (samples lost because they were not read in time).
    public private(set) var overflowCount = 0

    private var stream: UnsafeMutableRawPointer?
    private let session: PortAudio.Session  // keeps PortAudio initialised while the stream lives
    private let box: CallbackBox?

    final class CallbackBox {
        let body: (UnsafeBufferPointer<Float>) -> Void
        init(_ body: @escaping (UnsafeBufferPointer<Float>) -> Void) { self.body = body }
    }

    init(
        session: PortAudio.Session, device: AudioDevice, sampleRate: Int, framesPerBuffer: Int,
        callback: ((UnsafeBufferPointer<Float>) -> Void)?
    ) throws {
        self.session = session
        self.device = device
        self.sampleRate = sampleRate
        self.framesPerBuffer = framesPerBuffer
        self.box = callback.map(CallbackBox.init)
        let what = "opening input device \(device.index) ('\(device.name)') at \(sampleRate) Hz"
        guard sampleRate > 0, framesPerBuffer > 0 else {
            throw PortAudioError(
                context: what, code: 0,
                message: "sample rate and buffer size must be positive (buffer \(framesPerBuffer))")
        }
        guard let info = Pa_GetDeviceInfo(PaDeviceIndex(device.index)) else {
            throw PortAudioError(context: what, code: paInvalidDevice.rawValue, message: "the device no longer exists")
        }
        var parameters = PaStreamParameters(
            device: PaDeviceIndex(device.index), channelCount: 1, sampleFormat: PaSampleFormat(paFloat32),
            suggestedLatency: info.pointee.defaultLowInputLatency, hostApiSpecificStreamInfo: nil)
        var handle: UnsafeMutableRawPointer?
        var status: PaError
        if let box {
            let context = Unmanaged.passUnretained(box).toOpaque()
            status = Pa_OpenStream(
                &handle, &parameters, nil, Double(sampleRate), UInt(framesPerBuffer), PaStreamFlags(paNoFlag),
                { input, _, frames, _, _, context in
                    guard let input, let context else { return Int32(paContinue.rawValue) }
                    let box = Unmanaged<CallbackBox>.fromOpaque(context).takeUnretainedValue()
                    box.body(UnsafeBufferPointer(start: input.assumingMemoryBound(to: Float.self), count: Int(frames)))
                    return Int32(paContinue.rawValue)
                }, context)
        } else {
            status = Pa_OpenStream(
                &handle, &parameters, nil, Double(sampleRate), UInt(framesPerBuffer), PaStreamFlags(paNoFlag), nil, nil)
        }
        guard status == paNoError.rawValue, let handle else { throw PortAudioError(what, status) }
        stream = handle
        status = Pa_StartStream(handle)
        guard status == paNoError.rawValue else {
            Pa_CloseStream(handle)
            stream = nil
            throw PortAudioError("starting input device \(device.index) ('\(device.name)')", status)
        }
    }

    deinit { close() }

    /// Blocks until `buffer.count` frames have been captured and copies them into `buffer`.
    /// An input overflow is counted in ``overflowCount`` and is not an error (the frames are still delivered).
    /// - Throws: ``PortAudioError`` when the device fails (e.g. it was unplugged) or the stream is closed.
    public func read(into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let stream else {
            throw PortAudioError(
                context: "reading from '\(device.name)'", code: paBadStreamPtr.rawValue, message: "the stream is closed"
            )
        }
        precondition(box == nil, "read(into:) is for blocking streams; this stream has a callback")
        guard buffer.count > 0 else { return }
        let status = Pa_ReadStream(stream, buffer.baseAddress, UInt(buffer.count))
        if status == paInputOverflowed.rawValue {
            overflowCount += 1
        } else if status != paNoError.rawValue {
            throw PortAudioError("reading from input device \(device.index) ('\(device.name)')", status)
        }
    }

    /// Whether the stream is still running (false once the host API stopped it, e.g. on a device failure).
    public var isActive: Bool {
        guard let stream else { return false }
        return Pa_IsStreamActive(stream) == 1
    }

    /// Stops capturing and releases the stream. Idempotent.
    public func close() {
        guard let stream else { return }
        self.stream = nil
        Pa_AbortStream(stream)
        Pa_CloseStream(stream)
    }
}
