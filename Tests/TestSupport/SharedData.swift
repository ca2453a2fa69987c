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

    /// `../shared/data/ravdess` when present (integration tests skip otherwise).
    public static var ravdess: URL? {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/ravdess")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
