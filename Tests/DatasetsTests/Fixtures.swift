import Foundation
import SndFile
import TestSupport

/// Small audio files written into a temporary directory for layout and scan tests.
enum Fixtures {
    /// Writes a silent-ish WAV (a quiet ramp) of `frames` frames, creating parent folders.
    static func wav(
        _ dir: TemporaryDirectory, _ relative: String, frames: Int = 80, sampleRate: Int = 8000, channels: Int = 1,
        format: SoundFileFormat = .wavPCM16
    ) throws {
        let path = dir.path(relative)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let samples = (0..<(frames * channels)).map { Float($0 % 100) / 1000 }
        try SoundFile.write(samples, channels: channels, sampleRate: sampleRate, to: path, format: format)
    }

    /// Writes `text` to a file, creating parent folders.
    static func text(_ dir: TemporaryDirectory, _ relative: String, _ text: String) throws {
        let path = dir.path(relative)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
