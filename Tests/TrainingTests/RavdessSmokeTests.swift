import Audio
import Datasets
import Features
import Foundation
import NeuralNet
import SeededRandom
import TestSupport
import XCTest

@testable import Training

/// An end-to-end smoke run on a few RAVDESS actors: features through the cache, an LR finder, a
/// short one-cycle fit printing the live table, and the test-set evaluation. Slow, so it runs only
/// with `SER_SMOKE_RAVDESS=1` (and when the data is present):
///
///     SER_SMOKE_RAVDESS=1 swift test --disable-swift-testing --filter RavdessSmokeTests
///
/// `SER_SMOKE_ACTORS` (default 4), `SER_SMOKE_EPOCHS` (default 2), `SER_SMOKE_DEPTH` (10/18/34/50,
/// default 18) and `SER_SMOKE_WIDTH` (default 64) change the size.
final class RavdessSmokeTests: XCTestCase {
    func testFewActorsEndToEnd() throws {
        let environment = ProcessInfo.processInfo.environment
        try XCTSkipIf(environment["SER_SMOKE_RAVDESS"] != "1", "set SER_SMOKE_RAVDESS=1 to run the RAVDESS smoke run")
        let root = try XCTUnwrap(SharedData.ravdess, "RAVDESS is not present")
        let actors = Int(environment["SER_SMOKE_ACTORS"] ?? "") ?? 4
        let epochs = Int(environment["SER_SMOKE_EPOCHS"] ?? "") ?? 2
        let depth = ResNet.Depth(rawValue: Int(environment["SER_SMOKE_DEPTH"] ?? "") ?? 18) ?? .resNet18
        let width = Int(environment["SER_SMOKE_WIDTH"] ?? "") ?? 64

        let dataset = try Dataset.load(root.path, layout: .ravdess)
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
        var loader = learner.loader
        var batchRNG = Xoshiro256(seed: 1)
        for _ in 0..<5 { _ = loader.trainingBatch(Array(split.train.prefix(32)), using: &batchRNG) }
        print(String(format: "batch assembly: %.1f ms per batch of 32", Date().timeIntervalSince(clock) / 5 * 1000))
        _ = loader
        loader = learner.loader

        let summary = try learner.fitOneCycle(epochs: epochs, lrMax: finder.learningRate(.valley) ?? 1e-3)
        let test = learner.evaluateTest()
        print(
            String(
                format: "fit: %.1f s; best epoch %d (uar %.3f); test accuracy %.3f, UAR %.3f, macro-F1 %.3f",
                summary.seconds, summary.best?.epoch ?? -1, summary.best?.value ?? .nan, test.metrics.accuracy,
                test.metrics.unweightedAverageRecall, test.metrics.macroF1))
        for loss in test.topLosses(3, data: data) {
            print(
                "  \(loss.relativePath): \(loss.actual) predicted \(loss.predicted) (p \(String(format: "%.2f", loss.probability)))"
            )
        }
        XCTAssertEqual(summary.history.count, epochs)
        XCTAssertTrue(summary.history.allSatisfy { $0.validLoss.isFinite })
    }
}
