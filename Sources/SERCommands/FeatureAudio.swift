import Features

/// How feature commands decode audio: `librosa.load`-compatible loading from the Audio module.
enum FeatureAudio {
    /// Mono samples of `path` at `sampleRate` (decode, downmix, soxr HQ resample).
    static let decode: AudioDecoder = FeatureCache.audioLoaderDecoder
}
