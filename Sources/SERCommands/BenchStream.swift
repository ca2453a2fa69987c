import ArgumentParser
import BLAS
import Datasets
import Features
import Foundation
import NeuralNet
import SeededRandom
import Training

/// `ser bench stream`: one training epoch on a large synthetic feature set, streamed from a file
/// (as `ser run` trains) and held in memory, side by side: peak resident memory and samples per second.
struct BenchStream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract:
            "Train one epoch on a large synthetic feature set, streamed and in memory: peak memory and samples per second."
    )

    @Option(help: "Utterances (synthetic feature matrices).")
    var items = 50_000

    @Option(help: "Mel bands per matrix.")
    var mels = 32

    @Option(help: "Frames per example (the crop); items are 1–2× as long.")
    var frames = 64

    @Option(help: "Samples per batch.")
    var batch = 64

    @Option(help: "Threads for BLAS and element-wise loops (default: all cores).")
    var threads: Int?

    @Option(help: "Folder for the streamed file (unlinked at once; default: the temporary folder).")
    var directory: String?

    @Flag(help: "Measure the streamed path only (skip the in-memory one, e.g. when it does not fit).")
    var streamOnly = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard items >= 2 * batch, batch >= 2 else {
            throw ValidationError(
                "--items must be at least 2 × --batch and --batch at least 2, got \(items), \(batch).")
        }
        guard mels >= 8, frames >= 8 else {
            throw ValidationError("--mels and --frames must be at least 8, got \(mels)×\(frames).")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be positive, got \(threads).") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: directory ?? NSTemporaryDirectory(), isDirectory: true)
        let report = try StreamBenchmark.run(
            items: items, mels: mels, frames: frames, batch: batch, threads: threads, directory: folder,
            streamOnly: streamOnly)
        print(json ? try report.jsonString() : report.text)
    }
}

/// What `ser bench stream` measures.
struct StreamBenchmark: Codable {
    struct Path: Codable {
        var samplesPerSecond: Double
        var seconds: Double
        /// Process CPU seconds (all threads) for the epoch: robust when other processes share the cores.
        var cpuSeconds: Double
        /// The process's peak resident set after this path (the streamed path runs first).
        var peakRSSMebibytes: Double
        var featureMebibytes: Double
    }
    var items: Int
    var input: [Int]
    var model: String
    var threads: Int
    var blasCore: String
    var streamed: Path
    var inMemory: Path?
    /// Whether both paths ended with the same weights, bit for bit.
    var identicalWeights: Bool?

    static let classes = 4

    /// Item `i` of the synthetic set: `mels × (frames…2·frames)` values from a generator seeded by `i`, with
    /// a class-dependent band, so both paths see the same floats without keeping them.
    static func matrix(_ i: Int, mels: Int, frames: Int) -> FeatureMatrix {
        var rng = Xoshiro256(seed: UInt64(i) &+ 1)
        let length = frames + Int(rng.next(upperBound: UInt64(frames + 1)))
        var values = [Float](repeating: 0, count: mels * length)
        let band = (i % classes) * mels / classes
        for r in 0..<mels {
            let boost: Float = r >= band && r < band + mels / classes ? 6 : 0
            for t in 0..<length { values[r * length + t] = Float(rng.nextNormal()) * 3 + boost - 40 }
        }
        return FeatureMatrix(rows: mels, frames: length, values: values)
    }

    static func run(
        items count: Int, mels: Int, frames: Int, batch: Int, threads: Int?, directory: URL, streamOnly: Bool
    ) throws -> StreamBenchmark {
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return try Engine.with(threads: threadCount) {
            let items = (0..<count).map { i in
                let file = DatasetFile(path: "/bench/item\(i).wav", relativePath: "item\(i).wav", speaker: "s\(i % 10)")
                return DatasetItem(file: file, classIndex: i % classes, label: "c\(i % classes)")
            }
            let classNames = (0..<classes).map { "c\($0)" }
            let file = try StreamedFeatures.write(count: count, in: directory) {
                matrix($0, mels: mels, frames: frames)
            }
            let streamedData = FeatureDataset(items: items, classNames: classNames, streamed: file)
            let (streamed, streamedModel) = try epoch(streamedData, frames: frames, batch: batch)
            var report = StreamBenchmark(
                items: count, input: [batch, 1, mels, frames], model: "ResNet-10 (small stem, width 8, 4 classes)",
                threads: threadCount, blasCore: BLASKernels.coreName, streamed: streamed)
            guard !streamOnly else { return report }
            let memoryData = FeatureDataset(
                items: items, classNames: classNames,
                features: (0..<count).map { matrix($0, mels: mels, frames: frames) })
            let (inMemory, memoryModel) = try epoch(memoryData, frames: frames, batch: batch)
            report.inMemory = inMemory
            report.identicalWeights =
                streamedModel.stateDict.map(\.tensor.scalars) == memoryModel.stateDict.map(\.tensor.scalars)
            return report
        }
    }

    /// One epoch (training on all but the last 512 items, validating on those), timed.
    static func epoch(_ data: FeatureDataset, frames: Int, batch: Int) throws -> (Path, ResNet) {
        var rng = Xoshiro256(seed: 1)
        let model = ResNet(classCount: classes, depth: .resNet10, width: 8, stem: .smallInput, using: &rng)
        let valid = min(512, data.count / 4)
        let split = SplitIndices(
            train: Array(0..<(data.count - valid)), valid: Array((data.count - valid)..<data.count))
        let configuration = LearnerConfiguration(
            batches: BatchConfiguration(batchSize: batch, frames: frames, augmentation: .none), seed: 1)
        let learner = Learner(model: model, optimizer: Adam(), data: data, split: split, configuration: configuration)
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
        try learner.fit(epochs: 1, lr: 1e-3)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = cpuSeconds() - cpuStart
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let path = Path(
            samplesPerSecond: Double(split.train.count) / seconds, seconds: seconds, cpuSeconds: cpu,
            peakRSSMebibytes: Double(usage.ru_maxrss) / 1024, featureMebibytes: Double(data.byteCount) / 1_048_576)
        return (path, learner.model)
    }

    var text: String {
        func line(_ name: String, _ p: Path) -> String {
            String(
                format: "%@ %8.1f samples/s  %7.1f s  (CPU %7.1f s)  peak RSS %7.1f MiB  (features %.0f MiB)", name,
                p.samplesPerSecond, p.seconds, p.cpuSeconds, p.peakRSSMebibytes, p.featureMebibytes)
        }
        var lines = [
            "\(items) items, input \(input.map(String.init).joined(separator: "×")), \(model), \(threads) threads, BLAS \(blasCore)",
            line("streamed ", streamed),
        ]
        if let inMemory {
            lines.append(line("in memory", inMemory))
            lines.append(
                String(
                    format: "streamed / in memory: %.2f× samples/s",
                    streamed.samplesPerSecond / inMemory.samplesPerSecond))
        }
        if let identicalWeights {
            lines.append("identical weights after the epoch: \(identicalWeights ? "yes" : "NO")")
        }
        return lines.joined(separator: "\n")
    }

    func jsonString() throws -> String { try StoreFormat.json(self) }
}
