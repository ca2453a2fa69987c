import Foundation

/// The part of a CSV manifest row's `split` column: which set the file belongs to under `split.kind: manifest`.
public enum SplitPart: String, CaseIterable, Sendable {
    case train, valid, test

    /// The part a `split` cell names: `train`, `valid` or `test`, in any letter case (also `training`,
    /// `validation`, `val`, `dev`, `testing`); nil for anything else, an empty cell included.
    public init?(cell: String) {
        switch cell.trimmingCharacters(in: .whitespaces).lowercased() {
        case "train", "training": self = .train
        case "valid", "validation", "val", "dev": self = .valid
        case "test", "testing": self = .test
        default: return nil
        }
    }

    /// The manifest column that gives the part.
    public static let column = "split"

    /// Each file's part from its manifest row's `split` column (`files` of a csv listing, in order).
    /// - Throws: ``DatasetError/noSplitColumn(path:)`` when the manifest (`source`) has no `split` column,
    ///   ``DatasetError/unknownSplitPart(file:value:)`` naming the file and manifest line of a cell that is not a
    ///   part, and ``DatasetError/emptySplitPart(path:part:)`` when no file is in the train or the valid part.
    /// - Complexity: O(files).
    public static func parts(of files: [DatasetFile], source: String) throws -> [SplitPart] {
        let parts = try files.map { file -> SplitPart in
            guard let cell = file.metadata?.first(where: { $0.key.lowercased() == column })?.value else {
                throw DatasetError.noSplitColumn(path: source)
            }
            guard let part = SplitPart(cell: cell) else {
                throw DatasetError.unknownSplitPart(file: file.origin, value: cell)
            }
            return part
        }
        for part in [SplitPart.train, .valid] where !parts.contains(part) {
            throw DatasetError.emptySplitPart(path: source, part: part)
        }
        return parts
    }
}
