import Datasets
import Foundation
import XCTest

@testable import Synth

/// The synthetic corpus must be a real learning problem: no single cue (mean pitch) gives the emotion away,
/// while several simple cues measured from the audio together do much better than chance on unseen actors.
final class SynthLearnabilityTests: XCTestCase {
    static let actors = 6
    /// 360 utterances of 6 actors (3 male, 3 female), rendered once for all tests here.
    static let utterances: [SynthesizedUtterance] = SyntheticCorpus(actors: actors, seed: 11).render(
        SyntheticCorpus(actors: actors, seed: 11).utterances)

    var labels: [Int] { Self.utterances.map { $0.id.emotion.rawValue - 1 } }

    func testMeanPitchAloneStaysFarFromSeparatingTheEmotions() {
        let f0 = Self.utterances.map { $0.meanF0Hz }
        // Raw mean f0 (what a linear model on pitch sees), and pitch relative to each actor's own average.
        let semitones = f0.map { 12 * log2($0 / 100) }
        let relative = Self.perActorCentred(semitones.map { [$0] }).map { $0[0] }
        for (name, feature) in [("mean f0", semitones), ("actor-relative mean f0", relative)] {
            let nearestMean = Self.nearestClassMeanAccuracy(feature, labels)
            let intervals = Self.bestIntervalClassifierAccuracy(feature, labels, intervals: 8)
            print(
                String(
                    format: "%@: nearest class mean %.1f %%, best 8-interval classifier %.1f %%", name,
                    100 * nearestMean, 100 * intervals))
            XCTAssertLessThan(nearestMean, 0.6, name)
            XCTAssertLessThan(intervals, 0.6, name)
        }
        // Pitch does carry some information once the speaker is accounted for.
        XCTAssertGreaterThan(Self.nearestClassMeanAccuracy(relative, labels), 0.2)
    }

    func testSimpleAcousticCuesTogetherBeatChanceOnHeldOutActors() {
        let cues = Self.measureAll(Self.utterances).map { $0.vector }
        let normalised = Self.perActorStandardised(cues)
        var correct = 0
        var pitchOnlyCorrect = 0
        for heldOut in 1...Self.actors {
            let train = Self.utterances.indices.filter { Self.utterances[$0].id.actor != heldOut }
            let test = Self.utterances.indices.filter { Self.utterances[$0].id.actor == heldOut }
            correct += Self.nearestCentroidCorrect(normalised, labels, train: train, test: test)
            pitchOnlyCorrect += Self.nearestCentroidCorrect(
                normalised.map { [$0[3]] }, labels, train: train, test: test)
        }
        let accuracy = Double(correct) / Double(Self.utterances.count)
        let pitchOnly = Double(pitchOnlyCorrect) / Double(Self.utterances.count)
        print(
            String(
                format:
                    "leave-one-actor-out nearest centroid: all cues %.1f %%, measured pitch only %.1f %% (chance 12.5 %%)",
                100 * accuracy, 100 * pitchOnly))
        XCTAssertGreaterThan(accuracy, 0.35)
        XCTAssertGreaterThan(accuracy, pitchOnly + 0.1, "several cues should beat pitch alone")
        XCTAssertLessThan(accuracy, 0.95, "a handful of global cues should not solve the task")
    }

    /// The measured pitch tracks the true mean f0 (the cue extractor works).
    func testAutocorrelationPitchFollowsTheTrueMeanF0() {
        let some = Array(Self.utterances.prefix(60))
        var errors = zip(Self.measureAll(some), some).map { abs(12 * log2($0.meanF0Hz / $1.meanF0Hz)) }
        errors.sort()
        XCTAssertLessThan(errors[errors.count / 2], 0.5, "median pitch error in semitones")
    }

