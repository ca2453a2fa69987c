import BLAS
import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

final class ResNetTests: XCTestCase {
    /// Whole-network check: logits → cross-entropy; for the input and every parameter tensor, the
    /// directional derivative along a random direction d, ∇L·d, against (L(θ+εd) − L(θ−εd))/2ε.
    ///
    /// After BatchNorm, many ReLU inputs sit near zero, so the loss of a whole network is piecewise
    /// smooth with many kinks and finite differences of it wander by a few per cent; a small network, a
    /// small step (still far above Float32 rounding of the loss), the rejection of directions whose
    /// ε and ε/2 differences disagree, and a 10 % tolerance keep the check meaningful: a wrong or
    /// missing gradient path (a dropped shortcut, a wrong BN term) is off by far more. The precise
    /// whole-network check is `testGradientsMatchPyTorchReference` (agreement to 1e-3).
    func checkNetwork(
        _ model: ResNet, inputShape: [Int], seed: UInt64, file: StaticString = #filePath, line: UInt = #line
    ) {
        var rng = Xoshiro256(seed: seed)
        let x = randomScalars(inputShape.reduce(1, *), &rng)
        let labels = (0..<inputShape[0]).map { $0 % model.classCount }
        let loss = CrossEntropyLoss(labelSmoothing: 0.1)
        func lossAt(_ m: ResNet, _ xs: [Float]) -> Double {
            var m = m
            return Double(loss(m.forward(Tensor(shape: inputShape, scalars: xs), training: true), labels: labels).loss)
        }
        var trained = model
        trained.computesInputGradient = true
        let logits = trained.forward(Tensor(shape: inputShape, scalars: x), training: true)
        let gx = trained.backward(loss(logits, labels: labels).gradient)
        let epsilon: Float = 2e-4
        func assertDirectional(_ label: String, _ value: [Float], _ gradient: [Float], _ evaluate: ([Float]) -> Double)
        {
            // Random directions d; a direction whose differences with ε and ε/2 disagree crossed a kink
            // and is replaced. Every clean direction must match; at least two must be clean.
            var clean = 0, tries = 0
            while clean < 2 && tries < 12 {
                tries += 1
                let d = randomScalars(value.count, &rng)
                func difference(_ e: Float) -> Double {
                    (evaluate(zip(value, d).map { $0 + e * $1 }) - evaluate(zip(value, d).map { $0 - e * $1 }))
                        / (2 * Double(e))
                }
                let coarse = difference(epsilon), fine = difference(epsilon / 2)
                if abs(coarse - fine) > 0.02 * abs(fine) + 2e-4 { continue }
                clean += 1
                let analytic = GradientChecker.dot(gradient, d)
                XCTAssertLessThan(
                    abs(analytic - fine), 0.1 * abs(fine) + 1e-3,
                    "\(label): directional derivative \(analytic) vs finite difference \(fine)", file: file, line: line)
            }
            XCTAssertEqual(clean, 2, "\(label): every direction crossed a kink", file: file, line: line)
        }
        assertDirectional("input", x, gx.scalars) { lossAt(model, $0) }
        for (name, p) in trained.namedParameters {
            var value: Tensor?
            var m0 = model
            m0.visitParameters { n, q in if n == name { value = q.value } }
            assertDirectional(name, value!.scalars, p.gradient.scalars) { ps in
                var m = model
                m.visitParameters { n, q in if n == name { q.value = Tensor(shape: q.value.shape, scalars: ps) } }
                return lossAt(m, x)
            }
        }
    }

    func testSmallResNetGradientsMatchFiniteDifferences() {
        var rng = Xoshiro256(seed: 47)
        // Inputs large enough that layer4's BatchNorm sees ≥ 12 values per channel (BN over 2–3 values is
        // nearly constant and its finite differences are dominated by rounding).
        checkNetwork(
            ResNet(classCount: 3, depth: .resNet10, width: 2, stem: .smallInput, using: &rng),
            inputShape: [8, 1, 8, 8], seed: 1)
        checkNetwork(
            ResNet(classCount: 3, depth: .resNet10, inputChannels: 2, width: 2, stem: .imageNet, using: &rng),
            inputShape: [8, 2, 32, 32], seed: 2)
    }

