import SeededRandom

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Renders one utterance with a Klatt-style source-filter model.
///
/// Source: a Rosenberg glottal-flow pulse train, differentiated (lip radiation), with per-cycle jitter and
/// shimmer, a one-pole spectral-tilt low-pass, a fixed high-frequency emphasis and pulse-synchronous
/// aspiration noise (breathiness). Filter: five cascaded formant resonators; F1–F4 follow the phone targets,
/// smoothed over ~15 ms (coarticulation), F5 is fixed. Consonants add band-passed noise (frication, plosive bursts) and aspiration through the
/// vocal tract. Controls (formants, amplitudes, f0) are updated once per millisecond; everything else runs
/// per sample. Cost O(samples) with a few dozen flops per sample and no allocation in the loop.
public enum SynthRenderer {
    /// Files whose peak would exceed this are scaled down as a whole (see ``SynthesizedUtterance/limiterGain``).
    public static let peakLimit: Float = 0.95
    /// Linear gain that puts a neutral utterance of an average actor at about −31 dBFS RMS over its speech
    /// (RAVDESS speech is quieter still: neutral ≈ −43, strong anger ≈ −19 dBFS).
    static let referenceGain: Float = 0.018
    /// Background noise amplitude (uniform), about −91 dBFS RMS (±1.6 LSB at 16 bits): silences are not digital
    /// zero, yet as quiet as in RAVDESS, so silence trimming treats both alike.
    static let noiseFloor: Float = 0.00005
    /// First-order high-frequency emphasis of the voiced source, `y = x + k·(x[n] − x[n−1])` (+12 dB at 2 kHz
    /// re 500 Hz at 16 kHz). Plays the part of Klatt's higher-pole correction: without it a five-formant
    /// cascade falls ~20 dB too fast above 1.5 kHz compared with the long-term spectrum of RAVDESS speech.
    static let emphasis: Float = 4
    /// Level of frication and bursts relative to the voiced path.
    static let fricationGain: Float = 3.6
    /// Every file lasts this long (seconds): pauses shrink or grow to fit when the speech is very slow or fast.
    public static let durationRange = 1.5...3.0
    /// Exponent of the f0 compensation of the source level (measured: keeps speech RMS within ~1.5 dB for f0 100–250 Hz).
    static let sourceExponent: Float = 0.7

