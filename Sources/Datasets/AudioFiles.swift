import Foundation

/// Finding audio files in a folder tree.
enum AudioFiles {
    /// Extensions (lower-cased) treated as audio; compared case-insensitively.
    static let extensions: Set<String> = ["wav", "flac", "ogg"]

    /// True when `name`'s extension is wav, flac or ogg in any letter case.
    static func isAudio(_ name: String) -> Bool {
        extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// `path` made absolute (against the working directory) and standardised.
    static func absolute(_ path: String) -> String {
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }

    /// Walks the tree under `root` (following symbolic links, at most 32 levels deep), skipping hidden
    /// entries (names starting with "."). O(entries).
    /// - Returns: the audio files' paths relative to `root`, sorted, and how many other regular files were seen.
    static func walk(_ root: String) -> (audio: [String], otherFiles: Int) {
        let manager = FileManager.default
        var audio = [String]()
        var others = 0
        func visit(_ relative: String, depth: Int) {
            let folder = relative.isEmpty ? root : root + "/" + relative
            guard depth < 32, let names = try? manager.contentsOfDirectory(atPath: folder) else { return }
            for name in names where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: root + "/" + child, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    visit(child, depth: depth + 1)
                } else if isAudio(name) {
                    audio.append(child)
                } else {
                    others += 1
                }
            }
        }
        visit("", depth: 0)
        audio.sort()
        return (audio, others)
    }
}