    func testBottleneckResNetGradientsMatchFiniteDifferences() {
        var rng = Xoshiro256(seed: 22)
        var block = Bottleneck(inputChannels: 4, channels: 2, stride: 2, zeroInitResidual: false, using: &rng)
        block.bn3.weight.value = Tensor(shape: [8], repeating: 0.7)
        checkLayerGradients(block, inputShape: [2, 4, 6, 6], epsilon: 4e-3, tolerance: 2e-2)
        checkLayerGradients(
            BasicBlock(inputChannels: 3, channels: 3, stride: 1, zeroInitResidual: false, using: &rng),
            inputShape: [2, 3, 5, 5], epsilon: 4e-3, tolerance: 2e-2)
    }

    func testTorchvisionParameterNamesAndCounts() {
        var rng = Xoshiro256(seed: 1)
        let r18 = ResNet(classCount: 1000, depth: .resNet18, inputChannels: 3, using: &rng)
        XCTAssertEqual(r18.parameterCount, 11_689_512)  // torchvision resnet18
        let names = r18.stateDict.map(\.name)
        XCTAssertEqual(names.first, "conv1.weight")
        XCTAssertTrue(names.contains("layer2.0.downsample.0.weight"))
        XCTAssertTrue(names.contains("layer4.1.bn2.running_var"))
        XCTAssertTrue(names.contains("bn1.num_batches_tracked"))
        XCTAssertEqual(names.count, 122)  // len(resnet18().state_dict())
        let r50 = ResNet(classCount: 1000, depth: .resNet50, inputChannels: 3, using: &rng)
        XCTAssertEqual(r50.parameterCount, 25_557_032)  // torchvision resnet50
        let r34 = ResNet(classCount: 1000, depth: .resNet34, inputChannels: 3, using: &rng)
        XCTAssertEqual(r34.parameterCount, 21_797_672)  // torchvision resnet34
        let decaying = r18.namedParameters.filter(\.parameter.decays).map(\.name)
        XCTAssertTrue(
            decaying.allSatisfy {
                $0.hasSuffix("conv1.weight") || $0.hasSuffix("conv2.weight") || $0.hasSuffix("downsample.0.weight")
                    || $0 == "fc.weight"
            })
    }

    func testKaimingInitialisationScale() {
        var rng = Xoshiro256(seed: 4)
        let model = ResNet(classCount: 4, depth: .resNet18, using: &rng)
        let w = model.layers[2][1].basic!.conv1.weight.value.scalars  // 256 × 256 × 3 × 3
        let variance = w.map { Double($0) * Double($0) }.reduce(0, +) / Double(w.count)
        XCTAssertEqual(variance, 2.0 / Double(256 * 9), accuracy: 0.03 * 2.0 / Double(256 * 9))
    }

    func testTrainingDrivesLossNearZeroOnATinyBatch() {
        var rng = Xoshiro256(seed: 5)
        var model = ResNet(classCount: 4, depth: .resNet10, width: 8, stem: .smallInput, using: &rng)
        let x = Tensor(shape: [8, 1, 8, 8], scalars: randomScalars(8 * 64, &rng))
        let labels = [0, 1, 2, 3, 0, 1, 2, 3]
        var adam = Adam(learningRate: 1e-2)
        let loss = CrossEntropyLoss()
        var last: Float = .infinity
        for _ in 0..<60 {
            let (l, g) = loss(model.forward(x, training: true), labels: labels)
            _ = model.backward(g)
            adam.step(&model)
            last = l
        }
        XCTAssertLessThan(last, 0.05)
        let eval = model.forward(x, training: true)
        XCTAssertLessThan(loss(eval, labels: labels).loss, 0.05)
    }

    func testSameSeedGivesBitIdenticalWeightsAfterTraining() {
        func train(seed: UInt64) -> [(name: String, tensor: Tensor)] {
            Engine.with(Engine.settings.with(\.threads, 1)) {
                var rng = Xoshiro256(seed: seed)
                var model = ResNet(
                    classCount: 3, depth: .resNet10, width: 4, stem: .smallInput, dropout: 0.3, using: &rng)
                var adam = Adam(learningRate: 1e-2)
                let x = Tensor(shape: [4, 1, 8, 8], scalars: randomScalars(256, &rng))
                for _ in 0..<3 {
                    let (_, g) = CrossEntropyLoss()(model.forward(x, training: true), labels: [0, 1, 2, 0])
                    _ = model.backward(g)
                    adam.step(&model)
                }
                return model.stateDict
            }
        }
        let a = train(seed: 9), b = train(seed: 9), c = train(seed: 10)
        XCTAssertEqual(a.map(\.name), b.map(\.name))
        XCTAssertTrue(zip(a, b).allSatisfy { $0.tensor.scalars == $1.tensor.scalars })
        XCTAssertFalse(zip(a, c).allSatisfy { $0.tensor.scalars == $1.tensor.scalars })
    }

