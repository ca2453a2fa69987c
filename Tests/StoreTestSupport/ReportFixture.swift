import Foundation
import RunStore
import Runner
import SndFile
import Specs
import TestSupport

/// A real, file-backed run store in a temporary folder, filled through the RunStore API the way `ser run`
/// fills it: one experiment with a two-run sweep over `train.lr`, each with epochs, an LR-finder curve and
/// suggestions, a validation evaluation with per-file predictions whose audio files exist (short WAV tones),
/// run 1 also a test evaluation; one prediction points at a file that is gone.
public enum ReportFixture {
    public static let classes = ["neutral", "calm", "happy", "sad"]
    public static let spec = """
        name: fixture
        data: {synthetic: true}
        audio: {sample_rate: 16000, duration: 1.0}
        features: {n_fft: 512, hop_length: 160, n_mels: 40}
        model: {depth: 18}
        train: {epochs: 6, lr: 0.001}
        sweep:
          train.lr: [0.001, 0.004]
        """

    public struct Made {
        public var store: RunStore
        public var storePath: String
        public var runs: [Int64]
        /// Validation files that exist, and the one that does not.
        public var audio: [String]
        public var missing: String
    }

    public static func make(in directory: TemporaryDirectory) throws -> Made { try make(inFolder: directory.url.path) }

    /// The fixture in `folder` (created if needed): `runs/ser.sqlite` and `audio/*.wav`.
    public static func make(inFolder folder: String) throws -> Made {
        try FileManager.default.createDirectory(atPath: folder + "/runs", withIntermediateDirectories: true)
        let storePath = folder + "/runs/ser.sqlite"
        let store = try RunStore(path: storePath)
        let plan = try SpecLoader(checkPaths: false).load(yaml: spec, file: "fixture.yaml")
        let ids = try plan.enqueue(in: store, toolVersion: "test")

        // Eight one-second tones, two per class, as 16-bit WAV.
        let audioDir = folder + "/audio"
        try FileManager.default.createDirectory(atPath: audioDir, withIntermediateDirectories: true)
        var files: [String] = []
        for i in 0..<8 {
            let f0 = 150.0 * Double(i + 1)
            let samples = (0..<16_000).map { n -> Float in
                let t = Double(n) / 16_000
                return Float(0.4 * sin(2 * .pi * f0 * t) * (0.5 + 0.5 * sin(2 * .pi * 2 * t)))
            }
            let path = audioDir + "/03-01-0\(i % 4 + 1)-01-01-01-0\(i + 1).wav"
            try SoundFile.write(samples, sampleRate: 16_000, to: path)
            files.append(path)
        }
        let missing = audioDir + "/gone.wav"

        for (r, id) in ids.enumerated() {
            try store.markRunning(id)
            let epochs = 6
            for e in 1...epochs {
                let t = Double(e) / Double(epochs)
                try store.recordEpoch(
                    EpochMetricRecord(
                        runId: id, epoch: e, trainLoss: 1.4 - 0.9 * t + 0.05 * Double(r),
                        validLoss: 1.5 - 0.7 * t + 0.1 * t * t + 0.08 * Double(r),
                        accuracy: 0.3 + 0.45 * t - 0.05 * Double(r),
                        balancedAccuracy: 0.28 + 0.44 * t - 0.05 * Double(r), f1Macro: 0.25 + 0.45 * t, lr: 1e-3,
                        seconds: 3))
            }
            // An LR-finder sweep 1e-7 … 10 over 100 steps: flat, a descent, a valley, then divergence.
            let points = (0..<100).map { i -> LRFinderPointRecord in
                let lr = 1e-7 * pow(1e8, Double(i) / 99)
                let x = log10(lr)
                let loss = 1.4 - 0.8 / (1 + exp(-(x + 4.5) * 2)) + max(0, x + 1.5) * max(0, x + 1.5) * 0.9
                return LRFinderPointRecord(runId: id, iteration: i, lr: lr, loss: loss + 0.02, smoothedLoss: loss)
            }
            try store.recordLRFinder(
                runID: id, points: points,
                suggestions: [
                    LRSuggestionRecord(runId: id, method: "minimum", lr: 2.2e-3),
                    LRSuggestionRecord(runId: id, method: "steep", lr: 3.1e-5),
                    LRSuggestionRecord(runId: id, method: "valley", lr: 1.3e-3, chosen: true),
                ])
            let confusion =
                r == 0
                ? [[5, 1, 0, 0], [1, 4, 1, 0], [0, 2, 3, 1], [0, 0, 1, 5]]
                : [[4, 2, 0, 0], [2, 3, 1, 0], [0, 2, 2, 2], [1, 0, 1, 4]]
            var predictions: [PredictionRecord] = []
            for (i, path) in (files + [missing]).enumerated() {
                let truth = i % 4
                let predicted = (i * (r + 1) + (i > 3 ? 1 : 0)) % 4
                var p = [Double](repeating: 0.1, count: 4)
                p[predicted] = 0.7 - 0.05 * Double(i % 3)
                let total = p.reduce(0, +)
                p = p.map { $0 / total }
                predictions.append(
                    PredictionRecord(
                        runId: id, split: "valid", path: path, label: classes[truth], predicted: classes[predicted],
                        confidence: p[predicted], probabilities: p))
            }
            try store.recordEvaluation(
                EvaluationRecord(
                    runId: id, split: "valid", loss: 1.0 + 0.1 * Double(r), accuracy: 0.71 - 0.1 * Double(r),
                    balancedAccuracy: 0.7 - 0.1 * Double(r), f1Macro: 0.69 - 0.1 * Double(r), labels: classes,
                    confusion: confusion),
                classMetrics: [], predictions: predictions)
            if r == 0 {
                try store.recordEvaluation(
                    EvaluationRecord(
                        runId: id, split: "test", loss: 1.1, accuracy: 0.65, balancedAccuracy: 0.64, f1Macro: 0.63,
                        labels: classes, confusion: [[4, 2, 0, 0], [1, 5, 0, 0], [0, 1, 4, 1], [0, 1, 2, 3]]),
                    classMetrics: [], predictions: [])
            }
            try store.finish(id)
        }
        return Made(store: store, storePath: storePath, runs: ids, audio: files, missing: missing)
    }
}
