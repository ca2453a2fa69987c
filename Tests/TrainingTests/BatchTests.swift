import Features
import NeuralNet
import SeededRandom
import XCTest

@testable import Training

final class BatchTests: XCTestCase {
    let data = SyntheticData.dataset(count: 30)

    func testTrainingBatchesHaveNCHWShapeLabelsAndCoverTheItemsOnce() throws {
        let loader = BatchLoader(
            data: data, configuration: BatchConfiguration(batchSize: 8, frames: 32, dropLast: false))
        var rng = Xoshiro256(seed: 1)
        let order = loader.trainingOrder(Array(0..<30), using: &rng)
        XCTAssertEqual(order.map(\.count), [8, 8, 8, 6])
        XCTAssertEqual(order.flatMap { $0 }.sorted(), Array(0..<30))
        let batch = try loader.trainingBatch(order[0], using: &rng)
        XCTAssertEqual(batch.input.shape, [8, 1, 16, 32])
        XCTAssertEqual(batch.labels, order[0].map { data.items[$0].classIndex })
        XCTAssertNil(batch.softTargets)
        // Each example is standardised per utterance by default.
        let first = Array(batch.input.scalars[0..<(16 * 32)])
        XCTAssertEqual(Double(first.reduce(0, +)) / Double(first.count), 0, accuracy: 1e-4)
    }

    func testDropLastRemovesTheIncompleteBatch() throws {
        let loader = BatchLoader(data: data, configuration: BatchConfiguration(batchSize: 8, frames: 32))
        var rng = Xoshiro256(seed: 1)
        XCTAssertEqual(loader.trainingOrder(Array(0..<30), using: &rng).map(\.count), [8, 8, 8])
        XCTAssertEqual(loader.trainingBatchCount(30), 3)
        XCTAssertEqual(loader.trainingBatchCount(5), 1)  // fewer items than a batch: one batch of all
        XCTAssertEqual(loader.trainingOrder(Array(0..<5), using: &rng).map(\.count), [5])
    }

    func testSeededShufflingAndCropsAreReproducible() throws {
        let config = BatchConfiguration(
            batchSize: 8, frames: 32,
            augmentation: Augmentation(
                specAugment: .init(freqWidth: 4, timeWidth: 6), timeShift: 0.1, noiseSNR: 10...20, noiseProbability: 1,
                mixupAlpha: 0.4))
        let loader = BatchLoader(data: data, configuration: config)
        func epoch(_ seed: UInt64) throws -> ([[Int]], [Float]) {
            var rng = Xoshiro256(seed: seed)
            let order = loader.trainingOrder(Array(0..<30), using: &rng)
            return (order, try loader.trainingBatch(order[1], using: &rng).input.scalars)
        }
        let (a, x) = try epoch(3), (b, y) = try epoch(3), (c, z) = try epoch(4)
        XCTAssertEqual(a, b)
        XCTAssertEqual(x, y)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(x, z)
    }

    func testEvaluationBatchIsTheCentreCropStandardisedAsFeaturesDoesIt() throws {
        let loader = BatchLoader(data: data, configuration: BatchConfiguration(batchSize: 4, frames: 32))
        let indices = [0, 1, 2, 3, 4, 5]
        let batch = try loader.evaluationBatch(indices)
        XCTAssertEqual(try loader.evaluationBatch(indices).input.scalars, batch.input.scalars, "deterministic")
        let size = 16 * 32
        for (n, i) in indices.enumerated() {
            let item = try data.matrix(i)
            let expected = item.fitted(toFrames: 32, mode: .center).standardised(.utterance).values
            XCTAssertEqual(
                Array(batch.input.scalars[(n * size)..<((n + 1) * size)]), expected, "item \(i) (\(item.frames) frames)"
            )
        }
        // Evaluation batches are twice the batch size.
        XCTAssertEqual(loader.evaluationOrder(Array(0..<20)).map(\.count), [8, 8, 4])
    }

    func testValidationBatchesAreNeverAugmented() throws {
        let augmented = BatchConfiguration(
            batchSize: 8, frames: 32,
            augmentation: Augmentation(
                specAugment: .init(), timeShift: 0.2, noiseSNR: 0...5, noiseProbability: 1, mixupAlpha: 0.4))
        let plain = BatchConfiguration(batchSize: 8, frames: 32)
        let a = try BatchLoader(data: data, configuration: augmented).evaluationBatch(Array(0..<10))
        let b = try BatchLoader(data: data, configuration: plain).evaluationBatch(Array(0..<10))
        XCTAssertEqual(a.input.scalars, b.input.scalars)
        XCTAssertNil(a.softTargets)
        // …while training batches with the same generator state do differ.
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        let ta = try BatchLoader(data: data, configuration: augmented).trainingBatch(Array(0..<8), using: &r1)
        let tb = try BatchLoader(data: data, configuration: plain).trainingBatch(Array(0..<8), using: &r2)
        XCTAssertNotEqual(ta.input.scalars, tb.input.scalars)
    }

