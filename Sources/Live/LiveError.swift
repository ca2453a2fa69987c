import Foundation
import PortAudio

/// Why live classification stopped or could not start. Every message names the source or value at fault.
public enum LiveError: Error, CustomStringConvertible, Equatable {
    /// A raw PCM stream ended inside a frame, or held samples that cannot be audio (NaN, ±inf).
    case malformedStream(source: String, reason: String)
    /// `read(2)` or `poll(2)` failed on the source.
    case readFailed(source: String, reason: String)
    /// The capture device failed (e.g. it was unplugged) or could not be opened.
    case device(PortAudioError)
    /// The source's rate differs from the classifier's and no resampler was given.
    case resamplingUnavailable(from: Int, to: Int)
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// The classifier threw or returned something other than one finite probability per class.
    case classifierFailed(String)
    /// Standard output (or the line sink) was closed, e.g. the reading end of a pipe exited.
    case outputClosed(String)

    public var description: String {
        switch self {
        case .malformedStream(let source, let reason): return "\(source): malformed stream: \(reason)"
        case .readFailed(let source, let reason): return "\(source): read failed: \(reason)"
        case .device(let error): return error.description
        case .resamplingUnavailable(let from, let to):
            return
                "the audio is at \(from) Hz but the model expects \(to) Hz and no resampler was given; "
                + "supply audio at \(to) Hz (e.g. arecord -r \(to), or --rate \(to) for a device)"
        case .invalidConfiguration(let message): return message
        case .classifierFailed(let message): return "classifier: \(message)"
        case .outputClosed(let reason): return "output closed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// `strerror(errno)` for messages.
func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
