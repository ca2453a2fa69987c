import ArgumentParser
import BLAS
import Foundation
import NeuralNet
import SeededRandom

/// `ser bench train`: ResNet training and inference throughput on random spectrogram-sized input.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Measure ResNet training and inference samples per second, GFLOPS and peak memory on random input.")

    @Option(help: "ResNet depth: 10, 18, 34 or 50.")
    var depth = 18

    @Option(help: "Input height (mel bands).")
    var mels = 128

    @Option(help: "Input width (frames).")
    var frames = 256

    @Option(help: "Samples per batch.")
    var batch = 32

    @Option(help: "Channels of the first stage.")
    var width = 64

    @Option(help: "Output classes.")
    var classes = 8

    @Option(help: "Stem: imagenet (7×7 stride 2 + max-pool) or small (3×3, no down-sampling).")
    var stem = ResNet.Stem.imageNet.rawValue

    @Option(help: "Timed training steps (after one warm-up step).")
    var steps = 5

    @Option(help: "Threads for BLAS and element-wise loops (default: all cores).")
    var threads: Int?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: .hidden)
    var inferenceOnly = false

    func validate() throws {
        guard ResNet.Depth(rawValue: depth) != nil else {
            throw ValidationError("--depth must be 10, 18, 34 or 50, got \(depth).")
        }
        guard ResNet.Stem(rawValue: stem) != nil else {
            let stems = ResNet.Stem.allCases.map(\.rawValue).joined(separator: " or ")
            throw ValidationError("--stem must be \(stems), got \(stem).")
        }
        guard mels >= 8, frames >= 8 else {
            throw ValidationError("--mels and --frames must be at least 8, got \(mels)×\(frames).")
        }
        guard batch >= 2 else {
            throw ValidationError("--batch must be at least 2 (BatchNorm needs a batch), got \(batch).")
        }
        guard steps >= 1, width >= 1, classes >= 2 else {
            throw ValidationError("--steps and --width must be positive and --classes at least 2.")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be positive, got \(threads).") }
    }

    func run() throws {
        let report = TrainingBenchmark.run(
            depth: ResNet.Depth(rawValue: depth)!, stem: ResNet.Stem(rawValue: stem)!, width: width, classes: classes,
            mels: mels, frames: frames, batch: batch, steps: steps, threads: threads, inferenceOnly: inferenceOnly)
        print(json ? try report.jsonString() : report.text)
    }
}

/// What `ser bench train` measures.
struct TrainingBenchmark: Codable {
    var model: String
    var input: [Int]
    var threads: Int
    var blasCore: String
    var trainingSamplesPerSecond: Double
    var trainingGFLOPS: Double
    var inferenceSamplesPerSecond: Double
    var inferenceGFLOPS: Double
    var peakRSSMebibytes: Double
    /// Process CPU seconds (all threads) per timed training step: robust when other processes share the cores.
    var trainingCPUSecondsPerStep: Double
    var inferenceCPUSecondsPerBatch: Double

    static func run(
        depth: ResNet.Depth, stem: ResNet.Stem, width: Int, classes: Int, mels: Int, frames: Int, batch: Int,
        steps: Int,
        threads: Int?, inferenceOnly: Bool = false
    ) -> TrainingBenchmark {
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return Engine.with(threads: threadCount) {
            measure(
                depth: depth, stem: stem, width: width, classes: classes, mels: mels, frames: frames, batch: batch,
                steps: steps, threadCount: threadCount, inferenceOnly: inferenceOnly)
        }
    }

    private static func measure(
        depth: ResNet.Depth, stem: ResNet.Stem, width: Int, classes: Int, mels: Int, frames: Int, batch: Int,
        steps: Int, threadCount: Int, inferenceOnly: Bool
    ) -> TrainingBenchmark {
        var rng = Xoshiro256(seed: 1)
        var model = ResNet(classCount: classes, depth: depth, width: width, stem: stem, using: &rng)
        var input = Tensor(shape: [batch, 1, mels, frames])
        input.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = Float(rng.nextNormal()) } }
        let labels = (0..<batch).map { $0 % classes }
        var optimizer = Adam(learningRate: 1e-3)
        let loss = CrossEntropyLoss()

        func trainStep() {
            let (_, gradient) = loss(model.forward(input, training: true), labels: labels)
            _ = model.backward(gradient)
            optimizer.step(&model)
        }
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        if !inferenceOnly { trainStep() }  // warm-up: buffers, BLAS threads
        var start = DispatchTime.now().uptimeNanoseconds
        var cpuStart = cpuSeconds()
        let trainFLOPs = Double(Engine.countingFLOPs { for _ in 0..<(inferenceOnly ? 0 : steps) { trainStep() } }.flops)
        let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let trainCPU = (cpuSeconds() - cpuStart) / Double(steps)

        _ = model.forward(input, training: false)
        start = DispatchTime.now().uptimeNanoseconds
        cpuStart = cpuSeconds()
        let inferFLOPs = Double(
            Engine.countingFLOPs { for _ in 0..<steps { _ = model.forward(input, training: false) } }.flops)
        let inferSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let inferCPU = (cpuSeconds() - cpuStart) / Double(steps)

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return TrainingBenchmark(
            model: "ResNet-\(depth.rawValue) (\(stem.rawValue) stem, width \(width), \(classes) classes)",
            input: [batch, 1, mels, frames], threads: threadCount, blasCore: BLASKernels.coreName,
            trainingSamplesPerSecond: Double(batch * steps) / trainSeconds,
            trainingGFLOPS: trainFLOPs / trainSeconds / 1e9,
            inferenceSamplesPerSecond: Double(batch * steps) / inferSeconds,
            inferenceGFLOPS: inferFLOPs / inferSeconds / 1e9,
            peakRSSMebibytes: Double(usage.ru_maxrss) / 1024, trainingCPUSecondsPerStep: trainCPU,
            inferenceCPUSecondsPerBatch: inferCPU)
    }

    var text: String {
        [
            "model      \(model)",
            "input      \(input.map(String.init).joined(separator: "×")) (N×C×mels×frames)",
            "threads    \(threads) (OpenBLAS \(blasCore))",
            String(
                format: "training   %.2f samples/s (forward + backward + AdamW), %.1f GFLOPS", trainingSamplesPerSecond,
                trainingGFLOPS),
            String(format: "inference  %.2f samples/s, %.1f GFLOPS", inferenceSamplesPerSecond, inferenceGFLOPS),
            String(format: "peak RSS   %.0f MiB", peakRSSMebibytes),
            String(
                format: "CPU time   %.2f s per training step, %.2f s per inference batch (all threads)",
                trainingCPUSecondsPerStep, inferenceCPUSecondsPerBatch),
        ].joined(separator: "\n")
    }

    func jsonString() throws -> String { try StoreFormat.json(self) }
}
