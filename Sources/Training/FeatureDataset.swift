import Datasets
import Features
import Foundation

/// Labelled items with their cached feature matrices (Float32, before crop/pad and standardisation,
/// `rows × frames` per item), held either in memory or streamed from a file
/// (``FeatureStorage``). Splits, batches and evaluation refer to items by index, so nothing is copied per
/// split or per epoch; they read matrices through ``withMatrix(_:_:)``, which sees the same floats in
/// both storages.
///
/// RAVDESS at hop 100: 1200 files × 128 mels × ~700 frames × 4 B ≈ 430 MB in memory; streamed, the
/// resident set holds about one batch of matrices.
public struct FeatureDataset: Sendable {
    /// The items, indexed like the matrices.
    public let items: [DatasetItem]
    public let classNames: [String]
    /// Where the matrices are.
    public let storage: FeatureStorage

    /// In memory.
    /// - Precondition: one matrix per item, all with the same row count; class indices in range.
    public init(items: [DatasetItem], classNames: [String], features: [FeatureMatrix]) {
        precondition(items.count == features.count, "\(items.count) items but \(features.count) feature matrices")
        precondition(Set(features.map(\.rows)).count <= 1, "feature matrices differ in row count")
        precondition(items.allSatisfy { (0..<classNames.count).contains($0.classIndex) }, "class index out of range")
        self.items = items
        self.classNames = classNames
        self.storage = .memory(features)
    }

    /// Streamed from `streamed`.
    /// - Precondition: one matrix per item; class indices in range.
    public init(items: [DatasetItem], classNames: [String], streamed: StreamedFeatures) {
        precondition(items.count == streamed.count, "\(items.count) items but \(streamed.count) feature matrices")
        precondition(items.allSatisfy { (0..<classNames.count).contains($0.classIndex) }, "class index out of range")
        self.items = items
        self.classNames = classNames
        self.storage = .streamed(streamed)
    }

    public var count: Int { items.count }
    /// Rows (mel bands or coefficients) of every matrix.
    public var rows: Int {
        switch storage {
        case .memory(let features): features.first?.rows ?? 0
        case .streamed(let streamed): streamed.count > 0 ? streamed.rows : 0
        }
    }
    public var classCount: Int { classNames.count }
    public var labels: [Int] { items.map(\.classIndex) }
    /// Speaker per item (nil when unknown), as ``makeSplit(speakers:kind:testSpeakers:testIndices:)`` takes them.
    public var speakers: [String?] { items.map(\.speaker) }
    /// Frames of item `index`.
    public func frames(of index: Int) -> Int {
        switch storage {
        case .memory(let features): features[index].frames
        case .streamed(let streamed): streamed.frames[index]
        }
    }
    /// The longest item, in frames (a batch length when no duration is set).
    public var maxFrames: Int { (0..<count).map(frames(of:)).max() ?? 0 }
    /// Bytes of the matrices (in memory, or in the streamed file).
    public var byteCount: Int {
        switch storage {
        case .memory(let features): features.reduce(0) { $0 + $1.values.count * 4 }
        case .streamed(let streamed): streamed.byteCount
        }
    }

    /// Calls `body` with item `index`'s values (`rows × frames`, row-major) and its frame count.
    /// - Throws: ``StreamedFeaturesError`` when streamed features cannot be read back; what `body` throws.
    public func withMatrix<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>, Int) throws -> R) throws -> R {
        switch storage {
        case .memory(let features):
            let m = features[index]
            return try m.values.withUnsafeBufferPointer { try body($0, m.frames) }
        case .streamed(let streamed):
            return try streamed.withMatrix(index, body)
        }
    }

    /// Item `index`'s matrix (a copy when streamed).
    public func matrix(_ index: Int) throws -> FeatureMatrix {
        switch storage {
        case .memory(let features): features[index]
        case .streamed(let streamed): try streamed.matrix(index)
        }
    }

    /// Every matrix, in memory (a copy of the whole set when streamed: for small sets and tests).
    public var features: [FeatureMatrix] { get throws { try (0..<count).map(matrix) } }

    /// This dataset followed by `other` (e.g. a test set from another folder or manifest); the items
    /// of `other` get indices `count..<count + other.count`, ready for `makeSplit(testIndices:)`.
    /// - Throws: ``FeatureDatasetError`` when the class names or feature row counts differ.
    /// The result is held in memory.
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
        return FeatureDataset(
            items: items + other.items, classNames: classNames, features: try features + other.features)
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

extension FeatureDataset {
    /// Items fetched from the cache at a time per thread by
    /// ``loadStreamed(items:classNames:cache:threads:progress:chunk:)`` (the matrices held at once while the
    /// streamed file is written).
    public static let streamChunkPerThread = 16

    /// ``load(items:classNames:cache:threads:progress:)``, streamed: the matrices go, in item order, into a
    /// ``StreamedFeatures`` file beside the cache's entries, so memory holds a chunk of them while loading and
    /// about a batch while training, whatever the corpus size. Same floats, same batches, same results.
    /// - Parameter chunk: items fetched (in parallel) before they are written; default
    ///   ``streamChunkPerThread`` per thread.
    /// - Throws: ``FeatureDatasetError`` listing the files that failed, or ``StreamedFeaturesError``.
    public static func loadStreamed(
        items: [DatasetItem], classNames: [String], cache: FeatureCache,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, progress: ProgressReporter? = nil,
        chunk: Int? = nil
    ) throws -> FeatureDataset {
        let chunk = max(1, chunk ?? max(1, threads) * streamChunkPerThread)
        var failures: [(String, String)] = []
        var held: (start: Int, results: [Result<FeatureMatrix, Error>?]) = (0, [])
        let file = try StreamedFeatures.write(count: items.count, in: cache.entriesDirectory) { i in
            if i >= held.start + held.results.count {
                let end = min(items.count, i + chunk)
                let slots = ResultSlots(count: end - i)
                ParallelWork.forEach(count: end - i, threads: threads) { k in
                    do {
                        slots.set(k, .success(try cache.features(for: items[i + k].path)))
                    } catch {
                        slots.set(k, .failure(error))
                    }
                    progress?.advance()
                }
                held = (i, slots.take())
            }
            switch held.results[i - held.start] {
            case .success(let m): return m
            case .failure(let e): failures.append((items[i].file.relativePath, "\(e)"))
            case nil: failures.append((items[i].file.relativePath, "not processed"))
            }
            return nil
        }
        progress?.finish()
        try? cache.saveIndex()
        guard failures.isEmpty else { throw FeatureDatasetError(failures: failures) }
        return FeatureDataset(items: items, classNames: classNames, streamed: file)
    }
}

/// Where a ``FeatureDataset``'s matrices are.
public enum FeatureStorage: Sendable {
    /// Held in memory (tests, small sets).
    case memory([FeatureMatrix])
    /// Streamed from a file, one item at a time (what `ser run`, `ser resume` and `ser lr-find` train from).
    case streamed(StreamedFeatures)
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
