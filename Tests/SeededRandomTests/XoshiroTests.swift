import Foundation
import SeededRandom
import XCTest

final class XoshiroTests: XCTestCase {
    func testSameSeedSameSequenceDifferentSeedDifferentSequence() {
        var a = Xoshiro256(seed: 42), b = Xoshiro256(seed: 42), c = Xoshiro256(seed: 43)
        let sa = (0..<8).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<8).map { _ in c.next() })
        XCTAssertNotEqual(Xoshiro256(seed: 1, stream: 0), Xoshiro256(seed: 1, stream: 1))
    }

    func testStateRoundTripsThroughCodableAndContinuesTheSequence() throws {
        var g = Xoshiro256(seed: 7)
        _ = g.next()
        var restored = try JSONDecoder().decode(Xoshiro256.self, from: JSONEncoder().encode(g))
        XCTAssertEqual((0..<4).map { _ in restored.next() }, (0..<4).map { _ in g.next() })
    }

    func testUniformAndNormalMoments() {
        var g = Xoshiro256(seed: 3)
        let n = 100_000
        let u = (0..<n).map { _ in g.nextUnitFloat() }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(u.reduce(0, +)) / Double(n), 0.5, accuracy: 0.01)
        let z = (0..<n).map { _ in g.nextNormal() }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
    }
}
