/// Averages the channels of interleaved frames into one mono signal, as `librosa.to_mono` does
/// (sum of the channels in order, then divided by the channel count, in `Float`).
///
/// - Parameters:
///   - interleaved: `frames · channels` samples ordered `[f0c0, f0c1, …, f1c0, …]`.
///   - channels: channels per frame (≥ 1; `interleaved.count` must be a multiple of it).
/// - Returns: `frames` samples. One channel returns the input unchanged. Complexity O(frames · channels).
public func downmix(interleaved: [Float], channels: Int) -> [Float] {
    precondition(channels >= 1, "channels must be at least 1, got \(channels)")
    precondition(
        interleaved.count % channels == 0, "\(interleaved.count) samples do not form whole \(channels)-channel frames")
    if channels == 1 { return interleaved }
    let frames = interleaved.count / channels
    let scale = Float(channels)
    return [Float](unsafeUninitializedCapacity: frames) { out, count in
        interleaved.withUnsafeBufferPointer { x in
            if channels == 2 {
                for f in 0..<frames { out[f] = (x[2 * f] + x[2 * f + 1]) / scale }
            } else {
                for f in 0..<frames {
                    let base = f * channels
                    var sum = x[base]
                    for c in 1..<channels { sum += x[base + c] }
                    out[f] = sum / scale
                }
            }
        }
        count = frames
    }
}
