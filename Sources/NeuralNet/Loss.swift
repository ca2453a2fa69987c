import Foundation

/// Softmax cross-entropy on logits `[N, classes]` with integer labels, PyTorch semantics:
/// with class weights w and smoothing ε,
/// `loss = Σᵢ [(1−ε)·w[yᵢ]·(−log pᵢ,yᵢ) + (ε/C)·Σ_c w[c]·(−log pᵢ,c)] / Σᵢ w[yᵢ]`
/// (the mean over the batch when there are no weights). Complexity O(N·C).
public struct CrossEntropyLoss: Sendable {
    public var labelSmoothing: Float
    public var classWeights: [Float]?

    public init(labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        precondition(
            labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing must be in [0, 1], got \(labelSmoothing)")
        self.labelSmoothing = labelSmoothing
        self.classWeights = classWeights
    }

    /// The loss and d(loss)/d(logits).
    public func callAsFunction(_ logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        precondition(
            logits.shape.count == 2 && logits.shape[0] == labels.count,
            "logits \(logits.shape) vs \(labels.count) labels")
        let batch = labels.count, classes = logits.shape[1]
        if let classWeights {
            precondition(classWeights.count == classes, "\(classWeights.count) class weights for \(classes) classes")
        }
        let w = classWeights.map { $0.map(Double.init) } ?? [Double](repeating: 1, count: classes)
        let wSum = w.reduce(0, +)
        let eps = Double(labelSmoothing)
        let lp = logits.pointer
        var total = 0.0, norm = 0.0
        var gradient = Tensor(uninitializedShape: logits.shape)
        let gp = gradient.mutablePointer
        var logp = [Double](repeating: 0, count: classes)
        for i in 0..<batch {
            let y = labels[i]
            precondition(y >= 0 && y < classes, "label \(y) outside 0..<\(classes)")
            let row = lp + i * classes
            var mx = -Double.infinity
            for c in 0..<classes { mx = max(mx, Double(row[c])) }
            var s = 0.0
            for c in 0..<classes { s += exp(Double(row[c]) - mx) }
            let lse = mx + log(s)
            var smooth = 0.0
            for c in 0..<classes {
                logp[c] = Double(row[c]) - lse
                smooth -= w[c] * logp[c]
            }
            total += (1 - eps) * w[y] * -logp[y] + eps / Double(classes) * smooth
            norm += w[y]
            for c in 0..<classes {
                let p = exp(logp[c])
                let hard = w[y] * (p - (c == y ? 1 : 0))
                let soft = wSum * p - w[c]
                gp[i * classes + c] = Float((1 - eps) * hard + eps / Double(classes) * soft)
            }
        }
        let scale = norm > 0 ? 1 / norm : 0
        for i in 0..<gradient.count { gp[i] = Float(Double(gp[i]) * scale) }
        withExtendedLifetime(logits) {}
        return (Float(total * scale), gradient)
    }
}