    func testTwoLanesGiveDeterministicWeights() {
        // Sample lanes (Winograd and im2col convolutions, lane-ordered weight-gradient sums): the
        // same seed gives the same weights on every run with the same thread count.
        func train(seed: UInt64) -> [(name: String, tensor: Tensor)] {
            Engine.with(threads: 2) {
                var rng = Xoshiro256(seed: seed)
                var model = ResNet(classCount: 3, depth: .resNet10, width: 8, stem: .imageNet, using: &rng)
                var adam = Adam(learningRate: 1e-2)
                let x = Tensor(shape: [6, 1, 32, 40], scalars: randomScalars(6 * 32 * 40, &rng))
                for _ in 0..<2 {
                    let (_, g) = CrossEntropyLoss()(model.forward(x, training: true), labels: [0, 1, 2, 0, 1, 2])
                    _ = model.backward(g)
                    adam.step(&model)
                }
                return model.stateDict
            }
        }
        let a = train(seed: 3), b = train(seed: 3)
        XCTAssertTrue(zip(a, b).allSatisfy { $0.tensor.scalars == $1.tensor.scalars })
    }
}

/// Whole-network agreement with PyTorch (fixture written by tools/bench/make_reference_fixture.py).
final class PyTorchReferenceTests: XCTestCase {
    func testGradientsMatchPyTorchReference() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/resnet_reference.safetensors")
        let file = try SafeTensors.read(from: url)
        let tensors = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        // Both engine configurations: threaded sgemm, and sample lanes with single-threaded sgemm.
        for (stem, depth, lanes) in [
            (ResNet.Stem.smallInput, ResNet.Depth.resNet10, false), (.imageNet, .resNet18, false),
            (.smallInput, .resNet10, true), (.imageNet, .resNet18, true),
        ] {
            try Engine.with(lanes ? Engine.settings.lanes(2) : Engine.settings) {
                try checkAgainstReference(tensors, stem: stem, depth: depth)
            }
        }
    }

    func checkAgainstReference(_ tensors: [String: Tensor], stem: ResNet.Stem, depth: ResNet.Depth) throws {
        let p = stem.rawValue + "."
        let x = try XCTUnwrap(tensors[p + "input"])
        var rng = Xoshiro256(seed: 0)
        var model = ResNet(
            classCount: 3, depth: depth, inputChannels: x.shape[1], width: 4, stem: stem, using: &rng)
        var state: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(p + "model.") {
            state[String(k.dropFirst((p + "model.").count))] = v
        }
        try model.loadStateDict(state)
        let labels = tensors[p + "labels"]!.scalars.map { Int($0) }
        let logits = model.forward(x, training: true)
        assertAllClose(
            logits.scalars, tensors[p + "logits"]!.scalars, absolute: 1e-4, relative: 1e-3, "\(stem) logits")
        let (loss, g) = CrossEntropyLoss(labelSmoothing: 0.1)(logits, labels: labels)
        XCTAssertEqual(loss, tensors[p + "loss"]![0], accuracy: 1e-5)
        _ = model.backward(g)
        for (name, param) in model.namedParameters {
            let expected = try XCTUnwrap(tensors[p + "grad." + name], name)
            let error = GradientChecker.relativeError(
                param.gradient.scalars.map(Double.init), expected.scalars.map(Double.init))
            XCTAssertLessThan(error, 5e-3, "\(stem) \(name): relative gradient difference from PyTorch")
        }
        for (name, t) in model.stateDict where name.contains("running") {
            assertAllClose(
                t.scalars, tensors[p + "after." + name]!.scalars, absolute: 1e-5, relative: 1e-4, "\(stem) \(name)")
        }
    }
}
