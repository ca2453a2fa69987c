import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

/// One weight (decays) and one bias (does not), with gradients set by hand.
struct TwoParameters: Layer {
    var weight = Parameter(Tensor(shape: [2], scalars: [1, -2]), decays: true)
    var bias = Parameter(Tensor(shape: [1], scalars: [0.5]), decays: false)

    mutating func forward(_ input: Tensor, training: Bool) -> Tensor { input }
    mutating func backward(_ gradOutput: consuming Tensor) -> Tensor { gradOutput }
    mutating func visitParameters(prefix: String, _ body: (String, inout Parameter) -> Void) {
        body(join(prefix, "weight"), &weight)
        body(join(prefix, "bias"), &bias)
    }
}

final class OptimizerTests: XCTestCase {
    func testAdamWMatchesHandComputedSteps() {
        var model = TwoParameters()
        var adam = Adam(learningRate: 0.1)  // β1 .9, β2 .99, ε 1e-5, wd .01 decoupled
        let grads: [[Float]] = [[0.5, -1], [0.25, 2]]
        var p = [1.0, -2.0], m = [0.0, 0.0], v = [0.0, 0.0]
        var b = 0.5, mb = 0.0, vb = 0.0
        for (t, g) in grads.enumerated() {
            model.weight.gradient = Tensor(shape: [2], scalars: g)
            model.bias.gradient = Tensor(shape: [1], scalars: [g[0]])
            adam.step(&model)
            let step = Double(t + 1)
            let c1 = 1 - pow(0.9, step), c2 = 1 - pow(0.99, step)
            for i in 0..<2 {
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
                v[i] = 0.99 * v[i] + 0.01 * Double(g[i]) * Double(g[i])
                p[i] = p[i] * (1 - 0.1 * 0.01) - 0.1 * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-5)
            }
            mb = 0.9 * mb + 0.1 * Double(g[0])
            vb = 0.99 * vb + 0.01 * Double(g[0]) * Double(g[0])
            b -= 0.1 * (mb / c1) / ((vb / c2).squareRoot() + 1e-5)  // no decay on biases
        }
        assertAllClose(model.weight.value.scalars, p.map(Float.init), absolute: 1e-6)
        assertAllClose(model.bias.value.scalars, [Float(b)], absolute: 1e-6)
        XCTAssertEqual(adam.stepCount, 2)
    }

    func testAdamWithL2DecayAddsDecayToTheGradient() {
        var model = TwoParameters()
        var adam = Adam(learningRate: 0.1, weightDecay: 0.5, decoupledWeightDecay: false)
        model.weight.gradient = Tensor(shape: [2], scalars: [0, 0])
        adam.step(&model)
        // g = 0.5·p; first step of Adam moves each weight by ≈ lr·sign(g).
        assertAllClose(model.weight.value.scalars, [1 - 0.1, -2 + 0.1], absolute: 1e-4)
    }

    func testSGDMomentumAndNesterovMatchHandComputedSteps() {
        for nesterov in [false, true] {
            var model = TwoParameters()
            var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: nesterov, weightDecay: 0.1)
            var p = [1.0, -2.0], buf = [0.0, 0.0]
            for g in [[1.0, 0.5], [-0.5, 1.0]] {
                model.weight.gradient = Tensor(shape: [2], scalars: g.map(Float.init))
                model.bias.gradient = Tensor(shape: [1], scalars: [0])
                sgd.step(&model)
                for i in 0..<2 {
                    let d = g[i] + 0.1 * p[i]
                    buf[i] = 0.9 * buf[i] + d
                    p[i] -= 0.1 * (nesterov ? d + 0.9 * buf[i] : buf[i])
                }
            }
            assertAllClose(model.weight.value.scalars, p.map(Float.init), absolute: 1e-6, "nesterov \(nesterov)")
            XCTAssertEqual(model.bias.value[0], 0.5, "bias has no decay and zero gradient")
        }
    }

    func testOneCycleScheduleMatchesFastai() {
        let s = OneCycleSchedule(maxLearningRate: 1e-2)
        XCTAssertEqual(Double(s.lr(at: 0)), 1e-2 / 25, accuracy: 1e-9)
        XCTAssertEqual(Double(s.lr(at: 0.125)), (1e-2 / 25 + 1e-2) / 2, accuracy: 1e-8)
        XCTAssertEqual(Double(s.lr(at: 0.25)), 1e-2, accuracy: 1e-9)
        XCTAssertEqual(Double(s.lr(at: 0.625)), (1e-2 + 1e-7) / 2, accuracy: 1e-8)
        XCTAssertEqual(Double(s.lr(at: 1)), 1e-7, accuracy: 1e-12)
        XCTAssertEqual(Double(s.momentum(at: 0)!), 0.95, accuracy: 1e-6)
        XCTAssertEqual(Double(s.momentum(at: 0.25)!), 0.85, accuracy: 1e-6)
        XCTAssertEqual(Double(s.momentum(at: 0.625)!), 0.90, accuracy: 1e-6)
        XCTAssertEqual(Double(s.momentum(at: 1)!), 0.95, accuracy: 1e-6)
        // Cosine, not linear: a quarter into the warm-up the rate is (1 − cos(π/4))/2 of the way.
        let quarter = 1e-2 / 25 + (1 - cos(Double.pi / 4)) / 2 * (1e-2 - 1e-2 / 25)
        XCTAssertEqual(Double(s.lr(at: 0.0625)), quarter, accuracy: 1e-8)
    }

    func testFlatCosineAndConstantSchedules() {
        let f = FlatCosineSchedule(learningRate: 1e-3)
        XCTAssertEqual(f.lr(at: 0), 1e-3)
        XCTAssertEqual(f.lr(at: 0.7), 1e-3)
        XCTAssertEqual(Double(f.lr(at: 0.875)), (1e-3 + 1e-8) / 2, accuracy: 1e-9)
        XCTAssertEqual(Double(f.lr(at: 1)), 1e-8, accuracy: 1e-12)
        XCTAssertNil(f.momentum(at: 0.5))
        XCTAssertEqual(ConstantSchedule(learningRate: 3e-3).lr(at: 0.9), 3e-3)
        var adam = Adam()
        OneCycleSchedule(maxLearningRate: 1e-2).apply(to: &adam, progress: 0.25)
        XCTAssertEqual(adam.learningRate, 1e-2, accuracy: 1e-9)
        XCTAssertEqual(adam.beta1, 0.85, accuracy: 1e-6)
    }

    func testOptimizerStateRoundTripResumesBitIdentically() throws {
        let dir = TemporaryDirectory("nn-opt")
        var rng = Xoshiro256(seed: 3)
        var model = ResNet(classCount: 2, depth: .resNet10, width: 4, stem: .smallInput, using: &rng)
        let x = Tensor(shape: [2, 1, 6, 6], scalars: randomScalars(72, &rng))
        var adam = Adam(learningRate: 1e-2)
        func step(_ m: inout ResNet, _ o: inout Adam) {
            let (_, g) = CrossEntropyLoss()(m.forward(x, training: true), labels: [0, 1])
            _ = m.backward(g)
            o.step(&m)
        }
        step(&model, &adam)
        try model.save(to: URL(fileURLWithPath: dir.path("model.safetensors")))
        try adam.save(to: URL(fileURLWithPath: dir.path("adam.safetensors")))
        var continued = model, continuedAdam = adam
        step(&continued, &continuedAdam)
        var restoredRNG = Xoshiro256(seed: 99)
        var restored = ResNet(classCount: 2, depth: .resNet10, width: 4, stem: .smallInput, using: &restoredRNG)
        var restoredAdam = Adam()
        try restored.load(from: URL(fileURLWithPath: dir.path("model.safetensors")))
        try restoredAdam.load(from: URL(fileURLWithPath: dir.path("adam.safetensors")))
        XCTAssertEqual(restoredAdam.stepCount, 1)
        step(&restored, &restoredAdam)
        for (a, b) in zip(continued.stateDict, restored.stateDict) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name)
        }
    }
}
