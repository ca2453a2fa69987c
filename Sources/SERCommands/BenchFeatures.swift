import ArgumentParser
import Audio
import Datasets
import Features
import Foundation

/// `ser bench features DIR`: files/s and peak memory of load + resample + log-mel.
struct BenchFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Time load, resample and log-mel with the notebook's parameters over a folder of audio files.")

    @Argument(help: "Folder searched recursively for WAV, FLAC and OGG files.")
    var directory: String

    @Option(help: "Use only the first N files (sorted by path).")
    var limit: Int?

    /// Optional so that `--help` shows one default ("all cores"), not also this machine's core count.
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// What `--json` prints (times in seconds; every failure, where the text lists ten).
    struct Measurement: Encodable {
        var version: String
        var files: Int
        var audioSeconds: Double
        var frames: Int
        var seconds: Double
        var threads: Int
        var filesPerSecond: Double
        var realtimeFactor: Double
        var loadSecondsPerFile: Double
        var featureSecondsPerFile: Double
        var cpuSecondsPerFile: Double
        var peakRSSMegabytes: Double
        var failures: [String]
    }

    /// `--threads`, or every core.
    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
    }

    func run() throws {
        let all = try Self.audioFiles(under: directory)
        let paths = limit.map { Array(all.prefix($0)) } ?? all
        guard !paths.isEmpty else { throw ValidationError("No WAV, FLAC or OGG files under \(directory).") }
        let parameters = FeatureParameters.notebook
        let extractor = try LogMelExtractor(parameters)
        _ = extractor.features(of: [Float](repeating: 0, count: 2048))  // plan the FFT before timing
        let totals = Totals()
        let progress = ProgressReporter(total: paths.count, label: "bench features")
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = Self.cpuSeconds()
        ParallelWork.forEach(count: paths.count, threads: threadCount) { i in
            do {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let audio = try AudioLoader.load(paths[i], sampleRate: parameters.sampleRate)
                let t1 = DispatchTime.now().uptimeNanoseconds
                let m = extractor.features(of: audio.samples)
                let t2 = DispatchTime.now().uptimeNanoseconds
                totals.add(seconds: audio.duration, frames: m.frames, load: t1 - t0, features: t2 - t1)
            } catch {
                totals.fail("\(error)")
            }
            progress.advance()
        }
        progress.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let done = paths.count - totals.failures.count
        if json {
            let cpu = Self.cpuSeconds() - cpuStart
            print(
                try StoreFormat.json(
                    Measurement(
                        version: SER.version, files: done, audioSeconds: totals.audioSeconds, frames: totals.frames,
                        seconds: seconds, threads: threadCount, filesPerSecond: Double(done) / seconds,
                        realtimeFactor: totals.audioSeconds / seconds,
                        loadSecondsPerFile: totals.loadSeconds / Double(max(1, done)),
                        featureSecondsPerFile: totals.featureSeconds / Double(max(1, done)),
                        cpuSecondsPerFile: cpu / Double(max(1, done)), peakRSSMegabytes: Self.peakRSSMegabytes(),
                        failures: totals.failures)))
            if !totals.failures.isEmpty { throw ExitCode.failure }
            return
        }
        print(
            "ser \(SER.version): \(done) files (\(String(format: "%.0f", totals.audioSeconds)) s of audio), \(totals.frames) frames in \(String(format: "%.2f", seconds)) s on \(threadCount) thread(s)"
        )
        print(String(format: "files/s     %.1f", Double(done) / seconds))
        print(String(format: "realtime    %.0f×", totals.audioSeconds / seconds))
        print(
            String(
                format: "per file    %.1f ms load + resample, %.1f ms log-mel (wall time inside one thread)",
                totals.loadSeconds / Double(max(1, done)) * 1000, totals.featureSeconds / Double(max(1, done)) * 1000))
        print(
            String(
                format: "CPU         %.1f ms per file (user + system, all threads)",
                (Self.cpuSeconds() - cpuStart) / Double(max(1, done)) * 1000))
        print(String(format: "peak RSS    %.0f MB", Self.peakRSSMegabytes()))
        for failure in totals.failures.prefix(10) { print("failed: \(failure)") }
        if !totals.failures.isEmpty { throw ExitCode.failure }
    }

    /// Audio files under `root`, sorted by path, found as every command finds a corpus
    /// (``AudioFiles/walk(_:limit:shouldStop:)``); the number of skipped entries is printed on standard error.
    static func audioFiles(under root: String) throws -> [String] {
        let walk = try AudioFiles.walk(root)
        if !walk.skipped.isEmpty {
            RunOutput.log("skipped \(walk.skipped.count) entries of \(walk.root) (ser data \(root) lists them)")
        }
        return walk.audioPaths
    }

    /// The process's peak resident set size (`getrusage` `ru_maxrss`, kilobytes on Linux).
    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// User + system CPU seconds of this process so far (all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    final class Totals: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var audioSeconds = 0.0
        private(set) var frames = 0
        private(set) var loadSeconds = 0.0
        private(set) var featureSeconds = 0.0
        private(set) var failures: [String] = []
        func add(seconds: Double, frames n: Int, load: UInt64, features: UInt64) {
            lock.withLock {
                audioSeconds += seconds
                frames += n
                loadSeconds += Double(load) / 1e9
                featureSeconds += Double(features) / 1e9
            }
        }
        func fail(_ message: String) { lock.withLock { failures.append(message) } }
    }
}
