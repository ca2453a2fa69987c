import Datasets
import Foundation
import RunStore

/// Where the runner keeps files, all under the store's folder (`runs/` for the default
/// `runs/ser.sqlite`), so one `--store` choice moves everything together:
///
///     runs/ser.sqlite                            the store
///     runs/cache/features/                       the feature cache (shared by every store in the folder)
///     runs/cache/synthetic/<actors>-<seed>[-<layout>]/  the built-in corpus, made on first use (shared too)
///     runs/ser-runs/<run-id>/                    the run's folder, which belongs to runs/ser.sqlite alone
///                                                (`<store file name without extension>-runs`; see `RunFolders`)
///     runs/ser-runs/<run-id>/.ser-run            its ownership marker: the store's identity and the run id
///     runs/ser-runs/<run-id>/.ser-failure        a preallocated note for a failure the store cannot record
///     runs/ser-runs/<run-id>/checkpoints/        the latest checkpoint of a run (for `ser resume`)
///     runs/ser-runs/<run-id>/model.safetensors   the run's kept model (a `ModelBundle` file)
///
/// Runs recorded before stores had their own runs folder keep theirs in `runs/<run-id>/`
/// (`RunStore.runFolder(of:)` knows which a run has).
public struct RunnerPaths: Sendable, Equatable {
    /// The folder of the store.
    public var root: URL

    /// The store's run folders.
    public var folders: RunFolders

    public init(storePath: String) {
        folders = RunFolders(storePath: storePath)
        root = folders.storeFolder
    }

    /// The paths of a store whose run folders are `folders` (a PostgreSQL store's: under its artifact root).
    public init(folders: RunFolders) {
        self.folders = folders
        root = folders.storeFolder
    }

    public var featureCache: URL { root.appendingPathComponent("cache/features", isDirectory: true) }

    /// The feature cache for a trimming threshold: trimmed audio gives other features than untrimmed audio
    /// with the same parameters, so each threshold has its own cache.
    public func featureCache(trimDB: Double?) -> URL {
        guard let trimDB else { return featureCache }
        return root.appendingPathComponent("cache/features-trim\(trimDB)", isDirectory: true)
    }

    public func syntheticCorpus(actors: Int, seed: Int, layout: DatasetLayout = .ravdess) -> URL {
        let suffix = layout == .ravdess ? "" : "-\(layout.rawValue)"
        return root.appendingPathComponent("cache/synthetic/\(actors)-\(seed)\(suffix)", isDirectory: true)
    }

    /// The folder of a run recorded by this version: `<store folder>/<store name>-runs/<run-id>/`.
    public func runFolder(_ runID: Int64) -> URL { folders.runFolder(runID) }
    public func checkpoints(_ runID: Int64) -> URL { Self.checkpoints(in: runFolder(runID)) }
    public func weights(_ runID: Int64) -> URL { Self.weights(in: runFolder(runID)) }

    /// The checkpoint folder and the model file inside a run folder.
    public static func checkpoints(in runFolder: URL) -> URL {
        runFolder.appendingPathComponent("checkpoints", isDirectory: true)
    }
    public static func weights(in runFolder: URL) -> URL { runFolder.appendingPathComponent("model.safetensors") }
}
