import Foundation

/// Checks a merged spec tree against `SpecSchema`, collecting every error, and returns the resolved tree:
/// every key present (defaults filled in), numbers typed as the schema says, relative paths made absolute.
struct SpecValidator {
    var errors: [SpecError] = []
    /// The working directory, for paths given with `--set` (paths in files are relative to their file).
    var workingDirectory: String

    mutating func resolveRoot(_ root: SpecNode) -> SpecNode {
        resolve(root, shape: .section(SpecSchema.root), path: "", parent: root.location)
    }

    private mutating func fail(_ message: String, at location: SourceLocation) {
        errors.append(SpecError(message, at: location))
    }

    private func display(_ path: String) -> String { path.isEmpty ? "the spec" : path }

    private mutating func typeError(_ shape: Shape, _ node: SpecNode, _ path: String) {
        fail("expected \(shape.expectation) for \(display(path)), got \(node.value.kindDescription)", at: node.location)
    }

    /// Resolves `node` (nil when the key is absent) against `shape`; `parent` locates defaults.
    mutating func resolve(_ node: SpecNode?, shape: Shape, path: String, parent: SourceLocation) -> SpecNode {
        guard let node else {
            return resolveDefault(shape: shape, path: path, at: parent)
        }
        let here = node.location
        switch shape {
        case .int(let range):
            guard case .int(let value) = node.value else {
                typeError(shape, node, path)
                return node
            }
            if !range.contains(value) { typeError(shape, node, path) }
            return node
        case .intChoice(let values):
            guard case .int(let value) = node.value, values.contains(value) else {
                typeError(shape, node, path)
                return node
            }
            return node
        case .number(let min, let minExclusive, let max, let maxExclusive):
            let number: Double
            switch node.value {
            case .int(let value): number = Double(value)
            case .double(let value): number = value
            default:
                typeError(shape, node, path)
                return node
            }
            var problems: [String] = []
            if !number.isFinite { problems.append("a finite number") }
            if let min, minExclusive ? !(number > min) : !(number >= min) {
                problems.append("\(minExclusive ? "above" : "at least") \(SpecYAML.format(min))")
            }
            if let max, maxExclusive ? !(number < max) : !(number <= max) {
                problems.append("\(maxExclusive ? "below" : "at most") \(SpecYAML.format(max))")
            }
            if !problems.isEmpty {
                var bounds: [String] = []
                if let min { bounds.append("\(minExclusive ? "above" : "at least") \(SpecYAML.format(min))") }
                if let max { bounds.append("\(maxExclusive ? "below" : "at most") \(SpecYAML.format(max))") }
                fail(
                    "expected a number \(bounds.joined(separator: " and ")) for \(display(path)), got \(node.value.kindDescription)",
                    at: here)
            }
            return SpecNode(.double(number), at: here)
        case .bool:
            guard case .bool = node.value else {
                typeError(shape, node, path)
                return node
            }
            return node
        case .string:
            switch node.value {
            case .string: return node
            case .int, .double, .bool: return SpecNode(.string(SpecYAML.scalarText(node.value)), at: here)
            default:
                typeError(shape, node, path)
                return node
            }
        case .path:
            guard case .string(let text) = node.value, !text.isEmpty else {
                typeError(shape, node, path)
                return node
            }
            return SpecNode(.string(absolutePath(text, from: here)), at: here)
        case .choice(let words):
            guard case .string(let word) = node.value else {
                typeError(shape, node, path)
                return node
            }
            if !words.contains(word) { unknownWord(word, words, path, here) }
            return node
        case .numberOrChoice(let number, let words):
            if case .string(let word) = node.value {
                if !words.contains(word) { unknownWord(word, words, path, here, alsoNumber: true) }
                return node
            }
            switch node.value {
            case .int, .double: return resolve(node, shape: number, path: path, parent: parent)
            default:
                typeError(shape, node, path)
                return node
            }
        case .numberRangeOrChoice(let number, let words):
            guard case .list(let items) = node.value else {
                return resolve(node, shape: .numberOrChoice(number, words), path: path, parent: parent)
            }
            guard items.count == 2 else {
                fail("expected two numbers [low, high] for \(display(path)), got \(items.count) items", at: here)
                return node
            }
            let resolved = items.enumerated().map { index, element in
                resolve(element, shape: number, path: "\(path)[\(index)]", parent: here)
            }
            if case .double(let low) = resolved[0].value, case .double(let high) = resolved[1].value, low >= high {
                fail(
                    "expected [low, high] with low below high for \(display(path)), got [\(SpecYAML.format(low)), \(SpecYAML.format(high))]",
                    at: here)
            }
            return SpecNode(.list(resolved), at: here)
        case .list(let item, let minCount):
            guard case .list(let items) = node.value else {
                typeError(shape, node, path)
                return node
            }
            if items.count < minCount {
                fail(
                    "expected at least \(minCount) item\(minCount == 1 ? "" : "s") in \(display(path)), got \(items.count)",
                    at: here)
            }
            let resolved = items.enumerated().map { index, element in
                resolve(element, shape: item, path: "\(path)[\(index)]", parent: here)
            }
            return SpecNode(.list(resolved), at: here)
        case .section(let fields):
            if case .null = node.value { return resolveDefault(shape: shape, path: path, at: here) }
            guard case .map(let entries) = node.value else {
                typeError(shape, node, path)
                return node
            }
            checkUnknownKeys(entries, valid: fields.map(\.name), path: path)
            return SpecNode(.map(resolveFields(fields, in: node, path: path)), at: here)
        case .toggle(let fields):
            switch node.value {
            case .null, .bool(false): return SpecNode(.null, at: here)
            case .bool(true): return resolveDefault(shape: .section(fields), path: path, at: here)
            case .map: return resolve(node, shape: .section(fields), path: path, parent: parent)
            default:
                typeError(shape, node, path)
                return node
            }
        case .speaker:
            switch node.value {
            case .int(let value) where value >= 0: return node
            case .string(let text) where !text.trimmingCharacters(in: .whitespaces).isEmpty: return node
            default:
                typeError(shape, node, path)
                return node
            }
        case .mapping(let valueShape):
            guard case .map(let entries) = node.value else {
                typeError(shape, node, path)
                return node
            }
            let resolved = entries.map { entry in
                SpecEntry(
                    key: entry.key, keyLocation: entry.keyLocation,
                    node: resolve(entry.node, shape: valueShape, path: join(path, entry.key), parent: here))
            }
            return SpecNode(.map(resolved), at: here)
        case .nullable(let inner):
            if case .null = node.value { return node }
            return resolve(node, shape: inner, path: path, parent: parent)
        case .variants(let kinds, let defaultKind, let fields, let variants):
            if case .null = node.value { return resolveDefault(shape: shape, path: path, at: here) }
            guard case .map(let entries) = node.value else {
                typeError(shape, node, path)
                return node
            }
            checkUnknownKeys(entries, valid: fields.map(\.name), path: path)
            let kindField = fields.first { $0.name == "kind" }!
            let kindNode =
                node["kind"].map { resolve($0, shape: kindField.shape, path: join(path, "kind"), parent: here) }
                ?? SpecNode(.string(defaultKind), at: here)
            var kind = defaultKind
            if case .string(let word) = kindNode.value, kinds.contains(word) { kind = word }
            let allowed = ["kind"] + (variants[kind] ?? [])
            // A key set to null is removed (it may have come from a base spec), so it applies to any kind.
            for entry in entries
            where !allowed.contains(entry.key) && fields.contains(where: { $0.name == entry.key })
                && entry.node.value != .null
            {
                let owners = kinds.filter { variants[$0]?.contains(entry.key) == true }
                // The kind was set elsewhere (a `--set`, the child over its base): say where, and how to drop the key.
                var origin = ""
                if let kindEntry = node.entries.first(where: { $0.key == "kind" }),
                    kindEntry.node.location.file != entry.keyLocation.file
                {
                    origin = " (kind \(kind) set at \(kindEntry.node.location)); remove it or set it to null"
                }
                fail(
                    "\(join(path, entry.key)) applies to \(path) kind \(owners.joined(separator: " or ")), not \(kind)\(origin)",
                    at: entry.keyLocation)
            }
            let chosen = fields.filter { allowed.contains($0.name) }
            return SpecNode(.map(resolveFields(chosen, in: node, path: path)), at: here)
        }
    }

