import BLAS

/// The orthonormal DCT-II that `librosa.feature.mfcc` applies to the dB mel spectrogram
/// (`scipy.fft.dct(type=2, norm='ortho')`, first `count` coefficients).
public struct DCT: Sendable {
    public let count: Int
    public let inputCount: Int
    /// Row-major `count × inputCount` basis: `√(2/N)·cos(πk(2n+1)/2N)`, row 0 scaled by `1/√2`.
    public let basis: [Float]

    public init(count: Int, inputCount n: Int) {
        self.count = count
        self.inputCount = n
        var b = [Float](repeating: 0, count: count * n)
        for k in 0..<count {
            let scale = k == 0 ? (1 / Double(n)).squareRoot() : (2 / Double(n)).squareRoot()
            for i in 0..<n {
                b[k * n + i] = Float(scale * _cos(Double.pi * Double(k) * Double(2 * i + 1) / Double(2 * n)))
            }
        }
        basis = b
    }

    /// Transforms each column (frame) of `matrix` (`inputCount × frames`) into `count × frames`.
    /// - Complexity: O(count · inputCount · frames), one sgemm.
    public func apply(_ matrix: FeatureMatrix) -> FeatureMatrix {
        precondition(matrix.rows == inputCount, "DCT expects \(inputCount) rows, got \(matrix.rows)")
        var out = [Float](repeating: 0, count: count * matrix.frames)
        if matrix.frames > 0 {
            sgemm(
                .none, .none, m: count, n: matrix.frames, k: inputCount, a: basis, lda: inputCount,
                b: matrix.values, ldb: matrix.frames, c: &out, ldc: matrix.frames)
        }
        return FeatureMatrix(rows: count, frames: matrix.frames, values: out)
    }
}
