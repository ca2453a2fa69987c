import CSoxr

/// A failure reported by libsoxr (or a rejected argument), with libsoxr's own message.
public struct SoxrError: Error, CustomStringConvertible, Equatable {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "libsoxr: \(message)" }
}

/// libsoxr's quality recipes (`SOXR_QQ` … `SOXR_VHQ`), as python-soxr and librosa name them.
public enum SoxrQuality: Sendable, CaseIterable {
    /// `SOXR_QQ`: cubic interpolation, not band-limited (librosa `soxr_qq`).
    case quick
    /// `SOXR_LQ`: 16-bit precision, large roll-off (librosa `soxr_lq`).
    case low
    /// `SOXR_MQ`: 16-bit precision (librosa `soxr_mq`).
    case medium
    /// `SOXR_HQ`: 20-bit precision (librosa's default `soxr_hq`).
    case high
    /// `SOXR_VHQ`: 28-bit precision (librosa `soxr_vhq`).
    case veryHigh

    var recipe: UInt {
        switch self {
        case .quick: return UInt(SOXR_QQ)
        case .low: return UInt(SOXR_LQ)
        case .medium: return UInt(SOXR_MQ)
        case .high: return UInt(SOXR_HQ)
        case .veryHigh: return UInt(SOXR_VHQ)
        }
    }
}

/// Sample-rate conversion with libsoxr, configured exactly as python-soxr's `soxr.resample`
/// (which librosa 0.11 calls for its default `res_type='soxr_hq'`): float32 in and out,
/// `soxr_quality_spec(recipe, 0)`, default runtime spec, the whole signal then a flush.
public enum Soxr {
    /// Resamples a mono signal from `inputRate` to `outputRate` Hz.
    ///
    /// The output holds libsoxr's own sample count, `round(x.count · outputRate / inputRate)`
    /// (libsoxr computes it in floating point, so exact halves may round either way). Note that
    /// `librosa.resample` then pads/cuts to `ceil(…)`; `AudioLoader` does that, this function does not.
    /// Equal rates return `x` unchanged. Complexity O(n) with a filter of a few hundred taps.
    /// - Throws: ``SoxrError`` for non-positive rates or when libsoxr reports an error.
    public static func resample(
        _ x: [Float], from inputRate: Int, to outputRate: Int, quality: SoxrQuality = .high
    ) throws -> [Float] {
        guard inputRate > 0, outputRate > 0 else {
            throw SoxrError("sample rates must be positive, got \(inputRate) Hz → \(outputRate) Hz")
        }
        if inputRate == outputRate || x.isEmpty { return inputRate == outputRate ? x : [] }
        let inRate = Double(inputRate)
        let outRate = Double(outputRate)
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var spec = soxr_quality_spec(quality.recipe, 0)
        guard let soxr = soxr_create(inRate, outRate, 1, &error, &io, &spec, nil), error == nil else {
            throw SoxrError(error.map { String(cString: $0) } ?? "soxr_create failed")
        }
        defer { soxr_delete(soxr) }

        // Same capacity as python-soxr: enough for round(n·r) plus one.
        let capacity = Int(Double(x.count) * outRate / inRate) + 1
        var y = [Float](repeating: 0, count: capacity)
        var produced = 0
        try y.withUnsafeMutableBufferPointer { out in
            var done = 0
            error = x.withUnsafeBufferPointer { input in
                soxr_process(
                    soxr, UnsafeRawPointer(input.baseAddress), input.count, nil,
                    UnsafeMutableRawPointer(out.baseAddress), capacity, &done)
            }
            if let error { throw SoxrError(String(cString: error)) }
            produced = done
            // Flush (no more input): drains the filter's delay line, as python-soxr does once.
            error = soxr_process(
                soxr, nil, 0, nil, UnsafeMutableRawPointer(out.baseAddress! + produced), capacity - produced, &done)
            if let error { throw SoxrError(String(cString: error)) }
            produced += done
        }
        y.removeLast(capacity - produced)
        return y
    }
}
