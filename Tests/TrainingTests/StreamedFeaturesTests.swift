import Datasets
import Features
import Foundation
import NeuralNet
import TestSupport
import XCTest

@testable import Training

/// Features streamed from a file train exactly like features held in memory.
final class StreamedFeaturesTests: XCTestCase {
    /// `data` again, its matrices written to a streamed file in `directory`.
    func streamed(_ data: FeatureDataset, in directory: TemporaryDirectory) throws -> FeatureDataset {
        let file = try StreamedFeatures.write(count: data.count, in: directory.url) { try data.matrix($0) }
        return FeatureDataset(items: data.items, classNames: data.classNames, streamed: file)
    }

    func testStreamedFileHoldsTheSameMatricesAndLeavesNoFileBehind() throws {
        let directory = TemporaryDirectory("ser-streamed-file")
        var memory = SyntheticData.dataset(count: 9)
        memory = FeatureDataset(
            items: memory.items, classNames: memory.classNames,
            features: try memory.features.enumerated().map { $0 == 4 ? FeatureMatrix(rows: 16, frames: 0) : $1 })
        let data = try streamed(memory, in: directory)
        guard case .streamed = data.storage else { return XCTFail("not streamed") }
        XCTAssertEqual(try data.features, try memory.features)
        XCTAssertEqual(data.rows, memory.rows)
        XCTAssertEqual(data.maxFrames, memory.maxFrames)
        XCTAssertEqual(data.byteCount, memory.byteCount)
        XCTAssertEqual((0..<9).map(data.frames(of:)), try memory.features.map(\.frames))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.url.path), [])

        let badRows = [FeatureMatrix(rows: 16, frames: 3), FeatureMatrix(rows: 8, frames: 3)]
        XCTAssertThrowsError(try StreamedFeatures.write(count: 2, in: directory.url) { badRows[$0] }) {
            XCTAssertTrue("\($0)".contains("item 1: 8 feature rows, expected 16"), "\($0)")
        }
        let missing = directory.url.appendingPathComponent("no-such-folder")
        XCTAssertThrowsError(try StreamedFeatures.write(count: 1, in: missing) { _ in badRows[0] }) {
            XCTAssertTrue("\($0)".contains("no-such-folder"), "\($0)")
        }
    }

    /// A file that cannot be read back (a failing disk; here truncated behind the reader's back) fails the
    /// fit with the directory, the item and the system's reason, instead of stopping the process.
    func testAnUnreadableStreamedFileFailsTheFitWithItsReason() throws {
        let directory = TemporaryDirectory("ser-streamed-unreadable")
        let memory = SyntheticData.dataset()
        let data = try streamed(memory, in: directory)
        guard case .streamed(let file) = data.storage else { return XCTFail("not streamed") }
        XCTAssertEqual(ftruncate(file.descriptor, 0), 0)
        XCTAssertThrowsError(try data.matrix(3)) {
            XCTAssertTrue(
                "\($0)".contains(
                    "\(directory.url.path): cannot read the streamed features of item 3 back: unexpected end of file"),
                "\($0)")
        }
        let learner = SyntheticData.learner(data: data)
        XCTAssertThrowsError(try learner.fitOneCycle(epochs: 1, lrMax: 1e-2)) {
            XCTAssertTrue($0 is StreamedFeaturesError, "\($0)")
        }
        XCTAssertThrowsError(try learner.evaluate())
    }

    func testStreamedTrainingAndResumeAreBitIdenticalToInMemory() throws {
        try withSingleBLASThread {
            let augmentation = Augmentation(
                specAugment: .init(freqWidth: 3, timeWidth: 5), timeShift: 0.1, noiseSNR: 10...30, mixupAlpha: 0.4)
            let memory = SyntheticData.dataset()
            let files = TemporaryDirectory("ser-streamed")
            let data = try streamed(memory, in: files)
            XCTAssertEqual(
                try DatasetStatistics.compute(data, indices: Array(0..<60), perBand: true),
                try DatasetStatistics.compute(memory, indices: Array(0..<60), perBand: true))

            let inMemory = SyntheticData.learner(
                data: memory, dropout: 0.2, configuration: SyntheticData.configuration(augmentation: augmentation))
            let full = try inMemory.fitOneCycle(epochs: 3, lrMax: 1e-2)

            // Streamed: interrupted after one epoch, then resumed by a new learner (as `ser resume` does).
            let checkpoints = TemporaryDirectory("ser-streamed-checkpoints")
            let first = SyntheticData.learner(
                data: data, dropout: 0.2,
                configuration: SyntheticData.configuration(augmentation: augmentation, checkpoints: checkpoints.url))
            let stopper = ClosureCallback()
            stopper.onEpoch = { [unowned first] _ in first.requestStop() }
            first.callbacks.append(stopper)
            XCTAssertEqual(try first.fitOneCycle(epochs: 3, lrMax: 1e-2).history.count, 1)
            let resumed = SyntheticData.learner(
                data: try streamed(memory, in: files), modelSeed: 99, dropout: 0.2,
                configuration: SyntheticData.configuration(augmentation: augmentation))
            let rest = try resumed.resume(from: checkpoints.url)

            let a = SyntheticData.weights(inMemory.model), b = SyntheticData.weights(resumed.model)
            XCTAssertEqual(a.map(\.0), b.map(\.0))
            for (x, y) in zip(a, b) { XCTAssertEqual(x.1, y.1, "\(x.0) differs when streamed") }
            XCTAssertEqual(full.history.map(\.trainLoss), rest.history.map(\.trainLoss))
            XCTAssertEqual(full.history.map(\.validLoss), rest.history.map(\.validLoss))
            XCTAssertEqual(try inMemory.evaluateTest().metrics.confusion, try resumed.evaluateTest().metrics.confusion)
        }
    }

    func testLoadStreamedReadsTheCacheLikeLoadAndNamesFailedFiles() throws {
        let directory = TemporaryDirectory("ser-streamed-cache")
        let (items, parameters, decode) = try FeatureDatasetTests.sineClips(7, in: directory)
        let cache = try FeatureCache(
            directory: directory.url.appendingPathComponent("cache"), parameters: parameters, decode: decode)
        let before = try FileManager.default.contentsOfDirectory(atPath: cache.entriesDirectory.path).count
        // Fewer items per chunk than items, so several chunks are fetched and written in order.
        let data = try FeatureDataset.loadStreamed(
            items: items, classNames: ["a", "b"], cache: cache, threads: 2, chunk: 3)
        let memory = try FeatureDataset.load(items: items, classNames: ["a", "b"], cache: cache, threads: 2)
        XCTAssertEqual(try data.features, try memory.features)
        XCTAssertEqual(data.labels, memory.labels)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: cache.entriesDirectory.path).count, before + 7,
            "only the 7 cache entries are new: the streamed file is unlinked")

        var withMissing = items
        withMissing[2].file.path = directory.path("missing.wav")
        withMissing[2].file.relativePath = "missing.wav"
        XCTAssertThrowsError(try FeatureDataset.loadStreamed(items: withMissing, classNames: ["a", "b"], cache: cache))
        {
            XCTAssertTrue("\($0)".contains("missing.wav"), "\($0)")
            XCTAssertTrue("\($0)".contains("1 file"), "\($0)")
        }
    }
}
