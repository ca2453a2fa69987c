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

    /// `shared/data/ravdess` beside the repository (`../shared`) or beside one of its ancestors (so a
    /// git worktree nested one level deeper finds it too); nil when absent (integration tests skip then).
    public static var ravdess: URL? {
        var dir = repositoryRoot
        while dir.path != "/" {
            dir.deleteLastPathComponent()
            let url = dir.appendingPathComponent("shared/data/ravdess")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }
}
