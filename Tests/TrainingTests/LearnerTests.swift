import Foundation
import NeuralNet
import SeededRandom
import TestSupport
import XCTest

@testable import Training

final class LearnerTests: XCTestCase {
    func testTrainingOnSeparableBlobsRaisesAccuracyWellAboveChance() throws {
        let learner = SyntheticData.learner()
        let summary = try learner.fitOneCycle(epochs: 4, lrMax: 1e-2)
        XCTAssertEqual(summary.history.count, 4)
        XCTAssertFalse(summary.stoppedEarly)
        let last = summary.history.last!
        XCTAssertGreaterThan(last.accuracy!, 0.8, "chance is 1/3; history \(summary.history.map(\.accuracy))")
        XCTAssertLessThan(last.trainLoss, summary.history.first!.trainLoss)
        let test = try learner.evaluateTest()
        XCTAssertEqual(test.indices.count, 20)
        XCTAssertGreaterThan(test.metrics.accuracy, 0.7)
        XCTAssertEqual(test.metrics.confusion.total, 20)
        let top = test.topLosses(3, data: learner.data)
        XCTAssertEqual(top.count, 3)
        XCTAssertTrue(top[0].path.hasPrefix("/synthetic/s4/"), "test items are speaker s4's")
        XCTAssertGreaterThanOrEqual(top[0].loss, top[1].loss)
    }

    func testBestEpochIsKeptByTheChosenMetricInMemoryAndOnDisk() throws {
        let directory = TemporaryDirectory("ser-best")
        for metric in [BestEpochMetric.accuracy, .validLoss] {
            let learner = SyntheticData.learner(
                configuration: SyntheticData.configuration(bestMetric: metric, checkpoints: directory.url))
            let summary = try learner.fit(epochs: 4, lr: 3e-2)
            let values = summary.history.map { metric.value($0)! }
            let expected =
                metric == .validLoss
                ? values.indices.min { values[$0] < values[$1] }!
                : values.indices.max { (values[$0], -$0) < (values[$1], -$1) }!
            XCTAssertEqual(summary.best?.epoch, expected, "\(metric): \(values)")
            XCTAssertEqual(summary.best?.value, values[expected])
            // The kept model reproduces the best epoch's validation metrics.
            var kept = learner.bestModel!
            let again = try evaluate(&kept, loader: learner.loader, indices: learner.split.valid)
            XCTAssertEqual(again.metrics.accuracy, summary.history[expected].accuracy)
            XCTAssertEqual(again.metrics.loss, summary.history[expected].validLoss!, accuracy: 1e-9)
            // …and so does the best file of the checkpoint.
            let state = try CheckpointState.read(from: directory.url)
            var fromDisk = SyntheticData.model(seed: 5)
            try fromDisk.load(from: directory.url.appendingPathComponent(state.bestFile!))
            XCTAssertEqual(SyntheticData.weights(fromDisk).map(\.1), SyntheticData.weights(kept).map(\.1))
            learner.loadBestModel()
            XCTAssertEqual(SyntheticData.weights(learner.model).map(\.1), SyntheticData.weights(kept).map(\.1))
        }
    }

    func testResumeAfterAnInterruptionGivesBitIdenticalWeights() throws {
        try withSingleBLASThread {
            let augmentation = Augmentation(
                specAugment: .init(freqWidth: 3, timeWidth: 5), timeShift: 0.1, noiseSNR: 10...30, mixupAlpha: 0.4)
            let straightDir = TemporaryDirectory("ser-straight"), interruptedDir = TemporaryDirectory("ser-interrupted")
            let straight = SyntheticData.learner(
                dropout: 0.2,
                configuration: SyntheticData.configuration(
                    augmentation: augmentation, bestMetric: .uar, checkpoints: straightDir.url))
            let full = try straight.fitOneCycle(epochs: 3, lrMax: 1e-2)

            let first = SyntheticData.learner(
                dropout: 0.2,
                configuration: SyntheticData.configuration(
                    augmentation: augmentation, bestMetric: .uar, checkpoints: interruptedDir.url))
            let stopper = ClosureCallback()
            stopper.onEpoch = { [unowned first] _ in first.requestStop() }
            first.callbacks.append(stopper)
            let partial = try first.fitOneCycle(epochs: 3, lrMax: 1e-2)
            XCTAssertTrue(partial.stoppedEarly)
            XCTAssertEqual(partial.history.count, 1)

            // A new process: different initial weights, nothing in memory but the checkpoint.
            let resumed = SyntheticData.learner(
                modelSeed: 99, dropout: 0.2,
                configuration: SyntheticData.configuration(augmentation: augmentation, bestMetric: .uar))
            let rest = try resumed.resume(from: interruptedDir.url)
            XCTAssertEqual(rest.history.count, 3)
            XCTAssertFalse(rest.stoppedEarly)

            let a = SyntheticData.weights(straight.model), b = SyntheticData.weights(resumed.model)
            XCTAssertEqual(a.map(\.0), b.map(\.0))
            for (x, y) in zip(a, b) { XCTAssertEqual(x.1, y.1, "\(x.0) differs after resume") }
            XCTAssertEqual(
                straight.optimizer.stateTensors.map(\.tensor.scalars),
                resumed.optimizer.stateTensors.map(\.tensor.scalars))
            XCTAssertEqual(straight.model.randomStates, resumed.model.randomStates)
            XCTAssertEqual(full.history.map(\.validLoss), rest.history.map(\.validLoss))
            XCTAssertEqual(full.history.map(\.trainLoss), rest.history.map(\.trainLoss))
            XCTAssertEqual(full.best, rest.best)
            XCTAssertEqual(
                SyntheticData.weights(straight.bestModel!).map(\.1), SyntheticData.weights(resumed.bestModel!).map(\.1))
        }
    }