    /// Renders the utterance described by `parameters` at `sampleRate`, drawing random numbers from `rng`.
    public static func render(_ parameters: SynthParameters, sampleRate: Int, rng: inout Xoshiro256)
        -> SynthesizedUtterance
    {
        let p = parameters
        let sr = Float(sampleRate)
        let phones = SynthSentences.phones(statement: p.id.statement)

        // Timeline: vowels stretch with the rate fully, consonants only partly (as in real speech).
        var lengths: [Int] = []
        for phone in phones {
            let stretch = phone.isVowel ? 1 / p.rate : (1 / p.rate).squareRoot()
            let stress = phone.stressed ? 1.15 : 1
            let seconds = Double(phone.milliseconds) / 1000 * stretch * stress * (1 + 0.07 * rng.nextNormal())
            lengths.append(max(Int(0.02 * Double(sampleRate)), Int((seconds * Double(sampleRate)).rounded())))
        }
        let speechLength = lengths.reduce(0, +)
        let speechSeconds = Double(speechLength) / Double(sampleRate)
        // Pauses around the speech, adjusted so the file lasts 1.5–3 s (the documented range).
        var lead = p.leadingSilence
        var trail = p.trailingSilence
        let longest = max(0.16, durationRange.upperBound - speechSeconds)
        if lead + trail > longest {
            let shrink = longest / (lead + trail)
            lead *= shrink
            trail *= shrink
        }
        trail += max(0, durationRange.lowerBound - (speechSeconds + lead + trail))
        let speechStart = Int((lead * Double(sampleRate)).rounded())
        var starts: [Int] = []
        var cursor = speechStart
        for length in lengths {
            starts.append(cursor)
            cursor += length
        }
        let speechEnd = cursor
        let shortest = Int((durationRange.lowerBound * Double(sampleRate)).rounded(.up))
        let longestFile = Int((durationRange.upperBound * Double(sampleRate)).rounded(.down))
        let total = max(
            shortest, speechEnd + sampleRate / 20,  // never cut the speech itself
            min(longestFile, speechEnd + Int((trail * Double(sampleRate)).rounded())))

        // Accent centres: the middle of each stressed vowel, in seconds from the start of the file.
        var accents: [Double] = []
        for (i, phone) in phones.enumerated() where phone.stressed {
            accents.append((Double(starts[i]) + 0.5 * Double(lengths[i])) / Double(sampleRate))
        }

        let hop = max(1, sampleRate / 1000)
        let hopSeconds = Float(hop) / sr
        let formantSmoothing = 1 - expf(-hopSeconds / 0.015)
        let amplitudeSmoothing = 1 - expf(-hopSeconds / 0.005)
        let noiseSmoothing = 1 - expf(-hopSeconds / 0.002)
        let formantScale = Float(p.formantScale)
        let bandwidthTargets: SIMD4<Float> = [80, 100, 150, 250]
        let nasalBandwidths: SIMD4<Float> = [150, 200, 250, 300]

        var r1 = SynthResonator(), r2 = SynthResonator(), r3 = SynthResonator(), r4 = SynthResonator()
        var r5 = SynthResonator()  // fixed fifth formant
        r5.tune(frequency: 4500 * formantScale, bandwidth: 300, sampleRate: sr)
        var bandPass = SynthBandPass()
        var formants = phones[0].formants * formantScale
        var bandwidths = bandwidthTargets
        var voicing: Float = 0, frication: Float = 0, aspiration: Float = 0

        var phase: Float = 0
        var previousFlow: Float = 0
        var tiltState: Float = 0
        var previousTilt: Float = 0
        var f0: Float = Float(p.f0Hz)
        var cycleF0Factor: Float = 1
        var cycleAmplitude: Float = 1
        let tilt = Float(p.tilt)
        let openQuotient = Float(p.openQuotient)
        let breathiness = Float(p.breathiness)
        let jitter = p.jitter
        let shimmer = p.shimmer
        let gain = referenceGain * powf(10, Float(p.levelDB) / 20)
        let sourceGain = 0.25 * (openQuotient / 0.6).squareRoot()
        // Pulse derivative scale for an instantaneous f0: by the period, so pulse strength does not grow with
        // f0, and partly compensated for the extra energy short pulses put near F1 (≈ +7 dB per octave).
        func scale(_ f0: Float) -> Float { (sr / f0) * powf(120 / f0, sourceExponent) * sourceGain }
        var pulseScale: Float = 0
        let burstSamples = max(1, Int(0.012 * Double(sampleRate)))

        var out: [Float] = []
        var phoneIndex = -1
        var f0Sum = 0.0
        var voicedCount = 0

        let output = UnsafeMutablePointer<Float>.allocate(capacity: total)
        defer { output.deallocate() }
        var untilControl = 0
        for n in 0..<total {
            if untilControl == 0 {
                untilControl = hop
                // Which phone are we in?
                while phoneIndex + 1 < phones.count && n >= starts[phoneIndex + 1] { phoneIndex += 1 }
                let inSpeech = n >= speechStart && n < speechEnd && phoneIndex >= 0
                var voicingTarget: Float = 0
                var fricationTarget: Float = 0
                var aspirationTarget: Float = 0
                var formantTarget = formants
                var bandwidthTarget = bandwidthTargets
                if inSpeech {
                    let phone = phones[phoneIndex]
                    let offset = n - starts[phoneIndex]
                    if offset < hop && phone.noiseLevel > 0 {  // keep the last band while hiss decays
                        bandPass.tune(
                            centre: phone.noiseHz * formantScale.squareRoot(), bandwidth: phone.noiseBandwidth,
                            sampleRate: sr)
                    }
                    let fraction = Float(offset) / Float(lengths[phoneIndex])
                    formantTarget = (phone.formants + (phone.endFormants - phone.formants) * fraction) * formantScale
                    let next = phoneIndex + 1 < phones.count ? phones[phoneIndex + 1] : phone
                    switch phone.kind {
                    case .vowel:
                        voicingTarget = phone.stressed ? 1.2 : 1
                    case .approximant:
                        voicingTarget = 0.6
                    case .nasal:
                        voicingTarget = 0.3
                        bandwidthTarget = nasalBandwidths
                    case .fricative:
                        fricationTarget = phone.noiseLevel
                    case .voicedFricative:
                        voicingTarget = 0.3
                        fricationTarget = phone.noiseLevel
                    case .plosive, .voicedPlosive:
                        let voiced = phone.kind == .voicedPlosive
                        let closure = Int(0.6 * Float(lengths[phoneIndex]))
                        if offset < closure {
                            voicingTarget = voiced ? 0.08 : 0
                        } else if offset < closure + burstSamples {
                            fricationTarget = phone.noiseLevel
                            frication = phone.noiseLevel  // a burst starts abruptly
                            voicingTarget = voiced ? 0.3 : 0
                        } else {
                            aspirationTarget = voiced ? 0 : 0.3
                            voicingTarget = voiced ? 0.6 : 0
                            formantTarget = next.formants * formantScale
                        }
                    }
                }
                formants += (formantTarget - formants) * formantSmoothing
                bandwidths += (bandwidthTarget - bandwidths) * formantSmoothing
                voicing += (voicingTarget - voicing) * amplitudeSmoothing
                aspiration += (aspirationTarget - aspiration) * amplitudeSmoothing
                frication += (fricationTarget - frication) * noiseSmoothing
                r1.tune(frequency: formants[0], bandwidth: bandwidths[0], sampleRate: sr)
                r2.tune(frequency: formants[1], bandwidth: bandwidths[1], sampleRate: sr)
                r3.tune(frequency: formants[2], bandwidth: bandwidths[2], sampleRate: sr)
                r4.tune(frequency: formants[3], bandwidth: bandwidths[3], sampleRate: sr)
                // Pitch contour (semitones around the target mean).
                let t = Double(n) / Double(sampleRate)
                let u = min(1, max(0, Double(n - speechStart) / Double(speechEnd - speechStart)))
                var semitones = p.declination * (u - 0.5)
                for centre in accents {
                    let d = (t - centre) / 0.09
                    semitones += p.accent * exp(-0.5 * d * d)
                }
                let finalPart = min(1, max(0, (u - 0.8) / 0.2))
                semitones += p.finalMove * finalPart * finalPart * (3 - 2 * finalPart)
                semitones += p.tremor * sin(2 * Double.pi * p.tremorHz * t)
                semitones = min(14, max(-12, semitones))
                f0 = Float(min(650, max(55, p.f0Hz * pow(2, semitones / 12))))
                pulseScale = scale(f0 * cycleF0Factor)
            }

            // Glottal source.
            let instantF0 = f0 * cycleF0Factor
            phase += instantF0 / sr
            if phase >= 1 {
                phase -= 1
                cycleF0Factor = Float(1 / max(0.8, 1 + jitter * rng.nextNormal()))
                cycleAmplitude = Float(max(0.3, 1 + shimmer * rng.nextNormal()))
                pulseScale = scale(f0 * cycleF0Factor)
            }
            let flow = synthRosenbergFlow(phase: phase, openQuotient: openQuotient)
            let derivative = (flow - previousFlow) * pulseScale
            previousFlow = flow
            tiltState = (1 - tilt) * derivative + tilt * tiltState
            let emphasised = tiltState + emphasis * (tiltState - previousTilt)
            previousTilt = tiltState

            let bits = rng.next()
            let noiseA = (Float(bits >> 40) * (2.0 / 16_777_216.0) - 1) * 1.732
            let noiseB = (Float((bits >> 16) & 0xFF_FFFF) * (2.0 / 16_777_216.0) - 1) * 1.732
            let noiseC = Float(bits & 0xFFFF) * (2.0 / 65_536.0) - 1

            let breath = breathiness * voicing * (0.3 + 0.7 * flow)
            var x = emphasised * voicing * cycleAmplitude + noiseA * (0.35 * breath + 0.12 * aspiration)
            x = r5.process(r4.process(r3.process(r2.process(r1.process(x)))))
            let hiss = bandPass.process(noiseB * frication) * fricationGain
            output[n] = (x + hiss) * gain + noiseC * noiseFloor
            untilControl -= 1

            if voicing >= 0.2 {
                f0Sum += Double(instantF0)
                voicedCount += 1
            }
        }

        out = Array(UnsafeBufferPointer(start: output, count: total))
        var peak: Float = 0
        for v in out where !(abs(v) <= peak) { peak = abs(v) }  // a NaN makes the peak NaN
        var limiterGain: Float = 1
        if peak > peakLimit {
            limiterGain = peakLimit / peak * 0.9999  // margin for rounding
            for i in out.indices { out[i] *= limiterGain }
            peak = 0
            for v in out where !(abs(v) <= peak) { peak = abs(v) }
        }
        return SynthesizedUtterance(
            parameters: p, sampleRate: sampleRate, samples: out,
            meanF0Hz: voicedCount > 0 ? f0Sum / Double(voicedCount) : 0, speechSeconds: speechSeconds, peak: peak,
            limiterGain: limiterGain)
    }
}
