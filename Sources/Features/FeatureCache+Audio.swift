import Audio
import Foundation

extension FeatureCache {
    /// `AudioLoader.load(path, sampleRate:)` (decode, downmix, soxr HQ resample, like `librosa.load`).
    public static let audioLoaderDecoder: AudioDecoder = { path, sampleRate in
        try AudioLoader.load(path, sampleRate: sampleRate).samples
    }

    /// A cache that decodes with ``audioLoaderDecoder``.
    public convenience init(directory: URL = FeatureCache.defaultDirectory, parameters: FeatureParameters) throws {
        try self.init(directory: directory, parameters: parameters, decode: FeatureCache.audioLoaderDecoder)
    }
}
