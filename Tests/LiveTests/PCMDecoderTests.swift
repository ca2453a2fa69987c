import XCTest

@testable import Live

final class PCMDecoderTests: XCTestCase {
    func decodeAll(_ bytes: [UInt8], format: PCMFormat, channels: Int = 1, splits: [Int] = []) throws -> [Float] {
        var decoder = PCMDecoder(format: format, channels: channels)
        var out: [Float] = []
        var start = 0
        for end in splits + [bytes.count] {
            try bytes[start..<end].withUnsafeBytes { _ = try decoder.decode($0, appendingTo: &out) }
            start = end
        }
        try decoder.finish()
        return out
    }

    func testS16LEValues() throws {
        // 0, 1, -1, 32767, -32768 as little-endian int16.
        let bytes: [UInt8] = [0x00, 0x00, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x80]
        XCTAssertEqual(try decodeAll(bytes, format: .s16le), [0, 1 / 32768, -1 / 32768, 32767 / 32768, -1])
    }

    func testF32LEValues() throws {
        let values: [Float] = [0, 0.5, -0.25, 1, -1, 1e-7]
        XCTAssertEqual(try decodeAll(pcmBytes(values, format: .f32le), format: .f32le), values)
    }

    func testEverySplitPointGivesTheSameSamples() throws {
        let signal = testSignal(9)
        for format in PCMFormat.allCases {
            let bytes = pcmBytes(signal, format: format)
            let whole = try decodeAll(bytes, format: format)
            XCTAssertEqual(whole, format == .s16le ? s16Quantised(signal) : signal)
            for a in 0...bytes.count {
                for b in a...bytes.count where b - a <= 7 {
                    XCTAssertEqual(
                        try decodeAll(bytes, format: format, splits: [a, b]), whole, "\(format) split at \(a), \(b)")
                }
            }
        }
    }

    func testStereoIsAveragedToMonoAcrossOddSplits() throws {
        let left: [Float] = [0.5, -0.5, 0.25, 0]
        let right: [Float] = [0.25, 0.5, -0.75, 1]
        let interleaved = zip(left, right).flatMap { [$0, $1] }
        let bytes = pcmBytes(interleaved, format: .f32le)
        let mono = try decodeAll(bytes, format: .f32le, channels: 2, splits: [3, 9, 17])
        XCTAssertEqual(mono, zip(left, right).map { ($0 + $1) / 2 })
    }

    func testPartialFrameAtTheEndIsAnError() throws {
        let bytes = pcmBytes([0.1, 0.2], format: .s16le) + [0x12]
        XCTAssertThrowsError(try decodeAll(bytes, format: .s16le)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("1 stray byte after 2 frames"), text)
            XCTAssertTrue(text.contains("2 bytes per frame"), text)
        }
        // Stereo f32le: 8 bytes per frame; 12 bytes leave half a frame.
        XCTAssertThrowsError(try decodeAll(pcmBytes([0.1, 0.2, 0.3], format: .f32le), format: .f32le, channels: 2)) {
            XCTAssertTrue("\($0)".contains("4 stray bytes after 1 frames"), "\($0)")
        }
    }

    func testNonFiniteFloatsAreRejected() {
        let bytes = pcmBytes([0.1, .nan, 0.3], format: .f32le)
        XCTAssertThrowsError(try decodeAll(bytes, format: .f32le)) { error in
            XCTAssertTrue("\(error)".contains("frame 1 is nan, not a finite number"), "\(error)")
        }
        XCTAssertThrowsError(try decodeAll(pcmBytes([.infinity], format: .f32le), format: .f32le))
    }

    /// Issue #18: 1e30 passed the finiteness check and reached the classifier as infinite features.
    func testAbsurdFloatMagnitudesAreRejected() {
        let bytes = pcmBytes([0.1, 0.2, 999, 1e30, 0.3], format: .f32le)
        XCTAssertThrowsError(try decodeAll(bytes, format: .f32le)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("stream: malformed stream"), text)
            XCTAssertTrue(text.contains("sample 0 of frame 3 is 1e+30, beyond ±1000.0"), text)
        }
    }

    func testParsesFormatNames() throws {
        XCTAssertEqual(try PCMFormat(parsing: "S16LE"), .s16le)
        XCTAssertEqual(try PCMFormat(parsing: "f32le"), .f32le)
        XCTAssertThrowsError(try PCMFormat(parsing: "s24le"))
    }
}
