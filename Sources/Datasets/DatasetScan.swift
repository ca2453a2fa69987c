import Audio
import Dispatch
import Foundation
import SndFile

/// Header statistics of a dataset's items: every file's header is read (no audio is decoded), in parallel.
public struct DatasetScan: Sendable {
    /// Minimum, median, maximum and total of a set of durations, in seconds.
    public struct DurationStats: Sendable, Equatable, Codable {
        public var min: Double
        public var median: Double
        public var max: Double
        public var total: Double

        public init(min: Double, median: Double, max: Double, total: Double) {
            self.min = min
            self.median = median
            self.max = max
            self.total = total
        }

        /// Statistics of `durations` (nil when empty). The median of an even count is the mean of the middle two.
        /// O(n log n).
        public init?(_ durations: [Double]) {
            guard !durations.isEmpty else { return nil }
            let sorted = durations.sorted()
            let n = sorted.count
            min = sorted[0]
            max = sorted[n - 1]
            median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            total = sorted.reduce(0, +)
        }
    }

    /// Each item's header, aligned with ``Dataset/items``; nil for unreadable files.
    public var infos: [SoundFileInfo?]
    /// Items per class, indexed like ``Dataset/classNames`` (readable or not).
    public var classCounts: [Int]
    /// Items per speaker id (items without a speaker are not counted).
    public var speakerCounts: [String: Int]
    /// Items per emotion and gender name (files that have them) and per RAVDESS intensity.
    public var emotionCounts: [String: Int]
    public var genderCounts: [String: Int]
    public var intensityCounts: [String: Int]
    /// Readable files per sample rate (Hz) and per channel count.
    public var sampleRateCounts: [Int: Int]
    public var channelCounts: [Int: Int]
    /// Durations of the readable files; nil when none is readable.
    public var duration: DurationStats?
    /// Files libsndfile cannot open, with its message, and FIFOs, sockets, devices and folders listed as
    /// files (never opened), with their kind (paths relative to the dataset root).
    public var unreadable: [DatasetProblem]

    public var fileCount: Int { infos.count }
    public var readableCount: Int { infos.count - unreadable.count }

    /// Reads the header of every item of `dataset` with `SoundFile.info`, spreading the files over the cores
    /// with `DispatchQueue.concurrentPerform`. O(items) file opens.
    /// - Parameters:
    ///   - stopOnError: when true, stop at the first unreadable file and throw its error; when false
    ///     (default), record unreadable files in ``unreadable`` and go on.
    ///   - shouldStop: asked before each file; when it returns true the scan ends with
    ///     ``DatasetError/stopped(path:)``.
    /// - Throws: the `SndFileError` (naming the file and libsndfile's message) of an unreadable file, or the
    ///   `AudioError` of a file that is not a regular file, when `stopOnError` is set;
    ///   ``DatasetError/stopped(path:)``.
    public static func run(
        _ dataset: Dataset, stopOnError: Bool = false, shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> DatasetScan {
        let paths = dataset.items.map(\.path)
        let results = readHeaders(paths, stopOnError: stopOnError, shouldStop: shouldStop)
        if shouldStop() { throw DatasetError.stopped(path: dataset.listing.source) }
        if stopOnError, let failure = results.lazy.compactMap({ $0?.failure }).first { throw failure }
        var scan = DatasetScan(
            infos: [], classCounts: dataset.classCounts, speakerCounts: [:], emotionCounts: [:], genderCounts: [:],
            intensityCounts: [:], sampleRateCounts: [:], channelCounts: [:], duration: nil, unreadable: [])
        scan.infos.reserveCapacity(paths.count)
        var durations = [Double]()
        durations.reserveCapacity(paths.count)
        for (item, result) in zip(dataset.items, results) {
            if let speaker = item.speaker { scan.speakerCounts[speaker, default: 0] += 1 }
            if let emotion = item.file.emotion { scan.emotionCounts[emotion.name, default: 0] += 1 }
            if let gender = item.file.gender { scan.genderCounts[gender.name, default: 0] += 1 }
            if let name = item.ravdess { scan.intensityCounts[name.intensity.name, default: 0] += 1 }
            switch result {
            case .success(let info)?:
                scan.infos.append(info)
                scan.sampleRateCounts[info.sampleRate, default: 0] += 1
                scan.channelCounts[info.channels, default: 0] += 1
                durations.append(info.duration)
            case .failure(let error)?:
                scan.infos.append(nil)
                scan.unreadable.append(DatasetProblem(path: item.file.relativePath, reason: reason(error)))
            case nil:
                preconditionFailure("every header is read when not stopping on errors")
            }
        }
        scan.duration = DurationStats(durations)
        return scan
    }

    /// `SoundFile.info` of every path, in parallel; entries stay nil when skipped after a failure or a stop
    /// request.
    static func readHeaders(_ paths: [String], stopOnError: Bool, shouldStop: @Sendable () -> Bool = { false })
        -> [Result<SoundFileInfo, any Error>?]
    {
        var results = [Result<SoundFileInfo, any Error>?](repeating: nil, count: paths.count)
        let failed = FailureFlag()
        results.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            DispatchQueue.concurrentPerform(iterations: paths.count) { i in
                if (stopOnError && failed.isSet) || shouldStop() { return }
                base[i] = Result { try header(paths[i]) }
                if case .failure = base[i] { failed.set() }
            }
        }
        // libsndfile reports open failures through one process-wide error slot, so a message read while
        // another thread failed may belong to that other file: re-open failed files one at a time.
        for i in results.indices {
            guard case .failure? = results[i], !shouldStop() else { continue }
            results[i] = Result { try header(paths[i]) }
        }
        return results
    }

    /// The header of `path`; a FIFO, socket, device or folder is refused without being opened (opening a
    /// FIFO blocks until a writer appears).
    /// - Throws: `AudioError` (not a regular file) or `SndFileError` (libsndfile's message).
    private static func header(_ path: String) throws -> SoundFileInfo {
        if let kind = FileKind(atPath: path), kind != .regular {
            throw AudioError(path: path, problem: .notARegularFile(kind))
        }
        return try SoundFile.info(path)
    }

    /// The reason listed for an unreadable file: libsndfile's message, or the kind of a file never opened.
    private static func reason(_ error: any Error) -> String {
        if let error = error as? SndFileError { return error.message }
        if let error = error as? AudioError, case .notARegularFile(let kind) = error.problem {
            return "is \(kind.name), not a regular file; not opened"
        }
        return "\(error)"
    }
}

/// A flag set by any thread, read by all (guarded by a lock).
private final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
