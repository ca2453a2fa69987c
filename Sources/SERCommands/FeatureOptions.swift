import ArgumentParser
import Features

/// The defaults of the flags below: `FeatureParameters`' own (the notebook's), declared there once.
private let notebook = FeatureParameters.notebook

/// A default as the flag is typed: `80`, not `80.0`.
private func spelled(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// A `--ref` default as the flag is typed: `max` or a number.
private func spelled(_ ref: DecibelReference) -> String {
    switch ref {
    case .max: return "max"
    case .value(let v): return spelled(v)
    }
}

/// Command-line flags named after the feature spec keys (librosa's argument names in kebab case),
/// defaulting to the notebook's parameters.
struct FeatureOptions: ParsableArguments {
    @Option(name: .customLong("sample-rate"), help: "Rate the audio is resampled to, in Hz.")
    var sampleRate: Int = notebook.sampleRate

    @Option(name: .customLong("n-fft"), help: "FFT length in samples.")
    var nFFT: Int = notebook.nFFT

    @Option(name: .customLong("hop-length"), help: "Samples between frames.")
    var hopLength: Int = notebook.hopLength

    @Option(name: .customLong("win-length"), help: "Hann window length in samples (default: n-fft).")
    var winLength: Int?

    @Option(name: .customLong("n-mels"), help: "Number of mel bands.")
    var nMels: Int = notebook.nMels

    @Option(help: "Lowest mel filter edge in Hz.")
    var fmin: Double = notebook.fmin

    @Option(help: "Highest mel filter edge in Hz (default: sample-rate / 2).")
    var fmax: Double?

    @Option(help: "Spectrogram exponent: 1 (magnitude) or 2 (power).")
    var power: Double = notebook.power

    @Flag(help: "Use the HTK mel formula instead of Slaney's.")
    var htk = notebook.htk

    @Option(help: "Mel filter normalisation: slaney or none.")
    var norm: String = notebook.norm.rawValue

    @Option(help: "dB reference: max (the loudest bin is 0 dB) or a power value such as 1.")
    var ref: String = spelled(notebook.ref)

    @Option(help: "Smallest power before taking the log.")
    var amin: Double = notebook.amin

    @Option(name: .customLong("top-db"), help: "Clip values more than this many dB below the peak, or none.")
    var topDB: String = notebook.topDB.map(spelled) ?? "none"

    @Option(name: .customLong("n-mfcc"), help: "Return this many MFCCs instead of mel bands.")
    var nMFCC: Int?

    @Option(help: "Delta features to append: 0, 1 (Δ) or 2 (Δ and Δ²).")
    var deltas: Int = notebook.deltas

    /// The parameters these flags describe, validated.
    func parameters() throws -> FeatureParameters {
        var p = FeatureParameters()
        p.sampleRate = sampleRate
        p.nFFT = nFFT
        p.hopLength = hopLength
        p.winLength = winLength
        p.nMels = nMels
        p.fmin = fmin
        p.fmax = fmax
        p.power = power
        p.htk = htk
        guard let n = MelNorm(rawValue: norm) else {
            throw ValidationError("--norm must be slaney or none, got \(norm).")
        }
        p.norm = n
        if ref == "max" {
            p.ref = .max
        } else if let value = Double(ref), value > 0 {
            p.ref = .value(value)
        } else {
            throw ValidationError("--ref must be max or a positive number, got \(ref).")
        }
        p.amin = amin
        if topDB == "none" {
            p.topDB = nil
        } else if let value = Double(topDB) {
            p.topDB = value
        } else {
            throw ValidationError("--top-db must be a number of dB or none, got \(topDB).")
        }
        p.nMFCC = nMFCC
        p.deltas = deltas
        do {
            try p.validate()
        } catch let error as FeatureParameterError {
            throw ValidationError("\(error)")
        }
        return p
    }

    func validate() throws { _ = try parameters() }
}
