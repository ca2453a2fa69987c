import Foundation

extension BLASKernels {
    /// Measures sgemm throughput on n×n matrices for about `seconds` of wall time.
    /// - Returns: GFLOPS (2·n³ floating-point operations per product).
    public static func measureSgemmGFLOPS(n: Int = 1024, seconds: Double = 1) -> Double {
        var a = [Float](repeating: 0, count: n * n)
        var b = a
        var c = a
        var state: UInt32 = 12345
        for i in 0..<(n * n) {
            state = state &* 1_664_525 &+ 1_013_904_223
            a[i] = Float(state >> 8) / Float(1 << 24) - 0.5
            b[(i * 7) % (n * n)] = a[i]
        }
        func run() { sgemm(.none, .none, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n) }
        run()  // warm-up: thread start, buffers
        let start = DispatchTime.now().uptimeNanoseconds
        var products = 0
        var elapsed = 0.0
        repeat {
            run()
            products += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return 2 * Double(n) * Double(n) * Double(n) * Double(products) / elapsed / 1e9
    }
}
