import Datasets
import Features
import Foundation

/// Labelled items with their cached feature matrices, held in memory once (Float32, before
/// crop/pad and standardisation, `rows × frames` per item). Splits, batches and evaluation refer to
/// items by index, so nothing is copied per split or per epoch.
///
/// RAVDESS at hop 100: 1200 files × 128 mels × ~700 frames × 4 B ≈ 430 MB.
public struct FeatureDataset: Sendable {
    /// The items, indexed like ``features``.
    public let items: [DatasetItem]
    public let classNames: [String]
    /// Each item's features, `rows × frames` (frames vary per item).
    public let features: [FeatureMatrix]

    /// - Precondition: one matrix per item, all with the same row count; class indices in range.
    public init(items: [DatasetItem], classNames: [String], features: [FeatureMatrix]) {
        precondition(items.count == features.count, "\(items.count) items but \(features.count) feature matrices")
        precondition(Set(features.map(\.rows)).count <= 1, "feature matrices differ in row count")
        precondition(items.allSatisfy { (0..<classNames.count).contains($0.classIndex) }, "class index out of range")
        self.items = items
        self.classNames = classNames
        self.features = features
    }

    public var count: Int { items.count }
    /// Rows (mel bands or coefficients) of every matrix.
    public var rows: Int { features.first?.rows ?? 0 }
    public var classCount: Int { classNames.count }
    public var labels: [Int] { items.map(\.classIndex) }
    /// Speaker per item (nil when unknown), as ``makeSplit(speakers:kind:testSpeakers:testIndices:)`` takes them.
    public var speakers: [String?] { items.map(\.speaker) }
    /// The longest item, in frames (a batch length when no duration is set).
    public var maxFrames: Int { features.map(\.frames).max() ?? 0 }
    /// Bytes held by the matrices.
    public var byteCount: Int { features.reduce(0) { $0 + $1.values.count * 4 } }

    /// This dataset followed by `other` (e.g. a test set from another folder or manifest); the items
    /// of `other` get indices `count..<count + other.count`, ready for `makeSplit(testIndices:)`.
    /// - Throws: ``FeatureDatasetError`` when the class names or feature row counts differ.
    public func appending(_ other: FeatureDataset) throws -> FeatureDataset {
        guard other.classNames == classNames else {
            throw FeatureDatasetError(failures: [
                ("(appended dataset)", "classes \(other.classNames) differ from \(classNames)")
            ])
        }
        guard other.count == 0 || count == 0 || other.rows == rows else {
            throw FeatureDatasetError(failures: [("(appended dataset)", "\(other.rows) feature rows, expected \(rows)")]
            )
        }
        return FeatureDataset(items: items + other.items, classNames: classNames, features: features + other.features)
    }

    /// Reads (or extracts, on cache misses) every item's features through `cache`, on `threads`
    /// threads, advancing `progress` once per file.
    /// - Throws: ``FeatureDatasetError`` listing the files that failed (decode or cache errors).
    public static func load(
        _ dataset: Dataset, cache: FeatureCache, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: ProgressReporter? = nil
    ) throws -> FeatureDataset {
        try load(
            items: dataset.items, classNames: dataset.classNames, cache: cache, threads: threads, progress: progress)
    }

    /// ``load(_:cache:threads:progress:)`` for an explicit item list.
    public static func load(
        items: [DatasetItem], classNames: [String], cache: FeatureCache,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ProgressReporter? = nil
    ) throws -> FeatureDataset {
        let slots = ResultSlots(count: items.count)
        ParallelWork.forEach(count: items.count, threads: threads) { i in
            do {
                slots.set(i, .success(try cache.features(for: items[i].path)))
            } catch {
                slots.set(i, .failure(error))
            }
            progress?.advance()
        }
        progress?.finish()
        try? cache.saveIndex()
        var matrices: [FeatureMatrix] = []
        matrices.reserveCapacity(items.count)
        var failures: [(String, String)] = []
        for (i, result) in slots.take().enumerated() {
            switch result {
            case .success(let m): matrices.append(m)
            case .failure(let e): failures.append((items[i].file.relativePath, "\(e)"))
            case nil: failures.append((items[i].file.relativePath, "not processed"))
            }
        }
        guard failures.isEmpty else { throw FeatureDatasetError(failures: failures) }
        return FeatureDataset(items: items, classNames: classNames, features: matrices)
    }
}

/// Files whose features could not be obtained.
public struct FeatureDatasetError: Error, CustomStringConvertible {
    public var failures: [(path: String, reason: String)]
    public var description: String {
        let shown = failures.prefix(5).map { "  \($0.path): \($0.reason)" }.joined(separator: "\n")
        let more = failures.count > 5 ? "\n  … and \(failures.count - 5) more" : ""
        return "features could not be computed for \(failures.count) file(s):\n\(shown)\(more)"
    }
}

/// Per-index results written from several threads.
final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<FeatureMatrix, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<FeatureMatrix, Error>) { lock.withLock { slots[i] = r } }
    func take() -> [Result<FeatureMatrix, Error>?] {
        lock.withLock {
            defer { slots = [] }; return slots
        }
    }
}
