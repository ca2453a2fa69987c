import Foundation

/// A labelled corpus: its items (file + class index + speaker), ordered class names, and the files it
/// reports rather than uses. Building one reads only the file system, never audio.
public struct Dataset: Sendable {
    /// Where the files came from and how they were found (layout, detection, problems).
    public var listing: DatasetListing
    public var scheme: LabelScheme
    /// Class names; ``DatasetItem/classIndex`` indexes this array.
    public var classNames: [String]
    /// Items of the kept classes, sorted by relative path (CSV: manifest order).
    public var items: [DatasetItem]
    /// Files whose class is outside the scheme's subset.
    public var excluded: [DatasetFile]

    /// Labels a listing with `labels` (default: ``LabelScheme/defaultScheme(for:)``) after renaming its labels
    /// with `labelMap`.
    /// - Throws: ``DatasetError`` when the scheme does not fit the layout, a label is not an emotion (naming
    ///   the file), the label map does not fit the corpus, or the subset is invalid.
    public init(listing: DatasetListing, labels: LabelScheme? = nil, labelMap: LabelMap? = nil) throws {
        let listing = try labelMap?.apply(to: listing) ?? listing
        let scheme = labels ?? .defaultScheme(for: listing.layout)
        let (classNames, items, excluded) = try scheme.apply(
            to: listing.files, layout: listing.layout, emotions: listing.emotions)
        self.listing = listing
        self.scheme = scheme
        self.classNames = classNames
        self.items = items
        self.excluded = excluded
    }

    /// Lists the corpus at `path` (see ``DatasetListing/make(_:layout:shouldStop:)``) and labels it.
    public static func load(
        _ path: String, layout: DatasetLayout? = nil, labels: LabelScheme? = nil, labelMap: LabelMap? = nil,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> Dataset {
        try Dataset(
            listing: try DatasetListing.make(path, layout: layout, shouldStop: shouldStop), labels: labels,
            labelMap: labelMap)
    }

    public var layout: DatasetLayout { listing.layout }
    /// Files reported by the layout (unparseable names, files outside class folders, missing manifest rows).
    public var problems: [DatasetProblem] { listing.problems }

    /// Items per class, indexed like ``classNames``. O(items).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for item in items { counts[item.classIndex] += 1 }
        return counts
    }

    /// Distinct speakers of the items, sorted (empty for layouts without speakers).
    public var speakers: [String] { Array(Set(items.compactMap(\.speaker))).sorted() }
}
