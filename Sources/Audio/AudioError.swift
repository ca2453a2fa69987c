import Foundation

/// Why an audio file could not be loaded: names the file, says what was wrong and what was expected.
public struct AudioError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// What went wrong.
    public enum Problem: Sendable, Equatable {
        /// The decoding library (libsndfile, or libFLAC for native FLAC files) could not open or decode
        /// the file; carries the library's own message (`sf_strerror`, libFLAC's status names).
        case undecodable(library: String, message: String)
        /// The header declares no channels.
        case noChannels
        /// The file's sample rate is outside ``AudioLoader/supportedSampleRates``.
        case unsupportedSampleRate(Int)
        /// The file decodes to zero frames.
        case noFrames
        /// The requested offset (seconds) is negative, not finite, or at/after the end of the file.
        case invalidOffset(Double, fileDuration: Double)
        /// The requested duration (seconds) is not positive/finite, or selects less than one sample.
        case invalidDuration(Double, sampleRate: Int)
        /// The requested output rate is outside ``AudioLoader/supportedSampleRates``.
        case invalidTargetRate(Int)
        /// libsoxr reported an error.
        case resampling(String)
        /// A decoded sample is NaN, infinite or larger in magnitude than
        /// ``AudioLoader/maximumSampleMagnitude`` (float files are nominally in [-1, 1]): the first such
        /// sample, by frame (from the start of the file), channel (0-based) and the file's rate.
        case invalidSample(value: Float, frame: Int, channel: Int, sampleRate: Int)
        /// The path is a FIFO, socket, device or folder: it is not opened (a FIFO would block for ever).
        case notARegularFile(FileKind)
    }

    /// The file concerned.
    public var path: String
    public var problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        let rates = AudioLoader.supportedSampleRates
        switch problem {
        case .undecodable(let library, let message):
            return
                "\(path): cannot decode audio (\(library): \(message)); expected a readable WAV (PCM 16/24/32-bit or float), FLAC or OGG/Vorbis file"
        case .noChannels:
            return "\(path): the file declares 0 channels; expected at least one"
        case .unsupportedSampleRate(let rate):
            return
                "\(path): sample rate \(rate) Hz is not supported; expected \(rates.lowerBound)…\(rates.upperBound) Hz"
        case .noFrames:
            return "\(path): the file holds no audio frames; expected at least one"
        case .invalidOffset(let offset, let fileDuration):
            return
                "\(path): offset \(offset) s is invalid; expected 0 ≤ offset < \(fileDuration) s (the file's duration)"
        case .invalidDuration(let duration, let rate):
            return
                "\(path): duration \(duration) s is invalid; expected a finite number of seconds selecting at least one sample (≥ \(1 / Double(rate)) s at \(rate) Hz)"
        case .invalidTargetRate(let rate):
            return
                "\(path): cannot resample to \(rate) Hz; expected a rate in \(rates.lowerBound)…\(rates.upperBound) Hz"
        case .resampling(let message):
            return "\(path): resampling failed (\(message))"
        case .invalidSample(let value, let frame, let channel, let rate):
            let seconds = String(format: "%.6f", Double(frame) / Double(max(rate, 1)))
            let what = value.isFinite ? "\(value), beyond ±\(AudioLoader.maximumSampleMagnitude)" : "\(value)"
            return
                "\(path): sample \(frame) (channel \(channel), at \(seconds) s) is \(what); expected finite samples within ±\(AudioLoader.maximumSampleMagnitude) (float audio is nominally in [-1, 1])"
        case .notARegularFile(let kind):
            return "\(path): is \(kind.name), not a regular file; expected an audio file (WAV, FLAC or OGG)"
        }
    }

    public var errorDescription: String? { description }
}
