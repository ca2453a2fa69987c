import Checksum
import Foundation

/// Every parameter that shapes a feature matrix, named after librosa's arguments
/// (`n_fft` → `nFFT`, `hop_length` → `hopLength`, …) so experiment specs can map their keys 1:1.
///
/// The defaults are the original notebook's, declared here once (spec defaults and command-line flag
/// defaults are read from them): 22050 Hz, `n_fft` 1024, hop 100, 128 Slaney mels
/// with Slaney normalisation, power 2, dB relative to the maximum with `top_db` 80, no MFCC, no
/// deltas, no standardisation, no pad/crop. ``librosaDefaults`` holds librosa 0.11's own defaults.
///
/// Decoding JSON accepts any subset of keys (missing keys keep their defaults), so a spec can
/// state only what it changes.
public struct FeatureParameters: Codable, Hashable, Sendable {
    /// Rate the audio is resampled to before analysis (Hz).
    public var sampleRate: Int = 22050
    /// FFT length in samples (`n_fft`).
    public var nFFT: Int = 1024
    /// Samples between successive frames (`hop_length`).
    public var hopLength: Int = 100
    /// Window length (`win_length`); nil means `nFFT`. The periodic Hann window is centred in `nFFT`.
    public var winLength: Int? = nil
    /// Pad `nFFT / 2` zeros on both sides so frame t is centred on sample `t · hopLength`
    /// (librosa 0.11, `pad_mode='constant'`).
    public var center: Bool = true
    /// Number of mel bands (`n_mels`).
    public var nMels: Int = 128
    /// Lowest filter edge in Hz (`fmin`).
    public var fmin: Double = 0
    /// Highest filter edge in Hz (`fmax`); nil means `sampleRate / 2`.
    public var fmax: Double? = nil
    /// Exponent of the magnitude spectrogram: 1 (magnitude) or 2 (power).
    public var power: Double = 2
    /// HTK mel formula instead of Slaney's (`htk`).
    public var htk: Bool = false
    /// Filter normalisation (`norm`): Slaney area normalisation or none.
    public var norm: MelNorm = .slaney
    /// Convert to decibels with `power_to_db`; false keeps the mel power (or magnitude).
    public var toDB: Bool = true
    /// Reference of `power_to_db` (`ref`): a fixed value or the matrix maximum.
    public var ref: DecibelReference = .max
    /// Floor of `power_to_db` (`amin`).
    public var amin: Double = 1e-10
    /// Clip dB values more than this far below the peak (`top_db`); nil disables clipping.
    public var topDB: Double? = 80
    /// Number of MFCCs (`n_mfcc`, DCT-II with orthonormal scaling of the dB mel); nil keeps the mel bands.
    public var nMFCC: Int? = nil
    /// Delta features appended below the base features: 0 none, 1 adds Δ, 2 adds Δ and Δ².
    public var deltas: Int = 0
    /// Savitzky–Golay window of `librosa.feature.delta` (`width`, odd, ≥ 3; mode `interp`).
    public var deltaWidth: Int = 9
    /// Per-utterance standardisation applied after pad/crop.
    public var standardise: Standardisation = .none
    /// Fixed clip length in seconds; nil keeps every frame.
    public var duration: Double? = nil
    /// Where the fixed-length window is taken from a longer utterance (and where a shorter one is padded).
    public var crop: CropMode = .center

    public init() {}

    /// The notebook's parameters (identical to `FeatureParameters()`).
    public static let notebook = FeatureParameters()

    /// librosa 0.11's defaults: `melspectrogram(sr=22050, n_fft=2048, hop_length=512, n_mels=128)`
    /// followed by `power_to_db(ref=1.0, top_db=80)`.
    public static var librosaDefaults: FeatureParameters {
        var p = FeatureParameters()
        p.nFFT = 2048
        p.hopLength = 512
        p.ref = .value(1)
        return p
    }

    /// Changes made by this version of the algorithm that alter results; bumping it invalidates caches.
    public static let algorithmVersion = 1

    // MARK: Derived values

    /// The window length actually used.
    public var effectiveWinLength: Int { winLength ?? nFFT }
    /// The upper filter edge actually used.
    public var effectiveFmax: Double { fmax ?? Double(sampleRate) / 2 }
    /// Rows of the feature matrix: (MFCCs or mels) × (1 + deltas).
    public var featureCount: Int { (nMFCC ?? nMels) * (1 + deltas) }