    /// `split.kind: none`: without validation files every epoch is recorded with no validation metrics and no
    /// best epoch, and training is exactly that of the same training files with a validation set (validating
    /// draws no random numbers and changes no weight), straight or resumed after an interruption.
    func testASplitWithoutValidationTrainsExactlyAsOneWithValidation() throws {
        try withSingleBLASThread {
            let augmentation = Augmentation(
                specAugment: .init(freqWidth: 3, timeWidth: 5), timeShift: 0.1, noiseSNR: 10...30, mixupAlpha: 0.4)
            let data = SyntheticData.dataset()
            let validated = SyntheticData.split(data)
            let unvalidated = SplitIndices(train: validated.train, valid: [], test: validated.test)
            func configuration(_ directory: URL? = nil) -> LearnerConfiguration {
                SyntheticData.configuration(augmentation: augmentation, bestMetric: .uar, checkpoints: directory)
            }
            let with = SyntheticData.learner(data: data, dropout: 0.2, configuration: configuration())
            let withSummary = try with.fitOneCycle(epochs: 3, lrMax: 1e-2)
            XCTAssertTrue(withSummary.history.allSatisfy { $0.valid != nil })

            let directory = TemporaryDirectory("ser-no-valid")
            let first = SyntheticData.learner(
                data: data, split: unvalidated, dropout: 0.2, configuration: configuration(directory.url))
            let stopper = ClosureCallback()
            stopper.onEpoch = { [unowned first] _ in first.requestStop() }
            first.callbacks.append(stopper)
            XCTAssertEqual(try first.fitOneCycle(epochs: 3, lrMax: 1e-2).history.count, 1)
            let resumed = SyntheticData.learner(
                data: data, split: unvalidated, modelSeed: 99, dropout: 0.2, configuration: configuration())
            let summary = try resumed.resume(from: directory.url)

            XCTAssertEqual(summary.history.map(\.epoch), [0, 1, 2], "every epoch is recorded")
            XCTAssertTrue(summary.history.allSatisfy { $0.valid == nil && $0.accuracy == nil })
            XCTAssertNil(summary.best)
            XCTAssertNil(resumed.bestModel)
            XCTAssertEqual(summary.history.map(\.trainLoss), withSummary.history.map(\.trainLoss))
            let a = SyntheticData.weights(with.model), b = SyntheticData.weights(resumed.model)
            for (x, y) in zip(a, b) { XCTAssertEqual(x.1, y.1, "\(x.0) differs without validation") }
            let row = EpochTable().row(summary.history[0]).split(separator: " ")
            XCTAssertEqual(Array(row[2...4]), ["-", "-", "-"], "valid_loss, accuracy and uar: \(row)")
        }
    }

    func testResumeRefusesACheckpointOfAnotherSeedOrData() throws {
        let directory = TemporaryDirectory("ser-mismatch")
        try SyntheticData.learner(configuration: SyntheticData.configuration(checkpoints: directory.url)).fit(
            epochs: 1, lr: 1e-3)
        let otherSeed = SyntheticData.learner(configuration: SyntheticData.configuration(seed: 7))
        XCTAssertThrowsError(try otherSeed.resume(from: directory.url)) {
            XCTAssertTrue("\($0)".contains("seed"), "\($0)")
        }
        let otherBatch = SyntheticData.learner(configuration: SyntheticData.configuration(batchSize: 8))
        XCTAssertThrowsError(try otherBatch.resume(from: directory.url)) {
            XCTAssertTrue("\($0)".contains("batches per epoch"), "\($0)")
        }
        XCTAssertThrowsError(try otherBatch.resume(from: directory.url.appendingPathComponent("nothing"))) {
            XCTAssertTrue("\($0)".contains("no checkpoint"), "\($0)")
        }
    }

