import Foundation

/// Locations of the optional real data beside the repository (`../shared/data/...`).
public enum SharedData {
    /// The repository root (the directory holding Package.swift), found from this source file.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `shared/data/ravdess` in the nearest ancestor of the repository that holds it (`../shared/...` for a
    /// checkout, `../../shared/...` for a worktree under `wt/`), or nil (integration tests skip then).
    public static var ravdess: URL? {
        var url = repositoryRoot
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("shared/data/ravdess")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