    private mutating func resolveFields(_ fields: [Field], in node: SpecNode, path: String) -> [SpecEntry] {
        fields.map { field in
            let entry = node.entries.first { $0.key == field.name }
            let resolved: SpecNode
            // null on a key that cannot be null removes it (`--set key=null`, or `key: null` over a base
            // spec's value): its default applies. On a nullable key null is the value itself.
            if let value = field.defaultValue, entry == nil || (entry?.node.value == .null && !field.shape.acceptsNull)
            {
                resolved = SpecNode(value, at: node.location)
            } else {
                resolved = resolve(entry?.node, shape: field.shape, path: join(path, field.name), parent: node.location)
            }
            return SpecEntry(key: field.name, keyLocation: entry?.keyLocation ?? node.location, node: resolved)
        }
    }

    private mutating func resolveDefault(shape: Shape, path: String, at location: SourceLocation) -> SpecNode {
        switch shape {
        case .section(let fields):
            return SpecNode(.map(resolveFields(fields, in: SpecNode(.map([]), at: location), path: path)), at: location)
        case .variants:
            return resolve(SpecNode(.map([]), at: location), shape: shape, path: path, parent: location)
        case .nullable, .toggle:
            return SpecNode(.null, at: location)
        default:
            fail("missing \(display(path)) (\(shape.expectation))", at: location)
            return SpecNode(.null, at: location)
        }
    }