    func testCheckpointKeepsOnlyTheLatestFilesAndObserversSeeEveryEvent() throws {
        let directory = TemporaryDirectory("ser-events")
        let learner = SyntheticData.learner(configuration: SyntheticData.configuration(checkpoints: directory.url))
        let lines = LineCollector()
        let bars = LineCollector()
        learner.configuration.output = LearnerOutput(table: { lines.append($0) }, progress: { bars.append($0) })
        var epochs: [Int] = [], steps: [Int] = [], checkpoints: [Int] = [], finished = 0
        learner.callbacks.append(
            ClosureCallback(
                onEpoch: { epochs.append($0.epoch) }, onBatch: { steps.append($0.step) },
                onCheckpoint: { checkpoints.append($1) },
                onFinish: { _ in finished += 1 }))
        try learner.fit(epochs: 2, lr: 1e-3)
        XCTAssertEqual(epochs, [0, 1])
        XCTAssertEqual(checkpoints, [0, 1])
        XCTAssertEqual(steps, Array(1...(2 * learner.batchesPerEpoch)))
        XCTAssertEqual(finished, 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()
        let best = learner.best!.epoch
        XCTAssertEqual(
            files,
            ([
                "checkpoint.json", "model-e0001.safetensors", "optimizer-e0001.safetensors",
                String(format: "best-e%04d.safetensors", best),
            ]).sorted())
        XCTAssertEqual(lines.lines.count, 3)
        XCTAssertTrue(
            lines.lines[0].hasPrefix("epoch     train_loss  valid_loss  accuracy  uar       time"), lines.lines[0])
        // Epochs are numbered from 1 in the table and the progress bar (the records stay 0-based).
        XCTAssertTrue(lines.lines[1].hasPrefix("1         "), lines.lines[1])
        XCTAssertTrue(lines.lines[2].hasPrefix("2         "), lines.lines[2])
        XCTAssertTrue(bars.lines.contains { $0.hasPrefix("\repoch 1 [") }, "\(bars.lines.prefix(3))")
        XCTAssertTrue(bars.lines.contains { $0.hasPrefix("\repoch 2 [") }, "\(bars.lines.prefix(3))")
        XCTAssertFalse(bars.lines.contains { $0.hasPrefix("\repoch 0 [") }, "\(bars.lines.prefix(3))")
    }

    func testLRFinderRestoresModelOptimizerAndCountersExactly() throws {
        let learner = SyntheticData.learner(dropout: 0.2)
        try learner.fit(epochs: 1, lr: 1e-3)
        let weights = SyntheticData.weights(learner.model)
        let optimizerState = learner.optimizer.stateTensors.map(\.tensor.scalars)
        let optimizerStep = learner.optimizer.stepCount, lr = learner.optimizer.learningRate
        let generators = learner.model.randomStates
        let history = learner.history, step = learner.step
        var events = 0
        learner.callbacks.append(ClosureCallback(onLRFinder: { _ in events += 1 }))

        let result = try learner.lrFind(numIt: 40)
        XCTAssertEqual(events, 1)
        XCTAssertGreaterThan(result.points.count, 10)
        XCTAssertLessThanOrEqual(result.points.count, 40)
        XCTAssertEqual(result.points.map(\.iteration), Array(0..<result.points.count))
        XCTAssertEqual(result.points[0].learningRate, 1e-7, accuracy: 1e-20)
        // Everything is back as it was.
        let after = SyntheticData.weights(learner.model)
        XCTAssertEqual(after.map(\.0), weights.map(\.0))
        for (x, y) in zip(after, weights) { XCTAssertEqual(x.1, y.1, "\(x.0) changed") }
        XCTAssertEqual(learner.optimizer.stateTensors.map(\.tensor.scalars), optimizerState)
        XCTAssertEqual(learner.optimizer.stepCount, optimizerStep)
        XCTAssertEqual(learner.optimizer.learningRate, lr)
        XCTAssertEqual(learner.model.randomStates, generators)
        XCTAssertEqual(learner.history, history)
        XCTAssertEqual(learner.step, step)
    }

    func testLRFinderDoesNotChangeWhatALaterFitDoes() throws {
        let data = SyntheticData.dataset(separation: 0.5, labelNoise: 0.3)
        let plain = SyntheticData.linearLearner(
            data: data, configuration: SyntheticData.configuration(augmentation: Augmentation(mixupAlpha: 0.4)))
        let probed = SyntheticData.linearLearner(
            data: data, configuration: SyntheticData.configuration(augmentation: Augmentation(mixupAlpha: 0.4)))
        try probed.lrFind(numIt: 30)
        try plain.fit(epochs: 2, lr: 0.05)
        try probed.fit(epochs: 2, lr: 0.05)
        XCTAssertEqual(SyntheticData.weights(plain.model).map(\.1), SyntheticData.weights(probed.model).map(\.1))
        XCTAssertEqual(plain.history.map(\.trainLoss), probed.history.map(\.trainLoss))
        XCTAssertEqual(plain.history.map(\.valid), probed.history.map(\.valid))
    }

    func testLRFinderCyclesEpochsAndStopsWhenTheLossDiverges() throws {
        let learner = SyntheticData.linearLearner(
            data: SyntheticData.dataset(separation: 0.5, labelNoise: 0.3), configuration: SyntheticData.configuration())
        // 5 batches per epoch: 100 iterations need 20 epochs unless the loss diverges first.
        let result = try learner.lrFind(start: 1e-5, end: 1e3, numIt: 100)
        XCTAssertTrue(result.diverged, "a sweep up to 1e3 must blow up")
        XCTAssertLessThan(result.points.count, 100)
        XCTAssertGreaterThan(result.points.count, learner.batchesPerEpoch)
        // Stopped at the first point whose smoothed loss exceeds 4× the best before it.
        var best = Double.infinity
        for p in result.points.dropLast() {
            best = min(best, p.smoothedLoss)
            XCTAssertLessThanOrEqual(p.smoothedLoss, 4 * best)
        }
        let last = result.points.last!.smoothedLoss
        XCTAssertTrue(last > 4 * best || last.isNaN, "last \(last), best \(best)")
    }

    /// The good LR range is measured, not assumed, on softmax regression (SGD) over noisy labels, where
    /// too large a rate clearly hurts: 8-epoch constant-LR fits (40 steps) from the same start at LRs
    /// spaced by √10; an LR is good when its final smoothed training loss achieves at least half of
    /// the largest loss reduction of the grid. Each finder suggestion must lie within the good range
    /// widened by one grid step (the grid's resolution).
    func testLRFinderSuggestionsFallInTheEmpiricallyGoodRange() throws {
        let data = SyntheticData.dataset(count: 480, seed: 3, separation: 0.5, labelNoise: 0.3)
        let configuration = SyntheticData.configuration(batchSize: 64)
        let grid = stride(from: -5.0, through: 1.5, by: 0.5).map { pow(10, $0) }
        var finals: [Double] = []
        var initial = 0.0
        for lr in grid {
            let learner = SyntheticData.linearLearner(data: data, configuration: configuration)
            var losses: [Double] = []
            learner.callbacks.append(ClosureCallback(onBatch: { losses.append($0.smoothedLoss) }))
            try? learner.fit(epochs: 8, lr: lr)
            initial = max(initial, losses.first ?? 0)
            finals.append(losses.count == 8 * learner.batchesPerEpoch ? losses.last! : .infinity)
        }
        let bestFinal = finals.min()!
        let good = grid.indices.filter { finals[$0] <= initial - 0.5 * (initial - bestFinal) }
        let table = zip(grid, finals).map { String(format: "%.0e: %.3f", $0, $1) }.joined(separator: ", ")
        XCTAssertEqual(good, Array(good.first!...good.last!), "the good LRs should form one interval: \(table)")
        XCTAssertTrue(
            good.first! > 0 && good.last! < grid.count - 1, "the grid should bracket the good range: \(table)")
        let low = grid[good.first!] / 10.0.squareRoot(), high = grid[good.last!] * 10.0.squareRoot()

        let result = try SyntheticData.linearLearner(data: data, configuration: configuration).lrFind()
        XCTAssertEqual(result.suggestions.map(\.method), LRSuggestionMethod.allCases)
        for s in result.suggestions {
            XCTAssertTrue(
                (low...high).contains(s.learningRate),
                "\(s.method) suggests \(s.learningRate), outside the good range \(low)…\(high); grid \(table)")
        }
    }
}

/// Collects lines from the learner's table output.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
