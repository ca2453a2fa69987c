import Foundation
import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

/// The weights of tools/pretrained/make_fixtures.py, computed bit-for-bit: a formula of the tensor's name
/// (FNV-1a) and the element's index (splitmix64), so the fixtures hold outputs only.
enum FormulaWeights {
    static func fnv1a(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static func uniform(_ name: String, _ count: Int) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        fill(name, count) { i, u in values[i] = u }
        return values
    }

    /// Calls `body(i, u_i)` for i in 0..<count (a plain loop: the test target is built without optimisation,
    /// and a ResNet-34 has 21 M weights).
    static func fill(_ name: String, _ count: Int, _ body: (Int, Double) -> Void) {
        let seed = fnv1a(name)
        var z0 = seed
        for i in 0..<count {
            z0 = z0 &+ 0x9E37_79B9_7F4A_7C15
            var z = z0
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            body(i, Double(z >> 11) * 0x1p-53)
        }
    }

    static func tensor(_ name: String, _ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        if name.hasSuffix("num_batches_tracked") { return Tensor(shape: shape) }
        let low: Double
        let high: Double
        if name.hasSuffix("running_var") || (name.hasSuffix(".weight") && shape.count == 1) {
            (low, high) = (0.5, 1.5)
        } else if name.hasSuffix("running_mean") || (name.hasSuffix(".bias") && !name.hasPrefix("fc.")) {
            (low, high) = (-0.2, 0.2)
        } else {
            let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 512
            let a = shape.count == 4 ? (6.0 / Double(fanIn)).squareRoot() : 1 / Double(fanIn).squareRoot()
            (low, high) = (-a, a)
        }
        var t = Tensor(uninitializedShape: shape)
        let p = t.mutablePointer
        fill(name, count) { i, u in p[i] = Float(low + (high - low) * u) }
        return t
    }

    /// A torchvision ResNet's state dict (3 input channels, the given classes) filled by the formula.
    static func torchvision(depth: ResNet.Depth, width: Int = 64, classes: Int = 1000) -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, shape) in ResNet.stateShapes(classCount: classes, depth: depth, inputChannels: 3, width: width) {
            state[name] = tensor(name, shape)
        }
        return state
    }
}

