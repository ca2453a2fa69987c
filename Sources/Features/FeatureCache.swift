import Checksum
import Foundation

/// Decodes an audio file to mono samples at the given rate (the cache's only access to audio).
public typealias AudioDecoder = @Sendable (_ path: String, _ sampleRate: Int) throws -> [Float]

/// On-disk cache of feature matrices, so an experiment never computes the same features twice.
///
/// **Keys.** An entry is keyed by the audio file's *content* (SHA-256 of its bytes) and the
/// ``FeatureParameters/cacheKey`` (SHA-256 of the canonical JSON of every parameter that changes
/// the cached matrix, plus ``FeatureParameters/algorithmVersion``). Renaming or copying a file
/// reuses its entry; editing it makes a new one; changing a parameter uses another directory.
///
/// **File identity without rehashing.** `files.json` remembers, per absolute path, the size,
/// modification time (ns) and content hash. While size and mtime are unchanged the stored hash is
/// trusted, so a second experiment with the same parameters neither decodes nor reads any audio.
/// When either changes (e.g. `touch`), the file is hashed again: an unchanged content hash still
/// hits its entry (no decode); new content is decoded and extracted.
///
/// **Layout.** `<directory>/files.json`, and for each parameter set
/// `<directory>/<first 16 hex of cacheKey>/parameters.json` plus one `<contentHash>.feat` per file:
/// a 16-byte header (`"SERF"`, UInt32 format version 1, UInt32 rows, UInt32 frames, little-endian)
/// followed by `rows × frames` float32 values, row-major. Every file is written to a unique
/// temporary name and renamed into place, so concurrent processes never see partial files.
///
/// **What is cached.** ``LogMelExtractor/features(of:fft:)``: pad/crop and standardisation are
/// applied after reading (``LogMelExtractor/finish(_:using:)``), so a random crop differs per epoch
/// while the cache entry stays the same.
///
/// Thread-safe: call ``features(for:)`` from any number of threads.
public final class FeatureCache: @unchecked Sendable {
    /// Counts of what the cache did since it was created.
    public struct Statistics: Equatable, Sendable {
        /// Entries found on disk.
        public var hits = 0
        /// Files decoded and extracted (cache misses).
        public var extracted = 0
        /// Audio files whose bytes were hashed (new, or size/mtime changed).
        public var hashed = 0

        public init(hits: Int = 0, extracted: Int = 0, hashed: Int = 0) {
            self.hits = hits
            self.extracted = extracted
            self.hashed = hashed
        }
    }

    public let directory: URL
    public let extractor: LogMelExtractor
    /// Where this parameter set's entries live.
    public let entriesDirectory: URL
    private let decode: AudioDecoder
    private let lock = NSLock()
    private var identities: [String: FileIdentity]
    private var identitiesChanged = false
    private var stats = Statistics()

    /// The default cache location relative to the working directory.
    public static let defaultDirectory = URL(fileURLWithPath: "runs/cache/features", isDirectory: true)

