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
                (error as? ModelStateError)?.mismatched.first,
                .init(name: "conv1.weight", expected: [8, 1, 7, 7], found: [4, 1, 7, 7]))
        }
        var deeper = ResNet(classCount: 5, depth: .resNet18, width: 4, using: &rng)
        XCTAssertThrowsError(try deeper.load(from: url)) { error in
            XCTAssertEqual((error as? ModelStateError)?.missing.first, "layer1.1.conv1.weight")
        }
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafeTensors.read(from: url)) { error in
            XCTAssertTrue("\(error)".contains("not a valid safetensors file"), "\(error)")
        }
    }
}

/// Crafted safetensors files (issue #18): each is refused with an error naming the file and the entry,
/// never a trap and never an allocation larger than the file justifies.
final class HostileSafeTensorsTests: XCTestCase {
    /// A file with `header` as its JSON header (length `declaredLength` if given) and `payload` after it.
    func craft(_ header: String, payload: Int = 16, declaredLength: UInt64? = nil) throws -> (URL, TemporaryDirectory) {
        let dir = TemporaryDirectory("nn-hostile")
        let url = URL(fileURLWithPath: dir.path("crafted.safetensors"))
        let json = Data(header.utf8)
        var data = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(Data(repeating: 0, count: payload))
        try data.write(to: url)
        return (url, dir)
    }

    func assertRefused(_ header: String, declaredLength: UInt64? = nil, mentions: String, line: UInt = #line) throws {
        let (url, dir) = try craft(header, declaredLength: declaredLength)
        XCTAssertThrowsError(try SafeTensors.read(from: url), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("crafted.safetensors"), text, line: line)
            XCTAssertTrue(text.contains(mentions), text, line: line)
        }
        _ = dir
    }

    func testHeaderLengthOf2To63IsRefused() throws {
        try assertRefused("{}", declaredLength: 1 << 63, mentions: "header length 9223372036854775808")
    }

    func testShapeWhoseElementCountOverflowsIsRefused() throws {
        let d = 1 << 31
        try assertRefused(
            #"{"w": {"dtype": "F32", "shape": [\#(d), \#(d), \#(d), \#(d)], "data_offsets": [0, 16]}}"#,
            mentions: "entry 'w' has shape")
        // Product 2^62: count × 4 bytes overflowed before the fix.
        try assertRefused(
            #"{"w": {"dtype": "F32", "shape": [\#(1 << 62)], "data_offsets": [0, 0]}}"#, mentions: "entry 'w'")
        // 10^12 elements are refused before any allocation: the file has 16 data bytes.
        try assertRefused(
            #"{"w": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 4000000000000]}}"#,
            mentions: "entry 'w'")
    }

    func testNegativeDimensionsAreRefused() throws {
        // count −4 × 4 bytes = −16 = end − begin: passed the old consistency check, then trapped.
        try assertRefused(
            #"{"w": {"dtype": "F32", "shape": [-2, 2], "data_offsets": [16, 0]}}"#, mentions: "must not be negative")
    }

    func testOffsetsThatOverflowAreRefused() throws {
        let end = Int.max, begin = Int.max - 4
        try assertRefused(
            #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [\#(begin), \#(end)]}}"#, mentions: "entry 'w'")
    }

    /// Every truncation and many single-byte changes of a real file read or throw; none traps.
    func testTruncatedAndMutatedFilesNeverTrap() throws {
        let dir = TemporaryDirectory("nn-hostile")
        let url = URL(fileURLWithPath: dir.path("m.safetensors"))
        try SafeTensors.write(
            [
                ("a", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
                ("b.num_batches_tracked", Tensor(shape: [1])),
            ],
            metadata: ["k": "v"], to: url)
        let original = try Data(contentsOf: url)
        let mutated = URL(fileURLWithPath: dir.path("mutated.safetensors"))
        for length in 0..<original.count {
            try original.prefix(length).write(to: mutated)
            _ = try? SafeTensors.read(from: mutated)
        }
        for index in 0..<original.count {
            for byte: UInt8 in [0x00, 0x2D, 0x39, 0x7F, 0xFF] {
                var copy = original
                copy[index] = byte
                try copy.write(to: mutated)
                _ = try? SafeTensors.read(from: mutated)
            }
        }
    }
}

/// The state dict's names and shapes, computed without building the network, and loading that checks
/// every name, shape and value before replacing anything.
final class StateDictCheckTests: XCTestCase {
    func testStateShapesMatchTheNetworkForEveryDepthAndStem() {
        for depth in ResNet.Depth.allCases {
            for stem in ResNet.Stem.allCases {
                var rng = Xoshiro256(seed: 1)
                let model = ResNet(classCount: 3, depth: depth, width: 8, stem: stem, using: &rng)
                let shapes = ResNet.stateShapes(classCount: 3, depth: depth, width: 8, stem: stem)
                XCTAssertEqual(shapes.map(\.name), model.stateDict.map(\.name), "\(depth) \(stem)")
                XCTAssertEqual(shapes.map(\.shape), model.stateDict.map(\.tensor.shape), "\(depth) \(stem)")
            }
        }
    }

    func testLoadingListsEveryProblemAndChangesNothing() throws {
        var rng = Xoshiro256(seed: 2)
        var model = ResNet(classCount: 3, depth: .resNet10, width: 8, stem: .smallInput, using: &rng)
        let before = model.stateDict
        var state = Dictionary(uniqueKeysWithValues: before.map { ($0.name, $0.tensor) })
        state["fc.bias"] = nil
        state["extra"] = Tensor(shape: [1])
        state["conv1.weight"] = Tensor(shape: [4, 1, 3, 3])
        var nan = try XCTUnwrap(state["fc.weight"])
        nan[5] = .infinity
        state["fc.weight"] = nan
        XCTAssertThrowsError(try model.loadStateDict(state)) { error in
            let e = error as? ModelStateError
            XCTAssertEqual(e?.missing, ["fc.bias"])
            XCTAssertEqual(e?.unexpected, ["extra"])
            XCTAssertEqual(e?.mismatched.map(\.name), ["conv1.weight"])
            XCTAssertEqual(e?.nonFinite, [.init(name: "fc.weight", index: 5)])
        }
        for (a, b) in zip(before, model.stateDict) { XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name) }
    }
}
