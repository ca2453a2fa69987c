import Foundation
import Plots
import Reports

/// Made-up but plausible report data: an 8-class RAVDESS-like run (fake but realistic curves), a fake
/// LR-finder sweep, a confusion matrix, and top losses with synthetic spectrogram pictures.
enum ExampleReportData {
    static let classes = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]

    static func run(name: String, lr: Double, epochs: Int, quality: Double, seed: UInt64) -> RunReportData {
        var rng = SplitMix(state: seed)
        func noise(_ scale: Double) -> Double { (Double.random(in: -1...1, using: &rng)) * scale }
        let history = (1...epochs).map { e -> ReportEpoch in
            let t = Double(e) / Double(epochs)
            let train = 2.08 * exp(-2.6 * t * quality) + 0.18 + noise(0.03)
            let valid = 2.08 * exp(-2.0 * t * quality) + 0.55 + 0.25 * t * t + noise(0.05)
            let acc = min(0.95, 0.125 + 0.6 * quality * (1 - exp(-3.5 * t)) + noise(0.02))
            return ReportEpoch(
                epoch: e, trainLoss: train, validLoss: valid, accuracy: acc, uar: acc - 0.02 + noise(0.01))
        }
        let lrs = (0..<100).map { 1e-7 * pow(1e8, Double($0) / 99) }
        let losses = lrs.map { r -> Double in
            let x = log10(r)
            let base = 2.1 - 0.9 / (1 + exp(-(x + 3.6) * 2.2))
            return x > -1.6 ? base + exp((x + 1.6) * 3.2) - 1 : base
        }
        let suggestion = { (method: String, lr: Double) -> LRSuggestionMarker in
            let i = lrs.enumerated().min { abs(log10($0.element) - log10(lr)) < abs(log10($1.element) - log10(lr)) }!
                .offset
            return LRSuggestionMarker(method: method, learningRate: lrs[i], loss: losses[i])
        }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 8), count: 8)
        for r in 0..<8 {
            let total = r == 0 ? 24 : 48
            var left = total
            let correct = Int(Double(total) * (0.45 + 0.4 * quality) + noise(4))
            counts[r][r] = correct
            left -= correct
            while left > 0 {
                let c = [r + 1, r + 3, r + 5, r + 7][Int.random(in: 0..<4, using: &rng)] % 8
                counts[r][c] += 1
                left -= 1
            }
        }
        let totalPredicted = (0..<8).map { c in counts.reduce(0) { $0 + $1[c] } }
        let perClass = classes.enumerated().map { i, name -> ReportClassScores in
            let support = counts[i].reduce(0, +)
            let recall = Double(counts[i][i]) / Double(support)
            let precision = Double(counts[i][i]) / Double(max(totalPredicted[i], 1))
            return ReportClassScores(
                name: name, precision: precision, recall: recall, f1: 2 * precision * recall / (precision + recall),
                support: support)
        }
        var pairs: [ReportConfusedPair] = []
        for r in 0..<8 {
            for c in 0..<8 where r != c && counts[r][c] > 0 {
                pairs.append(ReportConfusedPair(actual: classes[r], predicted: classes[c], count: counts[r][c]))
            }
        }
        pairs.sort { $0.count > $1.count }
        let top = (0..<4).map { i -> ReportTopLoss in
            let actual = classes[(i * 3) % 8]
            let predicted = classes[(i * 3 + 2) % 8]
            return ReportTopLoss(
                file: "Actor_\(String(format: "%02d", 17 + i))/03-01-0\(i + 3)-01-01-01-\(17 + i).flac", actual: actual,
                predicted: predicted, probability: 0.97 - Double(i) * 0.06, loss: 4.1 - Double(i) * 0.4,
                spectrogram: ReportSpectrogram(
                    png: fakeSpectrogram(seed: seed &+ UInt64(i)), durationSeconds: 3.2 + Double(i) * 0.2,
                    maxFrequencyHz: 8000, frequencyScale: .mel(htk: false),
                    colorBar: .viridis(label: "Level", unit: "dB", domain: -80...0)))
        }
        let last = history.last!
        let spec = """
            name: \(name)
            data:
              dataset: ravdess
              labels: emotion8
              split: {by: actor, valid: [Actor_17, Actor_18, Actor_19, Actor_20]}
            features: {sample_rate: 16000, n_fft: 512, hop: 160, n_mels: 64}
            model: {arch: resnet18, width: 32}
            train: {epochs: \(epochs), lr: \(ChartTicks.scientific(lr)), batch_size: 32, schedule: one_cycle}
            """
        return RunReportData(
            name: name, specYAML: spec,
            parameters: [
                ReportParameter("data.dataset", "ravdess"), ReportParameter("model.arch", "resnet18"),
                ReportParameter("train.epochs", String(epochs)), ReportParameter("train.lr", ChartTicks.scientific(lr)),
                ReportParameter("train.batch_size", "32"),
            ],
            metrics: [
                ReportMetric(name: "Accuracy", value: last.accuracy!, isFraction: true),
                ReportMetric(name: "UAR", value: last.uar!, isFraction: true),
                ReportMetric(name: "Macro-F1", value: perClass.map(\.f1).reduce(0, +) / 8, isFraction: true),
                ReportMetric(name: "Valid loss", value: last.validLoss!, higherIsBetter: false),
            ],
            epochs: history,
            lrFinder: LRFinderCurve(
                learningRates: lrs, losses: losses,
                suggestions: [
                    suggestion("valley", 1.3e-3), suggestion("slide", 4e-3), suggestion("minimum", 2.5e-2),
                    suggestion("steep", 2e-4),
                ]),
            confusion: ReportConfusion(classNames: classes, counts: counts), perClass: perClass,
            mostConfused: Array(pairs.prefix(6)), topLosses: top)
    }

    /// A 200×64 picture that looks like a log-mel spectrogram: harmonics of a gliding pitch, in viridis.
    static func fakeSpectrogram(seed: UInt64) -> Data {
        var rng = SplitMix(state: seed)
        let w = 200
        let h = 64
        var level = [[Double]](repeating: [Double](repeating: 0, count: w), count: h)
        for x in 0..<w {
            let voiced = x > 20 && x < 170
            let pitch = 6 + 3 * sin(Double(x) / 30)
            for y in 0..<h {
                let band = Double(h - 1 - y)
                var v = 0.15 + 0.1 * Double.random(in: 0...1, using: &rng)
                if voiced {
                    for k in 1...8 {
                        let f = pitch * Double(k) * 0.9
                        v += 0.7 / Double(k) * exp(-pow(band - f * 0.9, 2) / 2)
                    }
                }
                level[y][x] = min(1, v)
            }
        }
        return TinyPNG.encode(width: w, height: h) { x, y in
            let c = ChartHeatScale.rgb(level[y][x])
            return (UInt8(c.red * 255), UInt8(c.green * 255), UInt8(c.blue * 255))
        }
    }
}

/// SplitMix64: a seeded generator local to these fixtures.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