    /// Frames the STFT makes from `sampleCount` samples: `1 + ⌊(n + 2·⌊nFFT/2⌋ − nFFT) / hop⌋` when
    /// centred (librosa's count), 0 when the (padded) signal is shorter than one frame.
    public func frameCount(sampleCount: Int) -> Int {
        let padded = center ? sampleCount + 2 * (nFFT / 2) : sampleCount
        return padded < nFFT ? 0 : 1 + (padded - nFFT) / hopLength
    }

    /// Frames of a clip of ``duration`` seconds (nil when no duration is set).
    public var fixedFrameCount: Int? {
        duration.map { frameCount(sampleCount: Int((($0) * Double(sampleRate)).rounded())) }
    }

    // MARK: Validation

    /// Checks every value; the error names the key, the value and what was expected.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ expected: String) throws -> Never {
            throw FeatureParameterError(key: key, value: "\(value)", expected: expected)
        }
        if sampleRate < 1000 || sampleRate > 384_000 { try fail("sampleRate", sampleRate, "1000…384000 Hz") }
        if nFFT < 16 || nFFT > 65536 { try fail("nFFT", nFFT, "16…65536 samples") }
        if hopLength < 1 { try fail("hopLength", hopLength, "a positive number of samples") }
        if let w = winLength, w < 1 || w > nFFT { try fail("winLength", w, "1…nFFT (\(nFFT))") }
        if nMels < 1 || nMels > nFFT / 2 + 1 { try fail("nMels", nMels, "1…nFFT/2+1 (\(nFFT / 2 + 1))") }
        if let f = fmax, !(f > 0 && f <= Double(sampleRate) / 2) {
            try fail("fmax", f, "0 < fmax ≤ sampleRate/2 (\(Double(sampleRate) / 2))")
        }
        if !(fmin >= 0 && fmin < effectiveFmax) { try fail("fmin", fmin, "0 ≤ fmin < fmax (\(effectiveFmax))") }
        if power != 1 && power != 2 { try fail("power", power, "1 (magnitude) or 2 (power)") }
        if !(amin > 0 && amin.isFinite) { try fail("amin", amin, "a positive, finite floor") }
        if case .value(let r) = ref, !(r > 0 && r.isFinite) { try fail("ref", r, "a positive reference or \"max\"") }
        if let t = topDB, !(t >= 0 && t.isFinite) { try fail("topDB", t, "a non-negative, finite number of dB") }
        if let n = nMFCC, n < 1 || n > nMels { try fail("nMFCC", n, "1…nMels (\(nMels))") }
        if nMFCC != nil && !toDB { try fail("nMFCC", nMFCC!, "toDB = true (MFCCs are taken from the dB mel)") }
        if deltas < 0 || deltas > 2 { try fail("deltas", deltas, "0, 1 or 2") }
        if deltaWidth < 3 || deltaWidth > 999 || deltaWidth % 2 == 0 {
            try fail("deltaWidth", deltaWidth, "an odd number 3…999")
        }
        if let d = duration, !(d > 0 && d <= 3600) { try fail("duration", d, "0 < duration ≤ 3600 seconds") }
    }

    // MARK: Hashing

    /// The parameters that change the cached (pre-crop, pre-standardisation) matrix.
    public var cacheRelevant: FeatureParameters {
        var p = self
        p.standardise = .none
        p.duration = nil
        p.crop = .center
        return p
    }

    /// Canonical JSON: sorted keys, every field present (nil as `null`), compact.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(CanonicalForm(self))
        return String(decoding: data, as: UTF8.self)
    }

    /// SHA-256 (hex) of ``canonicalJSON`` and ``algorithmVersion``: equal for equal parameters in any process.
    public var stableHash: String { SHA256.hex("ser-features-v\(Self.algorithmVersion)\n" + canonicalJSON) }

    /// ``stableHash`` of ``cacheRelevant``: the key of the feature cache.
    public var cacheKey: String { cacheRelevant.stableHash }

    // MARK: Codable with defaults

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sampleRate, nFFT, hopLength, winLength, center, nMels, fmin, fmax, power, htk, norm, toDB, ref, amin
        case topDB, nMFCC, deltas, deltaWidth, standardise, duration, crop
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? current
        }
        sampleRate = try get(.sampleRate, sampleRate)
        nFFT = try get(.nFFT, nFFT)
        hopLength = try get(.hopLength, hopLength)
        winLength = try c.decodeIfPresent(Int.self, forKey: .winLength)
        center = try get(.center, center)
        nMels = try get(.nMels, nMels)
        fmin = try get(.fmin, fmin)
        fmax = try c.decodeIfPresent(Double.self, forKey: .fmax)
        power = try get(.power, power)
        htk = try get(.htk, htk)
        norm = try get(.norm, norm)
        toDB = try get(.toDB, toDB)
        ref = try get(.ref, ref)
        amin = try get(.amin, amin)
        if c.contains(.topDB) { topDB = try c.decodeIfPresent(Double.self, forKey: .topDB) }
        nMFCC = try c.decodeIfPresent(Int.self, forKey: .nMFCC)
        deltas = try get(.deltas, deltas)
        deltaWidth = try get(.deltaWidth, deltaWidth)
        standardise = try get(.standardise, standardise)
        duration = try c.decodeIfPresent(Double.self, forKey: .duration)
        crop = try get(.crop, crop)
    }

    public func encode(to encoder: Encoder) throws {
        try CanonicalForm(self).encode(to: encoder)
    }

    /// Encodes every key, nil ones as `null`, so the JSON (and hash) never depends on which were set.
    private struct CanonicalForm: Encodable {
        let p: FeatureParameters
        init(_ p: FeatureParameters) { self.p = p }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(p.sampleRate, forKey: .sampleRate)
            try c.encode(p.nFFT, forKey: .nFFT)
            try c.encode(p.hopLength, forKey: .hopLength)
            try c.encode(p.winLength, forKey: .winLength)
            try c.encode(p.center, forKey: .center)
            try c.encode(p.nMels, forKey: .nMels)
            try c.encode(p.fmin, forKey: .fmin)
            try c.encode(p.fmax, forKey: .fmax)
            try c.encode(p.power, forKey: .power)
            try c.encode(p.htk, forKey: .htk)
            try c.encode(p.norm, forKey: .norm)
            try c.encode(p.toDB, forKey: .toDB)
            try c.encode(p.ref, forKey: .ref)
            try c.encode(p.amin, forKey: .amin)
            try c.encode(p.topDB, forKey: .topDB)
            try c.encode(p.nMFCC, forKey: .nMFCC)
            try c.encode(p.deltas, forKey: .deltas)
            try c.encode(p.deltaWidth, forKey: .deltaWidth)
            try c.encode(p.standardise, forKey: .standardise)
            try c.encode(p.duration, forKey: .duration)
            try c.encode(p.crop, forKey: .crop)
        }
    }
}