final class PretrainedTests: XCTestCase {
    func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
    }

    func model(_ depth: ResNet.Depth, classes: Int = 3, width: Int = 64, stem: ResNet.Stem = .imageNet) -> ResNet {
        var rng = Xoshiro256(seed: 5)
        return ResNet(classCount: classes, depth: depth, width: width, stem: stem, using: &rng)
    }

    struct Reference: Decodable {
        struct Model: Decodable { var features: [[Float]] }
        var input_name: String
        var input_shape: [Int]
        var models: [String: Model]
    }

    /// ser's 1-channel network from a 3-channel torchvision checkpoint computes torchvision's features of the
    /// image repeated over RGB (fastai's sum rule), for ResNet-18 and ResNet-34.
    func testSummedStemAndBodyGiveTorchvisionsFeatures() throws {
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: fixture("pretrained_outputs.json")))
        let shape = reference.input_shape
        let input = Tensor(
            shape: shape,
            scalars: FormulaWeights.uniform(reference.input_name, shape.reduce(1, *)).map { Float($0 * 2 - 1) })
        for depth in [ResNet.Depth.resNet18, .resNet34] {
            let expected = try XCTUnwrap(reference.models["resnet\(depth.rawValue)"]).features
            let width = expected[0].count
            var net = model(depth, classes: width)
            let loaded = try net.loadPretrained(FormulaWeights.torchvision(depth: depth), path: "formula")
            XCTAssertEqual(loaded, .pretrained(checkpointClasses: 1000, summedInputChannels: 3))
            // An identity head turns the logits into the pooled features.
            var identity = [Float](repeating: 0, count: width * width)
            for i in 0..<width { identity[i * width + i] = 1 }
            net.fc.weight.value = Tensor(shape: [width, width], scalars: identity)
            net.fc.bias!.value = Tensor(shape: [width])
            let features = net.forward(input, training: false)
            let scale = expected.flatMap { $0 }.map(abs).max()!
            assertAllClose(
                features.scalars, expected.flatMap { $0 }, absolute: 2e-5 * scale, relative: 1e-4,
                "ResNet-\(depth.rawValue) features")
        }
    }

    /// The .pth reader gives exactly the tensors written (a torch.save-format zip of a ResNet-10, width 4).
    func testPTHStateDictReadsEveryTensorExactly() throws {
        let tensors = try TorchCheckpoint.readStateDict(from: fixture("pretrained_tiny.pth"))
        let expected = FormulaWeights.torchvision(depth: .resNet10, width: 4, classes: 5)
        XCTAssertEqual(Set(tensors.keys), Set(expected.keys))
        for (name, t) in expected {
            XCTAssertEqual(tensors[name]?.shape, t.shape, name)
            XCTAssertEqual(tensors[name]?.scalars, t.scalars, name)
        }
    }

    /// The fuzzing seed of model.init files is a .pth the reader accepts (a seed that fails early teaches the
    /// fuzzer little).
    func testTheFuzzSeedIsAReadableStateDict() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/fuzz/safetensors/corpus/torch-state-dict.pth")
        let tensors = try TorchCheckpoint.readStateDict(from: seed)
        XCTAssertEqual(tensors["conv1.weight"]?.scalars, FormulaWeights.tensor("conv1.weight", [2, 3, 1, 1]).scalars)
        XCTAssertEqual(tensors["bn1.num_batches_tracked"]?.shape, [])
        XCTAssertEqual(tensors["fc.bias"]?.shape, [2])
    }

    /// model.init with a .pth: conv1 is the RGB sum, the body is the checkpoint's, the head stays new.
    func testInitialWeightsFromPTHSumConv1AndKeepTheNewHead() throws {
        var net = model(.resNet10, classes: 3, width: 4)
        let fresh = net
        let loaded = try net.loadInitialWeights(from: fixture("pretrained_tiny.pth"))
        XCTAssertEqual(loaded, .pretrained(checkpointClasses: 5, summedInputChannels: 3))
        let rgb = FormulaWeights.tensor("conv1.weight", [4, 3, 7, 7]).scalars
        var summed: [Float] = []
        for o in 0..<4 {
            for k in 0..<49 {
                let r = rgb[(o * 3) * 49 + k], g = rgb[(o * 3 + 1) * 49 + k], b = rgb[(o * 3 + 2) * 49 + k]
                summed.append(r + g + b)
            }
        }
        XCTAssertEqual(net.conv1.weight.value.shape, [4, 1, 7, 7])
        XCTAssertEqual(net.conv1.weight.value.scalars, summed)
        let state = Dictionary(uniqueKeysWithValues: net.stateDict.map { ($0.name, $0.tensor.scalars) })
        let freshState = Dictionary(uniqueKeysWithValues: fresh.stateDict.map { ($0.name, $0.tensor.scalars) })
        XCTAssertEqual(state["fc.weight"], freshState["fc.weight"])
        XCTAssertEqual(state["fc.bias"], freshState["fc.bias"])
        XCTAssertEqual(
            state["layer3.0.downsample.1.running_var"],
            FormulaWeights.tensor("layer3.0.downsample.1.running_var", [16]).scalars)

        // ser's own weights for this very network load as they are.
        let directory = TemporaryDirectory("ser-pretrained-own")
        let own = directory.url.appendingPathComponent("own.safetensors")
        try net.save(to: own)
        var again = model(.resNet10, classes: 3, width: 4)
        XCTAssertEqual(try again.loadInitialWeights(from: own), .exact)
        XCTAssertEqual(again.stateDict.map(\.tensor.scalars), net.stateDict.map(\.tensor.scalars))
    }

    func testCheckpointsThatDoNotFitAreRefusedByNameAndLeaveTheModelAlone() throws {
        let tiny = FormulaWeights.torchvision(depth: .resNet10, width: 4, classes: 5)
        func refused(_ net: ResNet, _ state: [String: Tensor]) -> PretrainedError? {
            var copy = net
            do {
                try copy.loadPretrained(state, path: "ckpt")
                return nil
            } catch let error as PretrainedError {
                XCTAssertEqual(copy.stateDict.map(\.tensor.scalars), net.stateDict.map(\.tensor.scalars))
                return error
            } catch {
                XCTFail("\(error)")
                return nil
            }
        }
        let depthError = refused(model(.resNet18, width: 4), tiny)
        XCTAssertEqual(depthError, .depth(path: "ckpt", found: "ResNet-10", expected: 18))
        XCTAssertTrue("\(depthError!)".contains("set model.depth"))
        XCTAssertEqual(refused(model(.resNet10, width: 8), tiny), .width(path: "ckpt", found: 4, expected: 8))
        XCTAssertEqual(
            refused(model(.resNet10, width: 4, stem: .smallInput), tiny),
            .stem(path: "ckpt", kernel: 7, expected: .smallInput))

        var renamed = tiny
        renamed["layer2.0.convX.weight"] = renamed.removeValue(forKey: "layer2.0.conv1.weight")
        guard case .state(_, let problems) = refused(model(.resNet10, width: 4), renamed) else {
            return XCTFail("a renamed tensor is refused")
        }
        XCTAssertEqual(problems.missing, ["layer2.0.conv1.weight"])
        XCTAssertEqual(problems.unexpected, ["layer2.0.convX.weight"])

        var misshapen = tiny
        misshapen["layer1.0.bn1.running_mean"] = Tensor(shape: [5])
        guard case .state(_, let shapes) = refused(model(.resNet10, width: 4), misshapen) else {
            return XCTFail("a misshapen tensor is refused")
        }
        XCTAssertEqual(shapes.mismatched, [.init(name: "layer1.0.bn1.running_mean", expected: [4], found: [5])])
        XCTAssertTrue("\(PretrainedError.state(path: "ckpt", shapes))".contains("layer1.0.bn1.running_mean"))

        var fiveChannels = tiny
        fiveChannels["conv1.weight"] = Tensor(shape: [4, 5, 7, 7])
        XCTAssertEqual(
            refused(model(.resNet10, width: 4), fiveChannels), .inputChannels(path: "ckpt", found: 5, expected: 1))
        XCTAssertEqual(
            refused(model(.resNet10, width: 4), ["fc.weight": Tensor(shape: [2, 2])]),
            .notAResNet(path: "ckpt", reason: "it has no layer1…layer4 tensors"))
        let bottleneck = Dictionary(
            uniqueKeysWithValues: ResNet.stateShapes(classCount: 2, depth: .resNet50, width: 4).map {
                ($0.name, Tensor(shape: $0.shape))
            })
        XCTAssertEqual(
            refused(model(.resNet34, width: 4), bottleneck), .depth(path: "ckpt", found: "ResNet-50", expected: 34))
    }

    func testPickleCodeOtherThanATensorDictIsRefusedNotRun() {
        // `os.system('true')` as protocol-2 pickle: GLOBAL os system, the argument, TUPLE1, REDUCE, STOP.
        let payload: [UInt8] =
            [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 4, 0, 0, 0] + Array("true".utf8) + [0x85, 0x52, 0x2E]
        var unpickler = Unpickler(bytes: payload[...], path: "evil.pth") { _ in [] }
        XCTAssertThrowsError(try unpickler.load()) { error in
            XCTAssertTrue("\(error)".contains("os.system"), "\(error)")
        }
        var truncated = Unpickler(bytes: [0x80, 0x02, 0x58, 0xFF, 0xFF][...], path: "cut.pth") { _ in [] }
        XCTAssertThrowsError(try truncated.load())
        // Nesting deep enough to exhaust the stack when freed is refused, and so is changing a nested list.
        let deepLists: [UInt8] =
            [0x80, 0x02] + Array(repeating: 0x5D, count: 40) + Array(repeating: 0x61, count: 39) + [0x2E]
        let deepTuples: [UInt8] = [0x80, 0x02, 0x4E] + Array(repeating: 0x85, count: 40) + [0x2E]
        let changedAfterNesting: [UInt8] = [0x80, 0x02, 0x5D, 0x5D, 0x71, 0x01, 0x61, 0x68, 0x01, 0x5D, 0x61, 0x2E]
        for (payload, message) in [
            (deepLists, "nest deeper"), (deepTuples, "nest deeper"), (changedAfterNesting, "changed after"),
        ] {
            var hostile = Unpickler(bytes: payload[...], path: "deep.pth") { _ in [] }
            XCTAssertThrowsError(try hostile.load()) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        // A zip that is not a state dict.
        XCTAssertThrowsError(try TorchCheckpoint.readPTH(Data([0x50, 0x4B, 0x03, 0x04, 0, 0]), path: "short.pth")) {
            XCTAssertTrue("\($0)".contains("short.pth"))
        }
    }

    /// Frozen parameters are skipped by the optimizers (no update, no decay, no state); BatchNorm and the head
    /// train; discriminative scales spread the rate geometrically from the stem to the head.
    func testFreezingChangesNothingInFrozenTensors() throws {
        for var optimizer in [AnyOptimizer(Adam(learningRate: 1e-2)), AnyOptimizer(SGD(learningRate: 1e-2))] {
            var net = model(.resNet10, classes: 3, width: 4)
            net.setLearningRateScales(.frozen)
            let before = Dictionary(
                uniqueKeysWithValues: net.namedParameters.map { ($0.name, $0.parameter.value.scalars) })
            var rng = Xoshiro256(seed: 1)
            let x = Tensor(
                shape: [2, 1, 32, 32], scalars: (0..<2048).map { _ in Float.random(in: -1...1, using: &rng) })
            for _ in 0..<2 {
                let (_, g) = CrossEntropyLoss()(net.forward(x, training: true), labels: [0, 2])
                _ = net.backward(g)
                optimizer.step(&net)
            }
            let trainable = Set(
                optimizer.stateTensors.map { $0.name.split(separator: ".", maxSplits: 1)[1] }.map(String.init))
            for (name, p) in net.namedParameters {
                let trains = name.hasPrefix("fc.") || ResNetParameterGroup.isBatchNorm(name)
                XCTAssertEqual(p.value.scalars == before[name], !trains, name)
                XCTAssertEqual(trainable.contains(name), trains, "optimizer state of \(name)")
            }
        }
        let scales = FineTuneScales.unfrozen(lowest: 1e-2)
        XCTAssertEqual(scales.scale(for: "conv1.weight"), 1e-2)
        XCTAssertEqual(scales.scale(for: "layer2.1.conv2.weight"), Float(pow(1e-2, 3.0 / 5)), accuracy: 1e-7)
        XCTAssertEqual(scales.scale(for: "layer4.0.downsample.1.bias"), Float(pow(1e-2, 1.0 / 5)), accuracy: 1e-7)
        XCTAssertEqual(scales.scale(for: "fc.weight"), 1)
        XCTAssertEqual(FineTuneScales.unfrozen(lowest: 1).scale(for: "conv1.weight"), 1)
        XCTAssertEqual(FineTuneScales.frozen.scale(for: "layer3.0.downsample.1.weight"), 1)
        XCTAssertEqual(FineTuneScales.frozen.scale(for: "layer3.0.downsample.0.weight"), 0)
    }
}
