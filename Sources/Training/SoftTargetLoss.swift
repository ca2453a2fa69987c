import Foundation
import NeuralNet

/// Softmax cross-entropy against soft targets (rows of class probabilities), as mixup needs:
/// with class weights w and smoothing ε, targets become `t' = (1−ε)·t + ε/C` and
/// `loss = Σᵢ Σ_c t'ᵢc·w_c·(−log pᵢc) / Σᵢ Σ_c tᵢc·w_c`.
///
/// For one-hot targets this is exactly ``CrossEntropyLoss`` (PyTorch's weighted, smoothed mean);
/// for mixup targets `λ·onehot(a) + (1−λ)·onehot(b)` without weights it is the λ-weighted sum of the
/// two hard-label losses (fastai's `MixUp` loss). Complexity O(N·C).
public struct SoftTargetCrossEntropy: Sendable {
    public var labelSmoothing: Float
    public var classWeights: [Float]?

    public init(labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        self.labelSmoothing = labelSmoothing
        self.classWeights = classWeights
    }

    /// The loss and d(loss)/d(logits) for logits `[N, C]` and targets `[N, C]` (rows summing to 1).
    public func callAsFunction(_ logits: Tensor, targets: Tensor) -> (loss: Float, gradient: Tensor) {
        precondition(
            logits.shape.count == 2 && targets.shape == logits.shape,
            "logits \(logits.shape) vs targets \(targets.shape)")
        let batch = logits.shape[0], classes = logits.shape[1]
        let w = classWeights.map { $0.map(Double.init) } ?? [Double](repeating: 1, count: classes)
        precondition(w.count == classes, "\(w.count) class weights for \(classes) classes")
        let eps = Double(labelSmoothing)
        var gradient = Tensor(shape: logits.shape)
        var total = 0.0, norm = 0.0
        var logp = [Double](repeating: 0, count: classes)
        var t = [Double](repeating: 0, count: classes)
        logits.withUnsafeBufferPointer { lp in
            targets.withUnsafeBufferPointer { tp in
                gradient.withUnsafeMutableBufferPointer { gp in
                    for i in 0..<batch {
                        let row = i * classes
                        var mx = -Double.infinity
                        for c in 0..<classes { mx = max(mx, Double(lp[row + c])) }
                        var s = 0.0
                        for c in 0..<classes { s += exp(Double(lp[row + c]) - mx) }
                        let lse = mx + log(s)
                        var weightedTarget = 0.0
                        for c in 0..<classes {
                            logp[c] = Double(lp[row + c]) - lse
                            norm += Double(tp[row + c]) * w[c]
                            t[c] = ((1 - eps) * Double(tp[row + c]) + eps / Double(classes)) * w[c]
                            weightedTarget += t[c]
                            total -= t[c] * logp[c]
                        }
                        // d/dz of −Σ t_c·log softmax(z)_c = (Σ t)·p − t.
                        for c in 0..<classes { gp[row + c] = Float(weightedTarget * exp(logp[c]) - t[c]) }
                    }
                }
            }
        }
        let scale = norm > 0 ? 1 / norm : 0
        gradient.withUnsafeMutableBufferPointer { gp in for i in gp.indices { gp[i] = Float(Double(gp[i]) * scale) } }
        return (Float(total * scale), gradient)
    }
}

/// The training objective: cross-entropy with optional label smoothing and class weights, on hard
/// labels or (for mixup batches) on soft targets.
public struct TrainingLoss: Codable, Equatable, Sendable {
    public var labelSmoothing: Float
    public var classWeights: [Float]?

    public init(labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        self.labelSmoothing = labelSmoothing
        self.classWeights = classWeights
    }

    /// Loss and gradient for a batch: soft targets when the batch has them, else its labels.
    public func callAsFunction(_ logits: Tensor, _ batch: Batch) -> (loss: Float, gradient: Tensor) {
        if let soft = batch.softTargets {
            return SoftTargetCrossEntropy(labelSmoothing: labelSmoothing, classWeights: classWeights)(
                logits, targets: soft)
        }
        return CrossEntropyLoss(labelSmoothing: labelSmoothing, classWeights: classWeights)(
            logits, labels: batch.labels)
    }
}