/// Mel filter normalisation (`librosa.filters.mel(norm=…)`).
public enum MelNorm: String, Codable, Hashable, Sendable, CaseIterable {
    /// Divide each triangle by its width in Hz (`norm='slaney'`): constant energy per band.
    case slaney
    /// Triangles with peak 1 (`norm=None`).
    case none
}

/// The `ref` of `power_to_db`: a fixed power or the maximum of the matrix (`ref=np.max`).
/// Coded as the string `"max"` or a number.
public enum DecibelReference: Codable, Hashable, Sendable {
    case max
    case value(Double)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Double.self) {
            self = .value(number)
            return
        }
        let text = try c.decode(String.self)
        guard text == "max" else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "ref must be \"max\" or a positive number, got \"\(text)\"")
        }
        self = .max
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .max: try c.encode("max")
        case .value(let v): try c.encode(v)
        }
    }
}

/// Per-utterance standardisation to zero mean and unit variance.
public enum Standardisation: String, Codable, Hashable, Sendable, CaseIterable {
    case none
    /// One mean and standard deviation over the whole matrix.
    case utterance
    /// A mean and standard deviation per row (mel band / coefficient) over the frames.
    case perBand
}

/// Which window of a longer utterance a fixed-length clip keeps (and where a shorter one is padded).
public enum CropMode: String, Codable, Hashable, Sendable, CaseIterable {
    /// The middle (evaluation); shorter clips are padded equally on both sides.
    case center
    /// The start (evaluation); shorter clips are padded at the end.
    case left
    /// A uniformly random window (training), drawn from an injected generator; shorter clips are
    /// placed at a random offset.
    case random
}

/// A feature parameter outside its valid range.
public struct FeatureParameterError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var value: String
    public var expected: String
    public var description: String { "feature parameter \(key) = \(value) is invalid: expected \(expected)" }
}
