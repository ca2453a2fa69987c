import FFTW

/// Short-time Fourier transform magnitudes like `librosa.stft` 0.11 followed by `abs(·)**power`:
/// periodic Hann window of `winLength` centred in `nFFT`, frames every `hopLength` samples, and with
/// `center` the signal padded by `nFFT / 2` zeros on both sides (`pad_mode='constant'`).
public struct STFT: Sendable {
    public let nFFT: Int
    public let hopLength: Int
    public let center: Bool
    /// The analysis window, `nFFT` long (the Hann window of `winLength` zero-padded to the centre).
    public let window: [Float]

    public init(nFFT: Int, hopLength: Int, winLength: Int? = nil, center: Bool = true) {
        self.nFFT = nFFT
        self.hopLength = hopLength
        self.center = center
        window = Self.hannWindow(length: winLength ?? nFFT, paddedTo: nFFT)
    }

    /// Number of frequency bins, `nFFT / 2 + 1`.
    public var binCount: Int { nFFT / 2 + 1 }

    /// Periodic Hann window `0.5 − 0.5·cos(2πn/N)` (scipy's `get_window('hann', N, fftbins=True)`),
    /// computed in double precision, centred in `paddedTo` samples like `librosa.util.pad_center`.
    public static func hannWindow(length: Int, paddedTo size: Int) -> [Float] {
        var w = [Float](repeating: 0, count: size)
        let left = (size - length) / 2
        for n in 0..<length {
            w[left + n] = Float(0.5 - 0.5 * _cos(2 * Double.pi * Double(n) / Double(length)))
        }
        return w
    }

    /// Frames produced from `sampleCount` samples (librosa's count).
    public func frameCount(sampleCount: Int) -> Int {
        let padded = center ? sampleCount + 2 * (nFFT / 2) : sampleCount
        return padded < nFFT ? 0 : 1 + (padded - nFFT) / hopLength
    }

    /// `|STFT|^power` of `samples`, stored frame-major: `frames × binCount`, element `[t * binCount + k]`.
    ///
    /// - Parameters:
    ///   - power: 1 (magnitude) or 2 (power).
    ///   - fft: a transform of size `nFFT` owned by the calling thread (made when nil).
    /// - Complexity: O(frames · nFFT · log nFFT); one FFT per frame, no allocation per frame.
    public func spectrogram(_ samples: [Float], power: Float = 2, fft: RealFFT? = nil) -> (frames: Int, values: [Float])
    {
        let frames = frameCount(sampleCount: samples.count)
        let bins = binCount
        var out = [Float](repeating: 0, count: frames * bins)
        out.withUnsafeMutableBufferPointer { s in
            forEachFrame(samples, power: power, fft: fft) { t, row in
                (s.baseAddress! + t * bins).update(from: row.baseAddress!, count: bins)
            }
        }
        return (frames, out)
    }

    /// Calls `body(t, spectrum)` for every frame t in order, with `|X_t[k]|^power` for the
    /// `binCount` bins in a buffer valid only during the call. Lets callers reduce each frame
    /// (e.g. project it on mel filters) while it is in cache, without a frames × bins array.
    public func forEachFrame(
        _ samples: [Float], power: Float = 2, fft: RealFFT? = nil,
        _ body: (Int, UnsafeBufferPointer<Float>) -> Void
    ) {
        let fft = fft ?? RealFFT(size: nFFT)
        precondition(fft.size == nFFT, "FFT of size \(fft.size) given for nFFT \(nFFT)")
        let frames = frameCount(sampleCount: samples.count)
        let bins = binCount
        let offset = center ? nFFT / 2 : 0
        let n = samples.count
        // A separate spectrum buffer (not in place in the FFT output) lets the compiler vectorise.
        let spectrum = UnsafeMutablePointer<Float>.allocate(capacity: bins)
        defer { spectrum.deallocate() }
        samples.withUnsafeBufferPointer { x in
            window.withUnsafeBufferPointer { w in
                let input = fft.input.baseAddress!
                let output = fft.output.baseAddress!
                for t in 0..<frames {
                    let start = t * hopLength - offset  // first sample of the frame in `samples`
                    if start >= 0 && start + nFFT <= n {
                        // Base pointers and wrapping arithmetic: no overflow checks, so this vectorises.
                        let source = x.baseAddress! + start
                        let window = w.baseAddress!
                        for i in 0..<nFFT { input[i] = source[i] * window[i] }
                    } else {
                        for i in 0..<nFFT {
                            let j = start + i
                            input[i] = (j >= 0 && j < n) ? x[j] * w[i] : 0
                        }
                    }
                    fft.forward()
                    if power == 2 {
                        for k in 0..<bins {
                            let re = output[2 * k]
                            let im = output[2 * k + 1]
                            spectrum[k] = re * re + im * im
                        }
                    } else if power == 1 {
                        for k in 0..<bins {
                            let re = output[2 * k]
                            let im = output[2 * k + 1]
                            spectrum[k] = (re * re + im * im).squareRoot()
                        }
                    } else {
                        for k in 0..<bins {
                            let re = output[2 * k]
                            let im = output[2 * k + 1]
                            spectrum[k] = _pow((re * re + im * im).squareRoot(), power)
                        }
                    }
                    body(t, UnsafeBufferPointer(start: spectrum, count: bins))
                }
            }
        }
    }
}
