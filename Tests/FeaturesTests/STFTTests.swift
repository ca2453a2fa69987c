import FFTW
import Features
import SeededRandom
import XCTest

final class STFTTests: XCTestCase {
    func testFrameCountFollowsLibrosa() {
        let stft = STFT(nFFT: 1024, hopLength: 100)
        XCTAssertEqual(stft.frameCount(sampleCount: 11025), 111)  // 1 + 11025 // 100
        XCTAssertEqual(stft.frameCount(sampleCount: 0), 1)
        XCTAssertEqual(STFT(nFFT: 1024, hopLength: 100, center: false).frameCount(sampleCount: 1023), 0)
        XCTAssertEqual(STFT(nFFT: 1024, hopLength: 100, center: false).frameCount(sampleCount: 1124), 2)
    }

    func testSinePeaksAtItsBin() {
        // A sine exactly on bin 37 of a 1024-point FFT at 22050 Hz.
        let n = 1024
        let bin = 37
        let x = (0..<8000).map { Float(sin(2 * Double.pi * Double(bin) * Double($0) / Double(n))) }
        let stft = STFT(nFFT: n, hopLength: 256)
        let (frames, s) = stft.spectrogram(x)
        let t = frames / 2
        let row = Array(s[(t * stft.binCount)..<((t + 1) * stft.binCount)])
        XCTAssertEqual(row.indices.max { row[$0] < row[$1] }, bin)
        // Hann main lobe: neighbours at half the peak's amplitude (a quarter of its power).
        XCTAssertEqual(row[bin - 1] / row[bin], 0.25, accuracy: 1e-3)
        XCTAssertEqual(row[bin + 3] / row[bin], 0, accuracy: 1e-6)
    }

    func testParsevalHoldsForEveryFrame() {
        // Σ_k c_k |X_k|² / N = Σ_n (w_n x_n)² with c_k = 1 for DC and Nyquist, 2 otherwise.
        var rng = Xoshiro256(seed: 7)
        let x = (0..<5000).map { _ in Float(rng.nextNormal()) }
        let stft = STFT(nFFT: 512, hopLength: 128, center: false)
        let (frames, s) = stft.spectrogram(x)
        for t in [0, frames / 2, frames - 1] {
            var time = 0.0
            for i in 0..<512 {
                time += Double(x[t * 128 + i] * stft.window[i]) * Double(x[t * 128 + i] * stft.window[i])
            }
            var freq = 0.0
            for k in 0..<stft.binCount { freq += Double(s[t * stft.binCount + k]) * (k == 0 || k == 256 ? 1 : 2) }
            XCTAssertEqual(freq / 512, time, accuracy: time * 1e-5)
        }
    }

    func testCentredFramesArePaddedWithZeros() {
        // A constant signal: the first centred frame sees zeros before sample 0, so its DC power is
        // (Σ_{n ≥ 128} w_n)² / (Σ w_n)² of an interior frame's (= (64.5/128)² for a periodic Hann).
        let x = [Float](repeating: 1, count: 4096)
        let stft = STFT(nFFT: 256, hopLength: 64)
        let (frames, s) = stft.spectrogram(x)
        XCTAssertEqual(frames, 65)
        XCTAssertEqual(s[0] / s[10 * stft.binCount], (64.5 / 128) * (64.5 / 128), accuracy: 1e-5)
    }

    func testShortWindowIsCentredInTheFFT() {
        let w = STFT.hannWindow(length: 400, paddedTo: 512)
        XCTAssertEqual(w.count, 512)
        XCTAssertEqual(w[0..<56].max(), 0)
        XCTAssertEqual(w[456...].max(), 0)
        XCTAssertEqual(w[56 + 200], 1, accuracy: 1e-6)  // periodic Hann peaks at N/2
        XCTAssertEqual(w[57], Float(0.5 - 0.5 * cos(2 * Double.pi / 400)), accuracy: 1e-7)
    }

    func testPlansAreSharedAcrossThreads() {
        let before = RealFFT.planCount
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let fft = RealFFT(size: 1000)
            for i in 0..<1000 { fft.input[i] = i == 0 ? 1 : 0 }
            fft.forward()
            XCTAssertEqual(fft.output[2 * 17], 1)  // an impulse has a flat spectrum
        }
        XCTAssertLessThanOrEqual(RealFFT.planCount, before + 1)
    }
}

final class DecibelTests: XCTestCase {
    func testPowerToDBWithReferenceAndClipping() {
        let m = FeatureMatrix(rows: 1, frames: 5, values: [1, 0.1, 1e-3, 1e-12, 0])
        let db = powerToDB(m, reference: .value(1), amin: 1e-10, topDB: nil)
        assertClose(db.values, [0, -10, -30, -100, -100])
        let clipped = powerToDB(m, reference: .value(1), amin: 1e-10, topDB: 25)
        assertClose(clipped.values, [0, -10, -25, -25, -25])
        let relative = powerToDB(
            FeatureMatrix(rows: 1, frames: 3, values: [4, 0.4, 0.004]), reference: .max, topDB: 80)
        assertClose(relative.values, [0, -10, -30])
        XCTAssertEqual(relative.range.upperBound, 0)
    }

    func testSilenceRelativeToItsMaximumIsZeroDB() {
        let db = powerToDB(FeatureMatrix(rows: 2, frames: 2), reference: .max, topDB: 80)
        XCTAssertEqual(db.values, [0, 0, 0, 0])
    }

    private func assertClose(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4, file: file, line: line) }
    }
}

final class VectorLogTests: XCTestCase {
    func testMatchesLogAcrossTheRange() {
        var worst: Double = 0
        var x: Float = 1e-30
        while x < 1e30 {
            let lanes = SIMD8<Float>((0..<8).map { x * (1 + Float($0) * 0.13) })
            let got = vectorLog(lanes)
            for j in 0..<8 {
                let exact = log(Double(lanes[j]))
                worst = max(worst, abs(Double(got[j]) - exact) / max(1, abs(exact)))
            }
            x *= 1.7
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(vectorLog(SIMD8(repeating: 1))[0], 0)
    }

    func testFFTWisdomIsUsedForTheNotebooksSize() {
        // The embedded wisdom only applies on the CPU/FFTW it was measured on; elsewhere any plan is fine.
        let plan = RealFFT.planDescription(size: 1024)
        XCTAssertFalse(plan.isEmpty)
        if RealFFT.wisdomAccepted {
            XCTAssertTrue(plan.contains("n2fv_64_avx"), plan)  // the patient plan, not ESTIMATE's guess
        }
    }
}
