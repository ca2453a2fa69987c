import XCTest

@testable import BLAS

final class BLASTests: XCTestCase {
    func testSgemmMatchesNaiveProductWithTransposes() {
        let m = 5, n = 7, k = 3
        let a = (0..<(m * k)).map { Float($0) * 0.5 - 3 }  // m×k
        let b = (0..<(k * n)).map { Float(($0 * 7) % 11) - 5 }  // k×n
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { expected[i * n + j] += a[i * k + p] * b[p * n + j] } } }

        var c = [Float](repeating: 1, count: m * n)
        sgemm(.none, .none, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
        XCTAssertEqual(c, expected)

        // Aᵀ stored as k×m, Bᵀ stored as n×k.
        var at = [Float](repeating: 0, count: m * k), bt = [Float](repeating: 0, count: k * n)
        for i in 0..<m { for p in 0..<k { at[p * m + i] = a[i * k + p] } }
        for p in 0..<k { for j in 0..<n { bt[j * k + p] = b[p * n + j] } }
        var c2 = [Float](repeating: 1, count: m * n)
        sgemm(
            .transposed, .transposed, m: m, n: n, k: k, alpha: 2, a: at, lda: m, b: bt, ldb: k, beta: 1, c: &c2, ldc: n)
        XCTAssertEqual(c2, expected.map { 2 * $0 + 1 })
    }

    func testRecommendedCoreFromCPUFlags() {
        let skylake: Set = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(BLASKernels.recommendedCore(flags: skylake), "SkylakeX")
        XCTAssertEqual(BLASKernels.recommendedCore(flags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertEqual(BLASKernels.recommendedCore(flags: ["avx"]), "Sandybridge")
        XCTAssertNil(BLASKernels.recommendedCore(flags: ["sse3"]))
    }

    func testOnlyOlderIntelCoresAreUpgraded() {
        XCTAssertTrue(BLASKernels.isUpgrade(from: "Prescott", to: "SkylakeX"))
        XCTAssertTrue(BLASKernels.isUpgrade(from: "Haswell", to: "SkylakeX"))
        XCTAssertFalse(BLASKernels.isUpgrade(from: "SkylakeX", to: "SkylakeX"))
        XCTAssertFalse(BLASKernels.isUpgrade(from: "Cooperlake", to: "SkylakeX"))
        XCTAssertFalse(BLASKernels.isUpgrade(from: "Zen", to: "Haswell"))  // not on the Intel ladder
    }

    /// On this project's machines OpenBLAS detects "Prescott"; the test process must run the best kernels.
    func testActiveCoreIsTheRecommendedOneUnlessTheUserChose() {
        let selection = BLASKernels.selection
        XCTAssertEqual(BLASKernels.coreName, selection.activeCore)
        guard selection.source != .environment, let recommended = selection.recommendedCore else { return }
        XCTAssertFalse(
            BLASKernels.isUpgrade(from: BLASKernels.coreName, to: recommended),
            "OpenBLAS runs \(BLASKernels.coreName) kernels although the CPU supports \(recommended)")
    }
}
