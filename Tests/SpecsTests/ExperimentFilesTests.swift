import Foundation
import TestSupport
import XCTest

@testable import Specs

/// Every spec shipped in experiments/ validates, and says what the README promises.
final class ExperimentFilesTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("experiments")

    func load(_ name: String, environment: [String: String], overrides: [String] = []) throws -> ExperimentPlan {
        let cwd = TemporaryDirectory("ser-cwd")
        return try SpecLoader(environment: environment, workingDirectory: cwd.url.path)
            .load(path: Self.folder.appendingPathComponent(name).path, overrides: overrides)
    }

    func testEveryShippedSpecValidates() throws {
        let corpus = TemporaryDirectory("ser-fake-ravdess")
        try FileManager.default.createDirectory(
            at: corpus.url.appendingPathComponent("Actor_01"), withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter {
            $0.hasSuffix(".yaml")
        }.sorted()
        XCTAssertTrue(
            Set([
                "quickstart.yaml", "ravdess-notebook.yaml", "ravdess-random-split.yaml",
                "ravdess-speaker-independent.yaml",
                "sweep-synthetic.yaml", "cremad.yaml", "tess.yaml", "savee.yaml", "emodb.yaml",
                "cross-corpus-ravdess-emodb.yaml",
            ])
            .isSubset(of: files), "\(files)")
        // The pretrained recipe needs the user's checkpoint (any existing file passes validation).
        let weights = corpus.url.appendingPathComponent("resnet34.safetensors")
        FileManager.default.createFile(atPath: weights.path, contents: Data())
        for file in files {
            let overrides = file == "ravdess-notebook-pretrained.yaml" ? ["model.init=\(weights.path)"] : []
            XCTAssertNoThrow(
                try load(
                    file, environment: ["SER_DATA": corpus.url.path, "SER_TEST_DATA": corpus.url.path],
                    overrides: overrides), file)
        }
    }

    func testEachCorpusSpecNamesItsLayoutAndTheCrossCorpusSpecTakesItsTestCorpusFromSERTestData() throws {
        let corpus = TemporaryDirectory("ser-fake-corpus")
        for (file, layout) in [
            ("cremad.yaml", "cremad"), ("tess.yaml", "tess"), ("savee.yaml", "savee"), ("emodb.yaml", "emodb"),
        ] {
            let spec = try load(file, environment: ["SER_DATA": corpus.url.path]).runs[0].spec
            XCTAssertEqual(spec.data.layout.rawValue, layout, file)
            XCTAssertEqual(spec.data.path, corpus.url.path, file)
        }
        let other = TemporaryDirectory("ser-fake-emodb")
        let cross = try load(
            "cross-corpus-ravdess-emodb.yaml",
            environment: ["SER_DATA": corpus.url.path, "SER_TEST_DATA": other.url.path]
        ).runs[0].spec
        XCTAssertEqual(cross.test?.path, other.url.path)
        XCTAssertEqual(cross.test?.layout, .emodb)
        XCTAssertEqual(cross.data.labelMap, ["calm": "neutral"])
        let set = try load(
            "cross-corpus-ravdess-emodb.yaml", environment: ["SER_DATA": corpus.url.path],
            overrides: ["test.path=\(other.url.path)"]
        ).runs[0].spec
        XCTAssertEqual(set.test?.path, other.url.path)
        XCTAssertThrowsError(try load("cross-corpus-ravdess-emodb.yaml", environment: ["SER_DATA": corpus.url.path])) {
            XCTAssertTrue("\($0)".contains("set test.path (or the SER_TEST_DATA environment variable)"), "\($0)")
        }
    }

    func testQuickstartNeedsNoDataPath() throws {
        let plan = try load("quickstart.yaml", environment: [:])
        XCTAssertEqual(plan.runs.count, 1)
        XCTAssertNotNil(plan.runs[0].spec.data.synthetic)
        XCTAssertNil(plan.runs[0].spec.data.path)
    }

    func testNotebookSpecHasTheNotebooksChoicesAndTakesItsCorpusFromSERDataOrSet() throws {
        let corpus = TemporaryDirectory("ser-fake-ravdess")
        let spec = try load("ravdess-notebook.yaml", environment: ["SER_DATA": corpus.url.path]).runs[0].spec
        XCTAssertEqual(spec.data.path, corpus.url.standardizedFileURL.path)
        XCTAssertEqual(spec.model.depth, 34)
        XCTAssertEqual(spec.features.nFFT, 1024)
        XCTAssertEqual(spec.features.hopLength, 100)
        XCTAssertEqual(spec.data.labels, .genderEmotion)
        XCTAssertEqual(spec.split.kind, .random)
        XCTAssertEqual(spec.split.validPct, 0.2)
        XCTAssertEqual(spec.splitSeed, 42)
        XCTAssertEqual(spec.lrFinder.suggest, [.minimum, .steep])
        XCTAssertEqual(spec.train.epochs, 20)
        XCTAssertEqual(spec.train.schedule, .fit)
        let other = TemporaryDirectory("ser-other")
        let set = try load("ravdess-notebook.yaml", environment: [:], overrides: ["data.path=\(other.url.path)"])
        XCTAssertEqual(set.runs[0].spec.data.path, other.url.standardizedFileURL.path)
        XCTAssertThrowsError(try load("ravdess-notebook.yaml", environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("data/ravdess"), "\(error)")
        }
    }

    func testSpeakerIndependentSpecIsOneRunPerFoldAndTheSweepOnePerCombination() throws {
        let corpus = TemporaryDirectory("ser-fake-ravdess")
        let folds = try load("ravdess-speaker-independent.yaml", environment: ["SER_DATA": corpus.url.path])
        XCTAssertEqual(folds.runs.map(\.sweepLabel), (1...5).map { "split.fold=\($0)" })
        XCTAssertEqual(folds.runs[0].spec.data.labels, .emotion)
        let sweep = try load("sweep-synthetic.yaml", environment: [:])
        XCTAssertEqual(sweep.runs.count, 4)
        XCTAssertEqual(sweep.name, "sweep-synthetic")
    }

    func testTheDefaultCorpusFolderIsUsedWhenItExists() throws {
        let cwd = TemporaryDirectory("ser-cwd")
        try FileManager.default.createDirectory(
            at: cwd.url.appendingPathComponent("data/ravdess"), withIntermediateDirectories: true)
        let plan = try SpecLoader(environment: [:], workingDirectory: cwd.url.path)
            .load(path: Self.folder.appendingPathComponent("ravdess-notebook.yaml").path)
        let path = try XCTUnwrap(plan.runs[0].spec.data.path)
        XCTAssertTrue(path.hasPrefix("/") && path.hasSuffix("/data/ravdess") && path.contains("ser-cwd"), path)
    }
}
