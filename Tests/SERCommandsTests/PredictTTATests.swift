import Foundation
import Inference
import SndFile
import TestSupport
import XCTest

@testable import SERCommands

/// `ser predict --tta N` averages the probabilities of N crops of a clip longer than the model's input.
final class PredictTTATests: XCTestCase {
    func testTTAAveragesTheViewsProbabilities() throws {
        let directory = TemporaryDirectory("ser-predict-tta")
        let model = try writeTinyModelFile(to: directory.path("model.safetensors"))
        let clip = directory.path("long.wav")
        let samples = (0..<40000).map { Float(0.3 * sin(Double($0) * Double($0) * 1e-6)) }  // a 2.5 s chirp
        try SoundFile.write(samples, sampleRate: 16000, to: clip, format: .wavFloat)

        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        let matrix = try bundle.featureMatrices(files: [clip])[0]
        let views = bundle.testTimeViews(of: matrix, count: 3)
        let each = try bundle.classify(matrices: views)
        XCTAssertNotEqual(each[0], each[2], "the crops should see different audio")
        let predicted = try XCTUnwrap(SER.parseAsRoot(["predict", model, clip, "--tta", "3"]) as? Predict)
            .predictions()
        let p = try XCTUnwrap(predicted[0].probabilities)
        for (c, label) in bundle.labels.enumerated() {
            XCTAssertEqual(try XCTUnwrap(p[label]), (each[0][c] + each[1][c] + each[2][c]) / 3, accuracy: 1e-12)
        }
        XCTAssertThrowsError(try SER.parseAsRoot(["predict", model, clip, "--tta", "0"]))
    }

    /// `ser eval --tta N` scores the same averaged probabilities: its confusion matrix is the argmax of the
    /// mean over each file's views.
    func testEvalTTAScoresTheAveragedViews() throws {
        let directory = TemporaryDirectory("ser-eval-tta")
        let model = try writeTinyModelFile(to: directory.path("model.safetensors"))
        var files: [(label: String, path: String)] = []
        for (k, label) in ["low", "high", "low", "high"].enumerated() {
            try FileManager.default.createDirectory(
                atPath: directory.path("corpus/\(label)"), withIntermediateDirectories: true)
            let path = directory.path("corpus/\(label)/clip\(k).wav")
            let rate = 1e-6 * Double(k + 1)
            let samples = (0..<40000).map { Float(0.3 * sin(Double($0) * Double($0) * rate)) }
            try SoundFile.write(samples, sampleRate: 16000, to: path, format: .wavFloat)
            files.append((label, path))
        }
        var bundle = try ModelBundle.load(from: URL(fileURLWithPath: model))
        var expected = Array(repeating: Array(repeating: 0, count: bundle.labels.count), count: bundle.labels.count)
        for file in files {
            let matrix = try bundle.featureMatrices(files: [file.path])[0]
            let each = try bundle.classify(matrices: bundle.testTimeViews(of: matrix, count: 4))
            let mean = bundle.labels.indices.map { c in each.map { $0[c] }.reduce(0, +) / 4 }
            expected[bundle.labels.firstIndex(of: file.label)!][ModelBundle.argmax(mean)] += 1
        }
        let eval = try XCTUnwrap(
            SER.parseAsRoot(["eval", model, directory.path("corpus"), "--layout", "folders", "--tta", "4"]) as? Eval)
        XCTAssertEqual(try eval.evaluate().confusion, expected)
        XCTAssertThrowsError(try SER.parseAsRoot(["eval", model, directory.path("corpus"), "--tta", "0"]))
    }
}
