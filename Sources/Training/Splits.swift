import Foundation
import SeededRandom

/// How items are divided into training and validation sets.
public enum SplitKind: Equatable, Sendable {
    /// A random fraction of items for validation, shuffled with `seed` (fastai's `RandomSplitter`).
    /// Speaker-dependent: other takes of a validation speaker stay in training.
    case random(validFraction: Double, seed: UInt64)
    /// The named speakers for validation, everyone else for training (speaker-independent).
    case speakers([String])
    /// A random fraction of the speakers (at least one) for validation, chosen with `seed`.
    case speakerFraction(Double, seed: UInt64)
    /// Fold `fold` (0-based) of `k` speaker groups: sorted speakers dealt round-robin into `k` groups.
    /// With RAVDESS's alternating actor genders, each fold gets a balanced mix.
    case kFoldSpeakers(k: Int, fold: Int)
    /// The items at these indices for validation, the rest for training (parts given per item, e.g. by a CSV
    /// manifest's `split` column).
    case validIndices(Set<Int>)
    /// No validation: every item not in the test set trains (the final model once a k-fold has chosen the
    /// recipe).
    case noValidation
}

/// Item indices of each part. No index appears in two parts.
public struct SplitIndices: Equatable, Sendable, Codable {
    public var train: [Int]
    public var valid: [Int]
    public var test: [Int]

    public init(train: [Int], valid: [Int], test: [Int] = []) {
        self.train = train
        self.valid = valid
        self.test = test
    }
}

/// Why a split cannot be made.
public struct SplitError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Splits items by their speakers (nil for items whose speaker is unknown).
///
/// Items of `testSpeakers` (or `testIndices`) are set aside first and never reach training or
/// validation; the remaining items are split by `kind`.
/// - Complexity: O(n log n).
public func makeSplit(
    speakers: [String?], kind: SplitKind, testSpeakers: Set<String> = [], testIndices: Set<Int> = []
) throws -> SplitIndices {
    let isTest = speakers.indices.map { testIndices.contains($0) || (speakers[$0].map(testSpeakers.contains) ?? false) }
    let test = speakers.indices.filter { isTest[$0] }
    let pool = speakers.indices.filter { !isTest[$0] }
    guard !pool.isEmpty else {
        throw SplitError("no items are left for training and validation after setting the test set aside")
    }

    func bySpeaker(_ valid: Set<String>) throws -> SplitIndices {
        if let unknown = pool.first(where: { speakers[$0] == nil }) {
            throw SplitError(
                "item \(unknown) has no speaker; speaker-based splits need a speaker for every item (use a RAVDESS layout or a CSV manifest with a speaker column)"
            )
        }
        let valids = pool.filter { valid.contains(speakers[$0]!) }
        let trains = pool.filter { !valid.contains(speakers[$0]!) }
        guard !valids.isEmpty else { throw SplitError("the validation speakers \(valid.sorted()) have no items") }
        guard !trains.isEmpty else { throw SplitError("every speaker is in validation; nothing is left to train on") }
        return SplitIndices(train: trains, valid: valids, test: test)
    }

    let poolSpeakers = Array(Set(pool.compactMap { speakers[$0] })).sorted()
    switch kind {
    case .random(let fraction, let seed):
        guard fraction > 0, fraction < 1 else {
            throw SplitError("valid_pct must be between 0 and 1 (exclusive), got \(fraction)")
        }
        var rng = Xoshiro256(seed: seed)
        var order = pool
        order.shuffle(using: &rng)
        let cut = Int(fraction * Double(order.count))
        guard cut > 0, cut < order.count else {
            throw SplitError("valid_pct \(fraction) of \(order.count) items leaves an empty part")
        }
        return SplitIndices(train: order[cut...].sorted(), valid: order[..<cut].sorted(), test: test)
    case .speakers(let names):
        let unknown = Set(names).subtracting(poolSpeakers)
        guard unknown.isEmpty else {
            throw SplitError(
                "validation speakers \(unknown.sorted()) are not among the data's speakers \(poolSpeakers)")
        }
        return try bySpeaker(Set(names))
    case .speakerFraction(let fraction, let seed):
        guard fraction > 0, fraction < 1 else {
            throw SplitError("valid_pct must be between 0 and 1 (exclusive), got \(fraction)")
        }
        var rng = Xoshiro256(seed: seed)
        let shuffled = poolSpeakers.shuffled(using: &rng)
        let count = max(1, Int((fraction * Double(shuffled.count)).rounded()))
        return try bySpeaker(Set(shuffled.prefix(count)))
    case .kFoldSpeakers(let k, let fold):
        guard k >= 2 else { throw SplitError("k-fold needs k ≥ 2, got \(k)") }
        guard (0..<k).contains(fold) else { throw SplitError("fold must be in 0..<\(k), got \(fold)") }
        guard poolSpeakers.count >= k else {
            throw SplitError("k-fold with k = \(k) needs at least \(k) speakers; the data has \(poolSpeakers.count)")
        }
        return try bySpeaker(Set(kFoldGroups(speakers: poolSpeakers, k: k)[fold]))
    case .noValidation:
        return SplitIndices(train: pool, valid: [], test: test)
    case .validIndices(let chosen):
        let valids = pool.filter(chosen.contains)
        let trains = pool.filter { !chosen.contains($0) }
        guard !valids.isEmpty else { throw SplitError("no validation item is left after setting the test set aside") }
        guard !trains.isEmpty else { throw SplitError("every item is in validation; nothing is left to train on") }
        return SplitIndices(train: trains, valid: valids, test: test)
    }
}

/// Sorted speakers dealt round-robin into `k` groups: group g holds speakers g, g+k, g+2k, …
public func kFoldGroups(speakers: [String], k: Int) -> [[String]] {
    let sorted = Array(Set(speakers)).sorted()
    return (0..<k).map { g in stride(from: g, to: sorted.count, by: k).map { sorted[$0] } }
}
