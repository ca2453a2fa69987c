import Checksum
import Foundation
import XCTest

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hex(of: million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testStreamingInOddPiecesEqualsOneUpdate() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var h = SHA256()
        var i = 0
        for size in [1, 63, 64, 65, 7, 800] where i < bytes.count {
            h.update(Array(bytes[i..<min(bytes.count, i + size)]))
            i += size
        }
        XCTAssertEqual(h.finalize().map { String(format: "%02x", $0) }.joined(), SHA256.hex(bytes))
        var d = SHA256()
        d.update(Data(bytes[0..<7]))
        d.update(Data(bytes[7...]))
        XCTAssertEqual(d.finalize().map { String(format: "%02x", $0) }.joined(), SHA256.hex(of: Data(bytes)))
    }

    func testFileDigestAndSize() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })  // spans several 1 MiB reads
        try data.write(to: url)
        let (hex, size) = try SHA256.hexAndSize(ofFileAt: url.path)
        XCTAssertEqual(size, 3_000_000)
        XCTAssertEqual(hex, SHA256.hex(of: data))
    }
}
