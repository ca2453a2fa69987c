import Foundation

/// Where the runner keeps files, all under the store's folder (`runs/` for the default
/// `runs/ser.sqlite`), so one `--store` choice moves everything together:
///
///     runs/ser.sqlite                        the store
///     runs/cache/features/                   the feature cache (shared by every run)
///     runs/cache/synthetic/<actors>-<seed>/   the built-in corpus, made on first use
///     runs/<run-id>/checkpoints/             the latest checkpoint of a run (for `ser resume`)
///     runs/<run-id>/model.safetensors        the run's kept model (a `ModelBundle` file)
public struct RunnerPaths: Sendable, Equatable {
    /// The folder of the store.
    public var root: URL

    public init(storePath: String) {
        root = URL(fileURLWithPath: storePath).standardizedFileURL.deletingLastPathComponent()
    }

    public var featureCache: URL { root.appendingPathComponent("cache/features", isDirectory: true) }

    /// The feature cache for a trimming threshold: trimmed audio gives other features than untrimmed audio
    /// with the same parameters, so each threshold has its own cache.
    public func featureCache(trimDB: Double?) -> URL {
        guard let trimDB else { return featureCache }
        return root.appendingPathComponent("cache/features-trim\(trimDB)", isDirectory: true)
    }

    public func syntheticCorpus(actors: Int, seed: Int) -> URL {
        root.appendingPathComponent("cache/synthetic/\(actors)-\(seed)", isDirectory: true)
    }

    public func runFolder(_ runID: Int64) -> URL { root.appendingPathComponent("\(runID)", isDirectory: true) }
    public func checkpoints(_ runID: Int64) -> URL {
        runFolder(runID).appendingPathComponent("checkpoints", isDirectory: true)
    }
    public func weights(_ runID: Int64) -> URL { runFolder(runID).appendingPathComponent("model.safetensors") }
}