    private mutating func checkUnknownKeys(_ entries: [SpecEntry], valid: [String], path: String) {
        for entry in entries where !valid.contains(entry.key) {
            var message = "unknown key '\(entry.key)' in \(path.isEmpty ? "the spec" : path)"
            // A key of dots only ("." or "..") has no parts to nest: it gets the plain message below.
            let parts = entry.key.split(separator: ".")
            if entry.key.contains("."), !parts.isEmpty {
                message +=
                    "; dotted keys belong under sweep: or --set; here write it nested ("
                    + parts.dropLast().map { "\($0): {" }.joined() + "\(parts.last ?? ""): …"
                    + String(repeating: "}", count: parts.count - 1) + ")"
                fail(message, at: entry.keyLocation)
                continue
            }
            if let suggestion = DidYouMean.suggest(entry.key, among: valid) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; valid keys: \(valid.joined(separator: ", "))"
            }
            fail(message, at: entry.keyLocation)
        }
    }

    private mutating func unknownWord(
        _ word: String, _ words: [String], _ path: String, _ location: SourceLocation, alsoNumber: Bool = false
    ) {
        var message =
            "unknown value '\(word)' for \(display(path)); expected \(alsoNumber ? "a number or " : "")one of \(words.joined(separator: ", "))"
        if let suggestion = DidYouMean.suggest(word, among: words) { message += " (did you mean '\(suggestion)'?)" }
        fail(message, at: location)
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// `text` made absolute: `~` expanded, a relative path taken from the folder of the file it was written
    /// in (from the working directory for `--set` values and environment variables).
    func absolutePath(_ text: String, from location: SourceLocation) -> String {
        let expanded = (text as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        let base: String
        if location.line > 0, location.file.hasPrefix("/") {
            base = (location.file as NSString).deletingLastPathComponent
        } else if location.line > 0 {
            base =
                URL(fileURLWithPath: location.file, relativeTo: URL(fileURLWithPath: workingDirectory))
                .deletingLastPathComponent().path
        } else {
            base = workingDirectory
        }
        return URL(fileURLWithPath: expanded, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
            .standardizedFileURL.path
    }
}

/// "Did you mean …?" by edit distance.
public enum DidYouMean {
    /// The candidate closest to `word` if it is close enough (Levenshtein distance ≤ max(1, length/3)),
    /// or one that starts with it.
    public static func suggest(_ word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, min(word.count, best.0.count) / 3) {
            return best.0
        }
        return candidates.first { $0.hasPrefix(word) && word.count >= 3 }
    }

    /// Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one edit
    /// (optimal string alignment): O(|a|·|b|) time and memory.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
