import Features
import Foundation
import NeuralNet
import RunStore
import TestSupport
import XCTest

@testable import Inference
@testable import Runner

/// Issue #18: model files whose metadata or tensors are out of range are refused with an error naming the
/// file and the field, before any network is built; none stops the process.
final class HostileModelFileTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-hostile-model") }

    /// A valid model file: ResNet-10 of width 8, small stem, 2 classes, 16 kHz, 16 mel bands.
    func validModel() throws -> URL {
        let bundle = try tinyBundle(dropout: 0.1)
        let url = URL(fileURLWithPath: directory.path("valid.safetensors"))
        try bundle.save(to: url)
        return url
    }

    /// A copy of the valid model file with `field` of the JSON metadata `key` set to `value` (and its
    /// tensors changed by `tensors`), written as `model.safetensors`.
    func crafted(
        _ key: String, _ field: String? = nil, _ value: Any,
        tensors: ([(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] = { $0 }
    ) throws -> URL {
        let file = try SafeTensors.read(from: try validModel())
        var metadata = file.metadata
        if let field {
            var object = try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(metadata[key]).utf8)) as? [String: Any])
            object[field] = value
            metadata[key] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        } else {
            metadata[key] = String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
        }
        let url = URL(fileURLWithPath: directory.path("model.safetensors"))
        try SafeTensors.write(tensors(file.tensors), metadata: metadata, to: url)
        return url
    }

    func assertRefused(_ url: URL, mentions expected: [String], line: UInt = #line) {
        XCTAssertThrowsError(try ModelBundle.load(from: url), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(url.path + ": "), text, line: line)
            for part in expected { XCTAssertTrue(text.contains(part), "missing \(part) in \(text)", line: line) }
        }
    }

    func testTheValidModelLoads() throws {
        XCTAssertEqual(try ModelBundle.load(from: try validModel()).labels, ["a", "b"])
    }

    func testDropout5IsRefused() throws {
        assertRefused(
            try crafted("architecture", "dropout", 5.0),
            mentions: [#"metadata "architecture.dropout" is 5.0; expected 0 ≤ dropout < 1"#])
    }

    func testWidth0IsRefused() throws {
        assertRefused(
            try crafted("architecture", "width", 0), mentions: [#"metadata "architecture.width" is 0; expected 1…256"#])
    }

    func testWidthOfAMillionIsRefused() throws {
        assertRefused(try crafted("architecture", "width", 1_000_000), mentions: [#""architecture.width" is 1000000"#])
    }

    func testInputChannels0IsRefused() throws {
        assertRefused(
            try crafted("architecture", "input_channels", 0), mentions: [#""architecture.input_channels" is 0"#])
    }

    func testDepth7IsRefused() throws {
        assertRefused(
            try crafted("architecture", "depth", 7),
            mentions: [#""architecture.depth" is 7; expected 10, 18, 34 or 50"#])
    }

    func testUnknownStemAndArchAreRefusedByName() throws {
        assertRefused(
            try crafted("architecture", "stem", "imageNet"),
            mentions: [#"metadata "architecture.stem" is "imageNet"; expected "imagenet" or "small""#])
        assertRefused(
            try crafted("architecture", "arch", "vgg"),
            mentions: [#"metadata "architecture.arch" is "vgg"; expected "resnet""#])
    }

    func testACropOtherThanCenterIsRefused() throws {
        assertRefused(
            try crafted("audio", "crop", "left"), mentions: [#"metadata "audio.crop" is "left"; expected "center""#])
        assertRefused(
            try crafted("audio", "crop", "middle"), mentions: [#"metadata "audio.crop" is "middle"; expected "center""#]
        )
    }

    func testFrames0IsRefused() throws {
        assertRefused(try crafted("audio", "frames", 0), mentions: [#""audio.frames" is 0; expected 1…100000"#])
    }

    func testFrames10To10IsRefused() throws {
        assertRefused(try crafted("audio", "frames", 10_000_000_000), mentions: [#""audio.frames" is 10000000000"#])
    }

    func testSampleRate0IsRefused() throws {
        assertRefused(try crafted("audio", "sample_rate", 0), mentions: [#""audio.sample_rate" is 0"#])
    }

    func testNFFT0IsRefused() throws {
        assertRefused(try crafted("features", "nFFT", 0), mentions: [#""features.nFFT" is 0; expected 16…65536"#])
    }

    func testEmptyDatasetStatisticsAreRefused() throws {
        assertRefused(
            try crafted("normalization", nil, ["dataset": ["_0": ["mean": [Float](), "std": [Float]()]]]),
            mentions: [#""normalization.dataset" is 0 means and 0 deviations"#])
    }

    /// Repeated labels trapped `ser eval`, which indexes the classes by name.
    func testRepeatedLabelsAreRefused() throws {
        assertRefused(
            try crafted("labels", nil, ["a", "a"]),
            mentions: [#"metadata "labels" is ["a", "a"] ("a" is empty or repeated); expected distinct"#])
    }

    func testTensorsOfAnotherShapeAreListedByName() throws {
        let url = try crafted("architecture", "width", 16)
        assertRefused(
            url,
            mentions: [
                "weights do not fit", "tensor 'conv1.weight' has shape [8, 1, 3, 3]; the model expects [16, 1, 3, 3]",
            ])
        let dropped = try crafted("architecture", "width", 8) { $0.filter { !$0.name.hasPrefix("layer4.") } }
        assertRefused(dropped, mentions: ["the model needs 'layer4.0.conv1.weight'"])
    }

    func testNonFiniteWeightsAreRefused() throws {
        let url = try crafted("architecture", "width", 8) { tensors in
            tensors.map { entry in
                guard entry.name == "fc.weight" else { return entry }
                var t = entry.tensor
                t[3] = .nan
                return (entry.name, t)
            }
        }
        assertRefused(url, mentions: ["tensor 'fc.weight' holds NaN or infinity (element 3)"])
    }
}

/// Issue #18: NaN never reaches a probability or the store.
final class NonFiniteOutputTests: XCTestCase {
    func testAMatrixHoldingNaNFailsAloneAndTheOthersAreClassified() throws {
        var bundle = try tinyBundle(dropout: 0)
        let good = FeatureMatrix(rows: 16, frames: 101, values: (0..<1616).map { Float($0 % 7) })
        var bad = good
        bad[3, 40] = .nan
        let alone = try bundle.classify(matrices: [good])[0]
        let results = bundle.probabilityResults(matrices: [good, bad, good], names: ["g1", "bad.wav", "g2"])
        // Equal up to the batch's floating-point summation order.
        for i in [0, 2] {
            for (p, q) in zip(try results[i].get(), alone) { XCTAssertEqual(p, q, accuracy: 1e-6) }
        }
        XCTAssertThrowsError(try results[1].get()) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.wav: its features hold NaN or infinity"), "\(error)")
        }
        XCTAssertThrowsError(try bundle.classify(matrices: [good, bad]))
    }

    func testANaNProbabilityIsNotStoredAndNamesTheRunAndField() throws {
        let store = try RunStore.inMemory()
        let experiment = try store.findOrCreateExperiment(name: "e").id!
        let id = try store.createRun(
            experimentID: experiment, name: "r", specYAML: "seed: 1\n", specHash: "h", seed: 1, toolVersion: "test")
        // Before: GRDB's JSON encoding of the probabilities failed with an unrelated message.
        XCTAssertThrowsError(
            try store.recordCheckedEvaluation(
                EvaluationRecord(
                    runId: id, split: "valid", loss: 1, accuracy: 0.5, balancedAccuracy: 0.5, f1Macro: 0.5,
                    labels: ["a", "b"], confusion: [[1, 0], [1, 0]]),
                classMetrics: [],
                predictions: [
                    PredictionRecord(
                        runId: id, split: "valid", path: "x.wav", label: "a", predicted: "a", confidence: 0.5,
                        probabilities: [.nan, 0.5])
                ])
        ) { error in
            XCTAssertEqual(
                "\(error)",
                "run \(id): valid prediction x.wav probabilities is nan; expected a finite number (the features or the model produced NaN or infinity)"
            )
        }
        XCTAssertTrue(try store.detail(of: id).evaluations.isEmpty, "nothing was written")
        XCTAssertThrowsError(
            try EpochMetricRecord(runId: id, epoch: 2, trainLoss: 1, validLoss: .infinity).checkFinite()
        ) { error in
            XCTAssertTrue("\(error)".hasPrefix("run \(id): epoch 2 valid_loss is inf"), "\(error)")
        }
    }
}

/// A model with fresh weights: ResNet-10 of width 8, small stem, classes a and b, 16 kHz, 16 mel bands, 1 s.
func tinyBundle(dropout: Double) throws -> ModelBundle {
    let architecture = ModelArchitecture(depth: 10, width: 8, stem: .smallInput, classCount: 2, dropout: dropout)
    var features = FeatureParameters()
    features.sampleRate = 16000
    features.nFFT = 256
    features.hopLength = 160
    features.nMels = 16
    return ModelBundle(
        architecture: architecture, features: features,
        audio: AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil), normalization: .utterance,
        labels: ["a", "b"], labelScheme: "given", source: ModelSource(), toolVersion: "test",
        model: try architecture.makeResNet(seed: 1))
}
