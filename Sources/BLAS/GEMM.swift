import CBLAS

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Single-precision general matrix product on row-major storage:
/// `C = alpha · op(A) · op(B) + beta · C`, where op(A) is m×k, op(B) is k×n and C is m×n.
///
/// - Parameters:
///   - lda, ldb, ldc: row strides (in elements) of A, B and C as stored.
/// - Complexity: O(m·n·k), multithreaded by OpenBLAS.
@inlinable
public func sgemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    BLASKernels.ensureSelected()
    _sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

@usableFromInline
func _sgemm(
    _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b,
        Int32(ldb), beta, c, Int32(ldc))
}
