import SeededRandom
import TestSupport
import XCTest

@testable import NeuralNet

/// `AnyOptimizer` is only a wrapper: the same arithmetic and the same state as the optimizer it wraps.
final class AnyOptimizerTests: XCTestCase {
    /// SGD, Adam with L2 decay and AdamW, each with settings that are not the defaults.
    let kinds: [(name: String, make: () -> any Optimizer)] = [
        ("sgd", { SGD(learningRate: 1e-3, momentum: 0.8, nesterov: true, weightDecay: 0.05) }),
        ("adam", { Adam(learningRate: 1e-3, beta1: 0.85, beta2: 0.98, epsilon: 1e-6, decoupledWeightDecay: false) }),
        ("adamw", { Adam(learningRate: 1e-3, weightDecay: 0.02) }),
    ]

    /// A layer big enough for Adam's parallel chunks (more than 2¹⁵ weights), with a bias that does not decay.
    func model() -> Linear {
        var rng = Xoshiro256(seed: 7)
        return Linear(inputSize: 200, outputSize: 190, using: &rng)
    }

    /// Sets reproducible gradients for step `t`.
    func setGradients(_ model: inout Linear, step t: Int) {
        var rng = Xoshiro256(seed: 11, stream: UInt64(t))
        model.visitParameters { _, p in
            p.gradient = Tensor(
                shape: p.value.shape, scalars: (0..<p.value.count).map { _ in Float.random(in: -1...1, using: &rng) })
        }
    }

    /// Runs `steps` steps, changing the rate and momentum before each as a schedule does.
    func train<O: Optimizer>(_ optimizer: inout O, _ model: inout Linear, steps: Range<Int>) {
        for t in steps {
            setGradients(&model, step: t)
            optimizer.learningRate = 1e-3 * Float(t + 1)
            optimizer.momentum = 0.9 - 0.01 * Float(t)
            optimizer.step(&model)
        }
    }

    func weights(_ model: Linear) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: model.stateDict.map { ($0.name, $0.tensor.scalars) })
    }

    func state(_ optimizer: some Optimizer) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: optimizer.stateTensors.map { ($0.name, $0.tensor.scalars) })
    }

    func testTheWrapperStepsBitForBitLikeTheOptimizerItWraps() {
        for kind in kinds {
            var plainModel = model(), wrappedModel = model()
            var plain = kind.make()
            var wrapped = AnyOptimizer(kind.make())
            train(&plain, &plainModel, steps: 0..<4)
            train(&wrapped, &wrappedModel, steps: 0..<4)
            XCTAssertEqual(weights(plainModel), weights(wrappedModel), kind.name)
            XCTAssertEqual(state(plain), state(wrapped), kind.name)
            XCTAssertEqual(
                plain.stateTensors.map { "\($0.name) \($0.tensor.shape)" },
                wrapped.stateTensors.map { "\($0.name) \($0.tensor.shape)" }, kind.name)
            XCTAssertEqual(wrapped.stepCount, 4, kind.name)
            XCTAssertEqual(wrapped.learningRate, plain.learningRate, kind.name)
            XCTAssertEqual(wrapped.momentum, plain.momentum, kind.name)
            XCTAssertEqual("\(type(of: wrapped.base))", "\(type(of: plain))", kind.name)
            XCTAssertEqual("\(type(of: AnyOptimizer(wrapped).base))", "\(type(of: plain))", "not wrapped twice")
        }
    }

    /// A state saved by the plain optimizer (an older checkpoint) continues through the wrapper, and back.
    func testStateSavedByEitherIsReadByTheOther() throws {
        let directory = TemporaryDirectory("ser-any-optimizer")
        for kind in kinds {
            var reference = kind.make(), referenceModel = model()
            train(&reference, &referenceModel, steps: 0..<5)

            var plain = kind.make(), plainModel = model()
            train(&plain, &plainModel, steps: 0..<2)
            let saved = directory.url.appendingPathComponent("\(kind.name)-plain.safetensors")
            try plain.save(to: saved)
            var wrapped = AnyOptimizer(kind.make())
            try wrapped.load(from: saved)
            train(&wrapped, &plainModel, steps: 2..<3)
            let savedAgain = directory.url.appendingPathComponent("\(kind.name)-wrapped.safetensors")
            try wrapped.save(to: savedAgain)
            var plainAgain = kind.make()
            try plainAgain.load(from: savedAgain)
            train(&plainAgain, &plainModel, steps: 3..<5)

            XCTAssertEqual(weights(plainModel), weights(referenceModel), kind.name)
            XCTAssertEqual(state(plainAgain), state(reference), kind.name)
            XCTAssertEqual(plainAgain.stepCount, 5, kind.name)
        }
    }
}