    func testMixupMixesInputsAndTargetsWithTheSameLambdas() throws {
        let plainConfig = BatchConfiguration(batchSize: 6, frames: 32)
        let loader = BatchLoader(data: data, configuration: plainConfig)
        let indices = [0, 1, 2, 3, 4, 5]
        var rng = Xoshiro256(seed: 11)
        let plain = try loader.evaluationBatch(indices)
        var mixed = plain
        loader.mixup(&mixed, alpha: 0.4, using: &rng)
        let t = mixed.softTargets!
        XCTAssertEqual(t.shape, [6, 3])
        let size = 16 * 32
        for i in 0..<6 {
            let row = (0..<3).map { t[i * 3 + $0] }
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-6)
            // λ ≥ 0.5 goes to the example's own label (all the mass when its partner has the same label).
            XCTAssertGreaterThanOrEqual(row[plain.labels[i]], 0.5)
            // The input is λ·own + (1−λ)·partner for some partner j with that label mix.
            let own = Array(plain.input.scalars[(i * size)..<((i + 1) * size)])
            let x = Array(mixed.input.scalars[(i * size)..<((i + 1) * size)])
            let found = (0..<6).contains { j -> Bool in
                let other = Array(plain.input.scalars[(j * size)..<((j + 1) * size)])
                var lambda = Float(-1)
                for k in 0..<size where abs(own[k] - other[k]) > 0.5 {
                    lambda = (x[k] - other[k]) / (own[k] - other[k]); break
                }
                guard lambda >= 0.499 && lambda <= 1.001 else { return j == i && x == own }
                let reconstructed = (0..<size).map { lambda * own[$0] + (1 - lambda) * other[$0] }
                let close = zip(reconstructed, x).allSatisfy { abs($0 - $1) < 1e-3 }
                let expectedTarget = plain.labels[i] == plain.labels[j] ? Float(1) : lambda
                return close && abs(row[plain.labels[i]] - expectedTarget) < 1e-3
            }
            XCTAssertTrue(found, "example \(i) is not a λ-mix of two batch examples matching its targets")
        }
    }

    func testDatasetStatisticsComeFromTheGivenItemsOnly() throws {
        let s = try DatasetStatistics.compute(data, indices: [0], perBand: false)
        let values = try data.features[0].values.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        XCTAssertEqual(Double(s.mean[0]), mean, accuracy: 1e-4)
        let perBand = try DatasetStatistics.compute(data, indices: [0, 1], perBand: true)
        XCTAssertEqual(perBand.mean.count, 16)
        let loader = BatchLoader(
            data: data, configuration: BatchConfiguration(batchSize: 2, frames: 32, normalization: .dataset(s)))
        let x = try loader.evaluationBatch([0]).input.scalars
        let expected = try data.features[0].fitted(toFrames: 32, mode: .center).values.map {
            ($0 - s.mean[0]) / s.std[0]
        }
        for (a, b) in zip(x, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testEmptyMatricesBecomeZeroExamplesAndFramesFollowTheDuration() throws {
        let items = Array(data.items.prefix(2))
        let tiny = FeatureDataset(
            items: items, classNames: data.classNames,
            features: [FeatureMatrix(rows: 16, frames: 0), try data.features[1]])
        let batch = try BatchLoader(data: tiny, configuration: BatchConfiguration(batchSize: 2, frames: 8))
            .evaluationBatch(
                [0, 1])
        XCTAssertTrue(batch.input.scalars[0..<(16 * 8)].allSatisfy { $0 == 0 })
        var parameters = FeatureParameters()
        XCTAssertEqual(BatchConfiguration.frames(for: parameters, data: tiny), try data.features[1].frames)
        parameters.duration = 3
        // 1 + ⌊66150 / 100⌋ with the centre padding.
        XCTAssertEqual(BatchConfiguration.frames(for: parameters, data: tiny), 662)
        XCTAssertEqual(Normalization(Standardisation.perBand), .perBand)
    }
}
