import Foundation

/// `data.label_map` (and `test.label_map`, `--label-map`): renames a corpus's labels before a label scheme
/// reads them, e.g. `{ps: surprised, calm: neutral}`.
///
/// Keys are matched case-insensitively. For the built-in corpus layouts a key is one of the layout's own
/// emotion codes (`ANG`, `ps`, `W`) or canonical emotion names (`calm`), and a target must be an emotion of
/// the vocabulary (``Emotion/init(label:)``). For folders and csv a key is a given label (class folder or
/// CSV `label`) and the target any label (an emotion when the scheme is `emotion`).
public struct LabelMap: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Lower-cased key → target, as written.
    public private(set) var entries: [String: String]

    /// - Throws: ``DatasetError/labelMap(key:target:problem:)`` for an empty key or target, or two keys that
    ///   differ only in letter case.
    public init(_ entries: [String: String]) throws {
        var lowered = [String: String]()
        for (key, target) in entries.sorted(by: { $0.key < $1.key }) {
            let trimmed = key.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !target.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw DatasetError.labelMap(key: key, target: target, problem: "empty label; expected label: target")
            }
            guard lowered[trimmed.lowercased()] == nil else {
                throw DatasetError.labelMap(
                    key: key, target: target, problem: "the label is mapped twice (keys ignore letter case)")
            }
            lowered[trimmed.lowercased()] = target.trimmingCharacters(in: .whitespaces)
        }
        self.entries = lowered
    }

    /// Parses `ps=surprised,calm=neutral` (the command-line form).
    /// - Throws: ``DatasetError/labelMap(key:target:problem:)`` naming the malformed entry.
    public init(parsing text: String) throws {
        var entries = [String: String]()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else {
                throw DatasetError.labelMap(
                    key: String(part), target: "", problem: "expected label=target (e.g. ps=surprised,calm=neutral)")
            }
            if entries[pair[0]] != nil {
                throw DatasetError.labelMap(key: pair[0], target: pair[1], problem: "the label is mapped twice")
            }
            entries[pair[0]] = pair[1]
        }
        try self.init(entries)
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// e.g. "calm=neutral,ps=surprised" (sorted).
    public var description: String {
        entries.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The target of `label` (case-insensitive), or nil.
    public func target(of label: String) -> String? { entries[label.lowercased()] }

    /// The listing with its labels renamed: for the built-in corpus layouts each file's emotion (and the
    /// listing's possible emotions), for folders and csv each given label. O(files + entries).
    /// - Throws: ``DatasetError/labelMap(key:target:problem:)`` for a key that is not a label of the corpus
    ///   or (built-in layouts) a target that is not an emotion.
    public func apply(to listing: DatasetListing) throws -> DatasetListing {
        guard !isEmpty else { return listing }
        var listing = listing
        if let native = listing.layout.nativeEmotions {
            var mapped = [String: Emotion]()  // lower-cased code or name → emotion
            let labels = Set(native.flatMap { [$0.code.lowercased(), $0.emotion.name] })
            for (key, target) in entries.sorted(by: { $0.key < $1.key }) {
                guard labels.contains(key) else {
                    throw DatasetError.labelMap(
                        key: key, target: target,
                        problem: "'\(key)' is not a label of the \(listing.layout.displayName) layout; expected one of "
                            + native.map { "\($0.code) (\($0.emotion.name))" }.joined(separator: ", "))
                }
                guard let emotion = Emotion(label: target) else {
                    throw DatasetError.labelMap(
                        key: key, target: target,
                        problem: "'\(target)' is not an emotion; expected one of "
                            + Emotion.allCases.map(\.name).joined(separator: ", "))
                }
                mapped[key] = emotion
            }
            func map(code: String, emotion: Emotion) -> Emotion {
                mapped[code.lowercased()] ?? mapped[emotion.name] ?? emotion
            }
            for index in listing.files.indices {
                guard let emotion = listing.files[index].emotion else { continue }
                let code = listing.files[index].nativeLabel ?? emotion.name
                listing.files[index].emotion = map(code: code, emotion: emotion)
            }
            listing.emotions = DatasetListing.ordered(native.map { map(code: $0.code, emotion: $0.emotion) })
        } else {
            let labels = Set(listing.files.compactMap { $0.givenLabel?.lowercased() })
            for (key, target) in entries.sorted(by: { $0.key < $1.key }) where !labels.contains(key) {
                throw DatasetError.labelMap(
                    key: key, target: target,
                    problem: "no file of \(listing.source) has the label '\(key)'; its labels are "
                        + Set(listing.files.compactMap(\.givenLabel)).sorted().joined(separator: ", "))
            }
            for index in listing.files.indices {
                guard let label = listing.files[index].givenLabel, let target = target(of: label) else { continue }
                listing.files[index].givenLabel = target
            }
        }
        return listing
    }
}
