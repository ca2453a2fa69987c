import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

final class SafeTensorsTests: XCTestCase {
    func testModelRoundTripAndHeaderLayout() throws {
        let dir = TemporaryDirectory("nn-st")
        let url = URL(fileURLWithPath: dir.path("m.safetensors"))
        var rng = Xoshiro256(seed: 8)
        var model = ResNet(classCount: 5, depth: .resNet10, width: 4, using: &rng)
        // The running statistics move.
        _ = model.forward(Tensor(shape: [2, 1, 16, 16], scalars: randomScalars(512, &rng)), training: true)
        try model.save(to: url, metadata: ["arch": "resnet10"])

        let data = try Data(contentsOf: url)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertEqual(headerLength % 8, 0)
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        let conv = header["conv1.weight"] as! [String: Any]
        XCTAssertEqual(conv["dtype"] as? String, "F32")
        XCTAssertEqual(conv["shape"] as? [Int], [4, 1, 7, 7])
        XCTAssertEqual((header["bn1.num_batches_tracked"] as! [String: Any])["dtype"] as? String, "I64")
        XCTAssertEqual((header["__metadata__"] as! [String: String])["arch"], "resnet10")
        let offsets = header.values.compactMap { ($0 as? [String: Any])?["data_offsets"] as? [Int] }.sorted {
            $0[0] < $1[0]
        }
        XCTAssertEqual(offsets.first?[0], 0)
        XCTAssertEqual(offsets.last?[1], data.count - 8 - headerLength, "tensors fill the rest of the file")
        for (a, b) in zip(offsets, offsets.dropFirst()) { XCTAssertEqual(a[1], b[0], "contiguous") }

        var other = ResNet(classCount: 5, depth: .resNet10, width: 4, using: &rng)
        try other.load(from: url)
        for (a, b) in zip(model.stateDict, other.stateDict) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.tensor.shape, b.tensor.shape, a.name)
            XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name)
        }
        XCTAssertEqual(other.bn1.batchesTracked[0], 1)
    }

    func testLoadRejectsMismatchedModels() throws {
        let dir = TemporaryDirectory("nn-st")
        let url = URL(fileURLWithPath: dir.path("m.safetensors"))
        var rng = Xoshiro256(seed: 8)
        try ResNet(classCount: 5, depth: .resNet10, width: 4, using: &rng).save(to: url)
        var wider = ResNet(classCount: 5, depth: .resNet10, width: 8, using: &rng)
        XCTAssertThrowsError(try wider.load(from: url)) { error in
            XCTAssertEqual(
                error as? ModelStateError,
                .shapeMismatch(name: "conv1.weight", expected: [8, 1, 7, 7], found: [4, 1, 7, 7]))
        }
        var deeper = ResNet(classCount: 5, depth: .resNet18, width: 4, using: &rng)
        XCTAssertThrowsError(try deeper.load(from: url)) { error in
            XCTAssertEqual(error as? ModelStateError, .missing(name: "layer1.1.conv1.weight"))
        }
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafeTensors.read(from: url)) { error in
            XCTAssertTrue("\(error)".contains("not a valid safetensors file"), "\(error)")
        }
    }
}
