import Audio
import Datasets
import Features
import Foundation
import NeuralNet
import SeededRandom
import Synth
import TestSupport
import XCTest

@testable import Training

/// End-to-end smoke runs: features through the cache, an LR finder, a short one-cycle fit printing
/// the live table, and the test-set evaluation. Slow, so they run only when asked:
///
///     SER_SMOKE_RAVDESS=1 swift test --disable-swift-testing --filter SmokeRunTests/testRavdess
///     SER_SMOKE_SYNTH=1 swift test --disable-swift-testing --filter SmokeRunTests/testSyntheticCorpus
///
/// `SER_SMOKE_ACTORS` (default 4 for RAVDESS, 8 for the synthetic corpus), `SER_SMOKE_EPOCHS`,
/// `SER_SMOKE_DEPTH` (10/18/34/50) and `SER_SMOKE_WIDTH` change the size. The last actor validates,
/// the one before is the held-out test set.
final class SmokeRunTests: XCTestCase {
    let environment = ProcessInfo.processInfo.environment

    func testRavdess() throws {
        try XCTSkipIf(environment["SER_SMOKE_RAVDESS"] != "1", "set SER_SMOKE_RAVDESS=1 to run the RAVDESS smoke run")
        let root = try XCTUnwrap(SharedData.ravdess, "RAVDESS is not present")
        try run(root: root.path, actors: 4, epochs: 2, depth: .resNet18, width: 64)
    }

    func testSyntheticCorpus() throws {
        try XCTSkipIf(
            environment["SER_SMOKE_SYNTH"] != "1", "set SER_SMOKE_SYNTH=1 to run the synthetic-corpus smoke run")
        let actors = Int(environment["SER_SMOKE_ACTORS"] ?? "") ?? 8
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ser-smoke-synth-\(actors)").path
        let clock = Date()
        _ = try SyntheticCorpus(actors: actors, seed: 1).write(to: root)
        print(String(format: "synthetic corpus: %d actors in %.1f s", actors, Date().timeIntervalSince(clock)))
        try run(root: root, actors: actors, epochs: 6, depth: .resNet10, width: 16)
    }

    func run(
        root: String, actors defaultActors: Int, epochs defaultEpochs: Int, depth defaultDepth: ResNet.Depth,
        width defaultWidth: Int
    ) throws {
        let actors = Int(environment["SER_SMOKE_ACTORS"] ?? "") ?? defaultActors
        let epochs = Int(environment["SER_SMOKE_EPOCHS"] ?? "") ?? defaultEpochs
        let depth = ResNet.Depth(rawValue: Int(environment["SER_SMOKE_DEPTH"] ?? "") ?? 0) ?? defaultDepth
        let width = Int(environment["SER_SMOKE_WIDTH"] ?? "") ?? defaultWidth

        let dataset = try Dataset.load(root, layout: .ravdess)
        let keep = Set((1...actors).map { String(format: "%02d", $0) })
        let items = dataset.items.filter { keep.contains($0.speaker ?? "") }
        var parameters = FeatureParameters.notebook
        parameters.duration = 3
        let cache = try FeatureCache(
            directory: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ser-smoke-cache"),
            parameters: parameters, decode: { try AudioLoader.load($0, sampleRate: $1).samples })
        var clock = Date()
        let data = try FeatureDataset.load(
            items: items, classNames: dataset.classNames, cache: cache,
            progress: ProgressReporter(total: items.count, label: "features"))
        print(
            String(
                format: "features: %d files in %.1f s (%d MB in memory)", data.count, Date().timeIntervalSince(clock),
                data.byteCount >> 20))

        // The last actor validates, the one before is the held-out test set.
        let split = try makeSplit(
            speakers: data.speakers, kind: .speakers([String(format: "%02d", actors)]),
            testSpeakers: [String(format: "%02d", actors - 1)])
        var rng = Xoshiro256(seed: 42)
        let model = ResNet(classCount: data.classCount, depth: depth, width: width, using: &rng)
        let configuration = LearnerConfiguration(
            batches: BatchConfiguration(
                batchSize: 32, frames: parameters.fixedFrameCount!,
                augmentation: Augmentation(specAugment: .init(), mixupAlpha: 0.4)),
            seed: 42, bestMetric: .uar, output: .standard)
        let learner = Learner(model: model, optimizer: Adam(), data: data, split: split, configuration: configuration)
        print(
            "train \(split.train.count), valid \(split.valid.count), test \(split.test.count); ResNet-\(depth.rawValue) width \(width), \(learner.model.parameterCount) parameters"
        )

        clock = Date()
        let finder = try learner.lrFind(numIt: 30)
        let perStep = Date().timeIntervalSince(clock) / Double(finder.points.count)
        print(
            String(format: "lr_find: %d steps, %.2f s/step; ", finder.points.count, perStep)
                + finder.suggestions.map { "\($0.method.rawValue) \(String(format: "%.2e", $0.learningRate))" }.joined(
                    separator: ", "))

        clock = Date()
        var batchRNG = Xoshiro256(seed: 1)
        for _ in 0..<5 { _ = try learner.loader.trainingBatch(Array(split.train.prefix(32)), using: &batchRNG) }
        print(String(format: "batch assembly: %.1f ms per batch of 32", Date().timeIntervalSince(clock) / 5 * 1000))

        let summary = try learner.fitOneCycle(epochs: epochs, lrMax: finder.learningRate(.valley) ?? 1e-3)
        let test = try learner.evaluateTest()
        print(
            String(
                format: "fit: %.1f s; best epoch %d (uar %.3f); test accuracy %.3f, UAR %.3f, macro-F1 %.3f",
                summary.seconds, (summary.best?.epoch ?? -1) + 1, summary.best?.value ?? .nan, test.metrics.accuracy,
                test.metrics.unweightedAverageRecall, test.metrics.macroF1))
        for loss in test.topLosses(3, data: data) {
            print(
                "  \(loss.relativePath): \(loss.actual) predicted \(loss.predicted) (p \(String(format: "%.2f", loss.probability)))"
            )
        }
        XCTAssertEqual(summary.history.count, epochs)
        XCTAssertTrue(summary.history.allSatisfy { $0.validLoss?.isFinite == true })
    }
}