    /// - Parameters:
    ///   - directory: cache root (created when missing).
    ///   - parameters: feature parameters (validated).
    ///   - decode: loads a file as mono samples at a rate; called only on cache misses.
    public init(
        directory: URL = FeatureCache.defaultDirectory, parameters: FeatureParameters, decode: @escaping AudioDecoder
    ) throws {
        self.directory = directory
        self.extractor = try LogMelExtractor(parameters)
        self.decode = decode
        entriesDirectory = directory.appendingPathComponent(String(parameters.cacheKey.prefix(16)), isDirectory: true)
        try FileManager.default.createDirectory(at: entriesDirectory, withIntermediateDirectories: true)
        identities = Self.loadIdentities(directory.appendingPathComponent("files.json"))
        let parametersFile = entriesDirectory.appendingPathComponent("parameters.json")
        if !FileManager.default.fileExists(atPath: parametersFile.path) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try Self.atomicWrite(try encoder.encode(parameters.cacheRelevant), to: parametersFile)
        }
    }

    deinit { try? saveIndex() }

    public var parameters: FeatureParameters { extractor.parameters }

    public var statistics: Statistics { lock.withLock { stats } }

    /// The cached features of the audio file at `path` (`featureCount × frames`, before pad/crop and
    /// standardisation), computing and storing them on a miss.
    /// - Throws: the decoder's error, or a file-system error naming the path.
    public func features(for path: String) throws -> FeatureMatrix {
        let hash = try contentHash(path)
        let entry = entriesDirectory.appendingPathComponent("\(hash).feat")
        // An entry holding NaN or infinity (damaged, or written before this check) is recomputed.
        if let matrix = Self.readEntry(entry), matrix.firstNonFinite == nil {
            lock.withLock { stats.hits += 1 }
            return matrix
        }
        let samples = try decode(path, parameters.sampleRate)
        let matrix = try extractor.features(of: samples).checkedFinite(path: path)
        try Self.atomicWrite(Self.entryData(matrix), to: entry)
        lock.withLock { stats.extracted += 1 }
        return matrix
    }

    /// ``features(for:)`` followed by ``LogMelExtractor/finish(_:using:)`` (pad/crop, standardisation).
    public func finishedFeatures<G: RandomNumberGenerator>(for path: String, using generator: inout G) throws
        -> FeatureMatrix
    {
        extractor.finish(try features(for: path), using: &generator)
    }

    /// What ``prepare(_:threads:progress:)`` did.
    public struct PrepareReport: Sendable {
        public var files = 0
        public var extracted = 0
        public var reused = 0
        /// Files that could not be processed, with the error's description.
        public var failures: [(path: String, error: String)] = []
        public var seconds = 0.0
    }

    /// Makes sure every file has a cache entry, on `threads` threads, without keeping the matrices.
    /// Saves the file index at the end.
    public func prepare(
        _ paths: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: ProgressReporter? = nil
    ) -> PrepareReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let before = statistics
        let failures = FailureList()
        ParallelWork.forEach(count: paths.count, threads: threads) { i in
            do {
                _ = try self.features(for: paths[i])
            } catch {
                failures.append(i, "\(error)")
            }
            progress?.advance()
        }
        progress?.finish()
        try? saveIndex()
        let after = statistics
        var report = PrepareReport()
        report.files = paths.count
        report.extracted = after.extracted - before.extracted
        report.reused = after.hits - before.hits
        report.failures = failures.items.sorted { $0.0 < $1.0 }.map { (paths[$0.0], $0.1) }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return report
    }

    /// Writes `files.json` (merged with what other processes may have written meanwhile).
    public func saveIndex() throws {
        let snapshot: [String: FileIdentity]? = lock.withLock {
            guard identitiesChanged else { return nil }
            identitiesChanged = false
            return identities
        }
        guard let snapshot else { return }
        let url = directory.appendingPathComponent("files.json")
        let merged = Self.loadIdentities(url).merging(snapshot) { _, mine in mine }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Self.atomicWrite(try encoder.encode(merged), to: url)
    }

    // MARK: File identity

    struct FileIdentity: Codable, Equatable {
        var size: Int64
        var mtimeNanoseconds: Int64
        var sha256: String
    }

    /// The SHA-256 of the file's bytes, from the index while size and mtime are unchanged.
    func contentHash(_ path: String) throws -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var info = stat()
        guard stat(absolute, &info) == 0 else {
            throw FeatureCacheError(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int64(info.st_size)
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        let mtime = Int64(modified.tv_sec) * 1_000_000_000 + Int64(modified.tv_nsec)
        if let known = lock.withLock({ identities[absolute] }), known.size == size, known.mtimeNanoseconds == mtime {
            return known.sha256
        }
        let hash = try Self.hashFile(absolute)
        lock.withLock {
            identities[absolute] = FileIdentity(size: size, mtimeNanoseconds: mtime, sha256: hash)
            identitiesChanged = true
            stats.hashed += 1
        }
        return hash
    }

    static func hashFile(_ path: String) throws -> String {
        do {
            return try SHA256.hexAndSize(ofFileAt: path).hex
        } catch {
            throw FeatureCacheError(path: path, reason: "cannot read to hash it: \(error.localizedDescription)")
        }
    }

    static func loadIdentities(_ url: URL) -> [String: FileIdentity] {
        guard let data = try? Data(contentsOf: url),
            let decoded = try? JSONDecoder().decode([String: FileIdentity].self, from: data)
        else { return [:] }
        return decoded
    }

    // MARK: Entries

    static let magic: [UInt8] = Array("SERF".utf8)
    static let formatVersion: UInt32 = 1

    static func entryData(_ m: FeatureMatrix) -> Data {
        var data = Data(magic)
        for word in [formatVersion, UInt32(m.rows), UInt32(m.frames)] {
            withUnsafeBytes(of: word.littleEndian) { data.append(contentsOf: $0) }
        }
        m.values.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// The matrix in an entry file, or nil when it is missing or malformed (then it is recomputed).
    static func readEntry(_ url: URL) -> FeatureMatrix? {
        guard let data = try? Data(contentsOf: url), data.count >= 16 else { return nil }
        return data.withUnsafeBytes { raw -> FeatureMatrix? in
            guard Array(raw[0..<4]) == magic else { return nil }
            let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let rows = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            let frames = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
            let (count, overflow) = rows.multipliedReportingOverflow(by: frames)
            guard version == formatVersion, !overflow, count <= (raw.count - 16) / 4, raw.count == 16 + count * 4
            else { return nil }
            var values = [Float](repeating: 0, count: rows * frames)
            values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[16...])) }
            return FeatureMatrix(rows: rows, frames: frames, values: values)
        }
    }

    /// Writes to a unique temporary file in the same directory, then renames it over `url` (a regular file or
    /// nothing: a folder, device or link planted in the cache is refused, not replaced). Not flushed to disk:
    /// the cache is rebuilt from the audio whenever an entry is unreadable.
    static func atomicWrite(_ data: Data, to url: URL) throws {
        var info = stat()
        if lstat(url.path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw FeatureCacheError(path: url.path, reason: "is not a regular file; the cache does not replace it")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw FeatureCacheError(
                    path: url.path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [(Int, String)] = []
    func append(_ index: Int, _ message: String) { lock.withLock { list.append((index, message)) } }
    var items: [(Int, String)] { lock.withLock { list } }
}

/// A cache file-system failure, naming the path.
public struct FeatureCacheError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
