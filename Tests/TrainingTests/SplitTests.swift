import SeededRandom
import XCTest

@testable import Training

final class SplitTests: XCTestCase {
    /// 20 actors × 6 takes, like a small RAVDESS.
    let speakers: [String?] = (1...20).flatMap { a in Array(repeating: String(format: "%02d", a), count: 6) }

    func assertPartition(_ s: SplitIndices, count: Int, file: StaticString = #filePath, line: UInt = #line) {
        let all = s.train + s.valid + s.test
        XCTAssertEqual(all.count, Set(all).count, "an item is in two parts", file: file, line: line)
        XCTAssertEqual(Set(all), Set(0..<count), "items lost", file: file, line: line)
    }

    func speakerSets(_ s: SplitIndices) -> (Set<String>, Set<String>, Set<String>) {
        (Set(s.train.map { speakers[$0]! }), Set(s.valid.map { speakers[$0]! }), Set(s.test.map { speakers[$0]! }))
    }

    func testRandomSplitIsSeededAndSizedLikeFastai() throws {
        let a = try makeSplit(speakers: speakers, kind: .random(validFraction: 0.2, seed: 42))
        let b = try makeSplit(speakers: speakers, kind: .random(validFraction: 0.2, seed: 42))
        let c = try makeSplit(speakers: speakers, kind: .random(validFraction: 0.2, seed: 43))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.valid, c.valid)
        XCTAssertEqual(a.valid.count, 24)  // int(0.2 · 120)
        assertPartition(a, count: 120)
    }

    func testNoValidationTrainsOnEveryItemButTheTestSet() throws {
        let s = try makeSplit(speakers: speakers, kind: .noValidation, testSpeakers: ["19", "20"])
        XCTAssertEqual(s.valid, [])
        XCTAssertEqual(s.train, Array(0..<108))
        XCTAssertEqual(Set(s.test.map { speakers[$0]! }), ["19", "20"])
        assertPartition(s, count: 120)
        // Unknown speakers are fine: nothing is split by speaker.
        XCTAssertEqual(try makeSplit(speakers: [nil, nil], kind: .noValidation).train, [0, 1])
    }

    func testSpeakerSplitsNeverShareASpeaker() throws {
        let kinds: [SplitKind] = [
            .speakers(["03", "04"]), .speakerFraction(0.2, seed: 1), .kFoldSpeakers(k: 5, fold: 2),
        ]
        for kind in kinds {
            let s = try makeSplit(speakers: speakers, kind: kind, testSpeakers: ["19", "20"])
            assertPartition(s, count: 120)
            let (train, valid, test) = speakerSets(s)
            XCTAssertTrue(train.isDisjoint(with: valid), "\(kind)")
            XCTAssertTrue(train.isDisjoint(with: test) && valid.isDisjoint(with: test), "\(kind)")
            XCTAssertEqual(test, ["19", "20"])
        }
    }

    func testKFoldCoversEverySpeakerExactlyOnceWithBalancedGenders() throws {
        var seen: [String] = []
        for fold in 0..<5 {
            let s = try makeSplit(speakers: speakers, kind: .kFoldSpeakers(k: 5, fold: fold))
            let valid = speakerSets(s).1
            XCTAssertEqual(valid.count, 4)
            XCTAssertEqual(valid.filter { Int($0)! % 2 == 0 }.count, 2, "fold \(fold) gender balance")
            seen += valid
        }
        XCTAssertEqual(seen.sorted(), (1...20).map { String(format: "%02d", $0) })
    }

    func testRandomPropertyNoItemInTwoPartsForAnySplit() throws {
        var rng = Xoshiro256(seed: 9)
        for trial in 0..<50 {
            let n = Int.random(in: 10...80, using: &rng)
            let speakerCount = Int.random(in: 3...8, using: &rng)
            let spk: [String?] = (0..<n).map { _ in "s\(Int.random(in: 0..<speakerCount, using: &rng))" }
            let present = Set(spk.compactMap { $0 }).sorted()
            // Speakers left once item 0 and speaker present[1] are set aside for the test set.
            let pool = Set(spk.indices.filter { $0 != 0 && spk[$0] != present.dropFirst().first }.map { spk[$0]! })
                .sorted()
            guard present.count >= 3, pool.count >= 2 else { continue }
            let kinds: [SplitKind] = [
                .random(validFraction: 0.3, seed: UInt64(trial)), .speakers([pool[0]]),
                .speakerFraction(0.3, seed: UInt64(trial)), .kFoldSpeakers(k: 2, fold: trial % 2),
            ]
            for kind in kinds {
                let s = try makeSplit(speakers: spk, kind: kind, testSpeakers: [present[1]], testIndices: [0])
                let all = s.train + s.valid + s.test
                XCTAssertEqual(all.count, Set(all).count, "trial \(trial) \(kind)")
                XCTAssertEqual(all.count, n, "trial \(trial) \(kind)")
                XCTAssertTrue(s.test.contains(0))
            }
        }
    }

    func testErrorsNameTheProblem() {
        XCTAssertThrowsError(try makeSplit(speakers: speakers, kind: .speakers(["99"]))) {
            XCTAssertTrue("\($0)".contains("99"))
        }
        XCTAssertThrowsError(try makeSplit(speakers: speakers, kind: .random(validFraction: 1.5, seed: 1)))
        XCTAssertThrowsError(try makeSplit(speakers: [nil, nil, "a"], kind: .speakers(["a"]))) {
            XCTAssertTrue("\($0)".contains("no speaker"))
        }
        XCTAssertThrowsError(try makeSplit(speakers: ["a", "b"], kind: .kFoldSpeakers(k: 5, fold: 0)))
    }

    func testGivenValidationIndicesSplitWhatTheTestSetLeaves() throws {
        let s = try makeSplit(
            speakers: [String?](repeating: nil, count: 10), kind: .validIndices([1, 4, 7]), testIndices: [7, 8])
        XCTAssertEqual(s.valid, [1, 4])
        XCTAssertEqual(s.test, [7, 8])
        XCTAssertEqual(s.train, [0, 2, 3, 5, 6, 9])
        assertPartition(s, count: 10)
        XCTAssertThrowsError(try makeSplit(speakers: [nil, nil], kind: .validIndices([1]), testIndices: [1])) {
            XCTAssertTrue("\($0)".contains("no validation item is left"), "\($0)")
        }
        XCTAssertThrowsError(try makeSplit(speakers: [nil, nil], kind: .validIndices([0, 1]))) {
            XCTAssertTrue("\($0)".contains("nothing is left to train on"), "\($0)")
        }
    }
}