    /// The cues of every utterance, measured in parallel.
    static func measureAll(_ utterances: [SynthesizedUtterance]) -> [SynthCues] {
        var cues = [SynthCues?](repeating: nil, count: utterances.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: utterances.count) { i in
            let measured = SynthCues.measure(utterances[i].samples, sampleRate: utterances[i].sampleRate)
            lock.lock()
            cues[i] = measured
            lock.unlock()
        }
        return cues.map { $0! }
    }

    // MARK: - Tiny classifiers

    static func nearestClassMeanAccuracy(_ x: [Double], _ y: [Int]) -> Double {
        var sums = [Double](repeating: 0, count: 8), counts = [Double](repeating: 0, count: 8)
        for (v, c) in zip(x, y) {
            sums[c] += v
            counts[c] += 1
        }
        let means = zip(sums, counts).map { $0 / max($1, 1) }
        let correct = zip(x, y).filter { v, c in means.indices.min { abs(means[$0] - v) < abs(means[$1] - v) } == c }
        return Double(correct.count) / Double(x.count)
    }

    /// The best in-sample accuracy of any classifier that cuts the line into `intervals` pieces, each labelled
    /// with one class (covers every threshold rule on a single feature). Dynamic programming, O(n²·K).
    static func bestIntervalClassifierAccuracy(_ x: [Double], _ y: [Int], intervals: Int) -> Double {
        let order = x.indices.sorted { x[$0] < x[$1] }
        let n = order.count
        // best[j][i]: max over classes of the count of that class among sorted items j..<i.
        var best = [[Int]](repeating: [Int](repeating: 0, count: n + 1), count: n + 1)
        for j in 0..<n {
            var counts = [Int](repeating: 0, count: 8)
            var top = 0
            for i in j..<n {
                counts[y[order[i]]] += 1
                top = max(top, counts[y[order[i]]])
                best[j][i + 1] = top
            }
        }
        var dp = [Int](repeating: Int.min / 2, count: n + 1)
        dp[0] = 0
        for _ in 0..<intervals {
            var next = dp
            for i in 1...n {
                for j in 0..<i where dp[j] > Int.min / 2 { next[i] = max(next[i], dp[j] + best[j][i]) }
            }
            dp = next
        }
        return Double(dp[n]) / Double(n)
    }

    static func nearestCentroidCorrect(_ x: [[Double]], _ y: [Int], train: [Int], test: [Int]) -> Int {
        let d = x[0].count
        var centroids = [[Double]](repeating: [Double](repeating: 0, count: d), count: 8)
        var counts = [Double](repeating: 0, count: 8)
        for i in train {
            counts[y[i]] += 1
            for k in 0..<d { centroids[y[i]][k] += x[i][k] }
        }
        for c in 0..<8 { centroids[c] = centroids[c].map { $0 / max(counts[c], 1) } }
        return test.filter { i in
            let distances = centroids.map { c in zip(c, x[i]).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
            return distances.indices.min { distances[$0] < distances[$1] } == y[i]
        }.count
    }

    /// Subtracts each actor's mean from every feature (speaker normalisation; uses no labels).
    static func perActorCentred(_ x: [[Double]]) -> [[Double]] {
        var out = x
        for actor in 1...actors {
            let rows = utterances.indices.filter { utterances[$0].id.actor == actor }
            for k in 0..<x[0].count {
                let mean = rows.map { x[$0][k] }.reduce(0, +) / Double(rows.count)
                for r in rows { out[r][k] -= mean }
            }
        }
        return out
    }

    /// Per-actor z-scores of every feature (speaker normalisation; uses no labels).
    static func perActorStandardised(_ x: [[Double]]) -> [[Double]] {
        var out = perActorCentred(x)
        for actor in 1...actors {
            let rows = utterances.indices.filter { utterances[$0].id.actor == actor }
            for k in 0..<x[0].count {
                let sd = (rows.map { out[$0][k] * out[$0][k] }.reduce(0, +) / Double(rows.count)).squareRoot()
                for r in rows { out[r][k] /= max(sd, 1e-9) }
            }
        }
        return out
    }
}
