import Foundation
import Yams

/// Where a value of a spec came from: a file and 1-based line and column, or a `--set` argument
/// (`line == 0`), or a default (`file` is the spec that left the key out).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// One problem in a spec, with where it is. `description` reads `file:line:column: message`.
public struct SpecError: Error, Hashable, Sendable, CustomStringConvertible, LocalizedError {
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation?) {
        self.message = message
        self.location = location
    }

    public var description: String { location.map { "\($0): \(message)" } ?? message }
    public var errorDescription: String? { description }
}

/// Every problem found in a spec (validation reports them all, not only the first), in source order.
public struct SpecErrors: Error, Sendable, CustomStringConvertible, LocalizedError {
    public var errors: [SpecError]

    public init(_ errors: [SpecError]) {
        var seen = Set<SpecError>()
        let unique = errors.filter { seen.insert($0).inserted }
        // Source order (stable): errors without a location first, then by file, line and column.
        self.errors = unique.enumerated().sorted { a, b in
            let x = a.element.location
            let y = b.element.location
            switch (x, y) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?):
                if x.file != y.file { return a.offset < b.offset }
                return (x.line, x.column, a.offset) < (y.line, y.column, b.offset)
            }
        }.map(\.element)
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
    public var errorDescription: String? { description }
}

/// A parsed YAML value with the location of every node: what specs are merged, overridden and checked as.
/// Maps keep their keys in source order (the canonical output sorts them).
public indirect enum SpecValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([SpecNode])
    case map([SpecEntry])

    /// How the value is named in error messages: "a number", "the text 'abc'", …
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .int(let value): return "\(value)"
        case .double(let value): return SpecYAML.format(value)
        case .string(let value): return "'\(Self.excerpt(value))'"
        case .list: return "a list"
        case .map: return "a section (key: value pairs)"
        }
    }

    /// At most `limit` characters of the first line of `text`, with "…" where it was cut, so an error never
    /// quotes a whole file (`extends: /etc/passwd` parses as one long string).
    static func excerpt(_ text: String, limit: Int = 40) -> String {
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        let cut = firstLine.count > limit || firstLine.count < text.count
        return String(firstLine.prefix(limit)) + (cut ? "…" : "")
    }
}

/// A value and where it was written.
public struct SpecNode: Equatable, Sendable {
    public var value: SpecValue
    public var location: SourceLocation

    public init(_ value: SpecValue, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The entries of a map node (empty for any other value).
    var entries: [SpecEntry] {
        if case .map(let entries) = value { return entries }
        return []
    }

    /// The value of `key` in a map node.
    subscript(key: String) -> SpecNode? {
        entries.first { $0.key == key }?.node
    }

    /// The node at a dotted path of map keys (`features.n_fft`).
    func node(at path: [String]) -> SpecNode? {
        var node: SpecNode? = self
        for key in path { node = node?[key] }
        return node
    }
}

/// A key of a map, where the key was written, and its value.
public struct SpecEntry: Equatable, Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var node: SpecNode
}

/// Limits that make hostile specs fail fast with a clear error instead of exhausting time or memory.
public struct SpecLimits: Sendable {
    /// The largest spec file read, in bytes.
    public var maxFileBytes = 1 << 20
    /// The deepest nesting of lists and maps.
    public var maxDepth = 32
    /// The most nodes a file may expand to (aliases count once per use, so an alias bomb stops here).
    public var maxNodes = 20_000
    /// The most separators (`:`, `,`, `- `) outside comments, counted before parsing: YAML parsing costs
    /// about 40 µs a value in a debug build, so a file of a million tiny values is refused unparsed.
    public var maxSeparators = 10_000
    /// The longest chain of `extends`.
    public var maxExtendsDepth = 16
    /// The most runs one sweep may expand to.
    public var maxSweepRuns = 1_000

    public init() {}
}

extension SpecNode {
    /// Parses YAML text (one document, a map at the top) into a located tree, within `limits`.
    static func parse(yaml: String, file: String, limits: SpecLimits) throws -> SpecNode {
        let separators = countSeparators(yaml, stopAfter: limits.maxSeparators)
        if separators > limits.maxSeparators {
            throw SpecErrors([
                SpecError(
                    "the spec has more than \(limits.maxSeparators) values (a spec needs a few hundred); refused",
                    at: SourceLocation(file: file, line: 1, column: 1))
            ])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw SpecErrors([yamlError(error, file: file)])
        }
        guard let root else {
            return SpecNode(.map([]), at: SourceLocation(file: file, line: 1, column: 1))
        }
        var budget = limits.maxNodes
        return try convert(root, file: file, depth: 0, budget: &budget, limits: limits)
    }

    /// Counts `:`, `,` and list dashes outside comments (a quoted `#` may end a line's count early: this is
    /// an upper bound on work, not a parser). Stops counting once past `stopAfter`.
    static func countSeparators(_ text: String, stopAfter limit: Int) -> Int {
        var count = 0
        var inComment = false
        var previous: UInt8 = UInt8(ascii: "\n")
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): inComment = false
            case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\n"):
                inComment = true
            case UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "*"):
                if !inComment {
                    count += 1
                    if count > limit { return count }
                }
            default: break
            }
            previous = byte
        }
        return count
    }

    private static func location(_ node: Node, file: String) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    private static func convert(
        _ node: Node, file: String, depth: Int, budget: inout Int, limits: SpecLimits
    ) throws -> SpecNode {
        let here = location(node, file: file)
        budget -= 1
        if budget < 0 {
            throw SpecErrors([
                SpecError(
                    "the spec expands to more than \(limits.maxNodes) values (too many aliases or a huge file); refused",
                    at: here)
            ])
        }
        if depth > limits.maxDepth {
            throw SpecErrors([
                SpecError("the spec nests deeper than \(limits.maxDepth) levels; refused", at: here)
            ])
        }
        switch node {
        case .scalar(let scalar):
            return SpecNode(typedScalar(scalar.string, plain: scalar.style == .plain, tag: scalar.tag), at: here)
        case .sequence(let sequence):
            var items: [SpecNode] = []
            for item in sequence {
                items.append(try convert(item, file: file, depth: depth + 1, budget: &budget, limits: limits))
            }
            return SpecNode(.list(items), at: here)
        case .mapping(let mapping):
            var entries: [SpecEntry] = []
            for (key, value) in mapping {
                let keyLocation = location(key, file: file)
                guard case .scalar(let keyScalar) = key else {
                    throw SpecErrors([SpecError("a key must be plain text, not a list or a section", at: keyLocation)])
                }
                if keyScalar.string == "<<" {
                    throw SpecErrors([
                        SpecError(
                            "YAML merge keys ('<<') are not supported; use 'extends: other.yaml'", at: keyLocation)
                    ])
                }
                let converted = try convert(value, file: file, depth: depth + 1, budget: &budget, limits: limits)
                entries.append(SpecEntry(key: keyScalar.string, keyLocation: keyLocation, node: converted))
            }
            return SpecNode(.map(entries), at: here)
        case .alias:
            // Yams replaces aliases by the anchored node while composing; an unresolved one is an error.
            throw SpecErrors([SpecError("unresolved YAML alias", at: here)])
        }
    }

    /// YAML 1.2 core-schema typing of a scalar: `null`/`~`/empty, `true`/`false`, integers, floats; anything
    /// quoted or tagged `!!str` is text.
    static func typedScalar(_ text: String, plain: Bool, tag: Tag = .implicit) -> SpecValue {
        if !plain || tag.rawValue == Tag.Name.str.rawValue { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        // Hand-written number recognition (regular expressions cost ~10 µs a call on Linux; an alias bomb
        // makes 100 000 calls before it is refused).
        guard let first = text.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return .string(text) }
        let cleaned = text.contains("_") ? text.replacingOccurrences(of: "_", with: "") : text
        let body = cleaned.utf8.drop { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
        guard cleaned.utf8.count - body.count <= 1, !body.isEmpty else { return .string(text) }
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        if body.allSatisfy({ digits.contains($0) }) {
            return Int(cleaned).map(SpecValue.int) ?? .double(Double(cleaned) ?? 0)
        }
        if body.starts(with: "0x".utf8), body.count > 2 {
            let hex = String(decoding: body.dropFirst(2), as: UTF8.self)
            if let value = Int(hex, radix: 16) { return .int(cleaned.hasPrefix("-") ? -value : value) }
            return .string(text)
        }
        let allowed = Set("0123456789.eE+-".utf8)
        if body.allSatisfy({ allowed.contains($0) }), body.contains(where: { digits.contains($0) }),
            let value = Double(cleaned)
        {
            return .double(value)
        }
        return .string(text)
    }

    private static func yamlError(_ error: YamlError, file: String) -> SpecError {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = [context.map { "\($0.text)" }, problem].compactMap { $0 }.filter { !$0.isEmpty }
            var message = "invalid YAML: " + detail.joined(separator: " ")
            if problem.contains("Maximum nesting level") || detail.joined().contains("Maximum nesting level") {
                message = "the spec nests too deeply; refused"
            }
            return SpecError(message, at: at(mark))
        case .reader(let problem, _, _, _):
            return SpecError("cannot read the YAML: \(problem)", at: SourceLocation(file: file, line: 0, column: 0))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SpecError(
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one section",
                at: at(context.mark))
        default:
            return SpecError("invalid YAML: \(error)", at: SourceLocation(file: file, line: 0, column: 0))
        }
    }

    /// `base` with `override` laid over it: maps merge key by key (recursively), anything else is replaced.
    static func merge(_ base: SpecNode, _ override: SpecNode) -> SpecNode {
        guard case .map(var entries) = base.value, case .map(let overrides) = override.value else {
            return override
        }
        for entry in overrides {
            if let index = entries.firstIndex(where: { $0.key == entry.key }) {
                entries[index].node = merge(entries[index].node, entry.node)
                // The key is now the child's: errors about it point at the file that wrote it last.
                entries[index].keyLocation = entry.keyLocation
            } else {
                entries.append(entry)
            }
        }
        return SpecNode(.map(entries), at: override.location)
    }

    /// Sets the value at a dotted path, creating sections on the way; fails when a step is not a section.
    mutating func set(_ path: ArraySlice<String>, to value: SpecNode, keyLocation: SourceLocation) throws {
        guard let key = path.first else {
            self = value
            return
        }
        var entries: [SpecEntry]
        switch self.value {
        case .map(let existing): entries = existing
        case .null: entries = []
        default:
            throw SpecErrors([
                SpecError(
                    "cannot set '\(key)' inside a value that is not a section (\(self.value.kindDescription))",
                    at: keyLocation)
            ])
        }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            try entries[index].node.set(path.dropFirst(), to: value, keyLocation: keyLocation)
            // The overridden key now comes from the override (a `--set` argument or a sweep).
            if path.count == 1 { entries[index].keyLocation = keyLocation }
        } else {
            var child = SpecNode(.null, at: keyLocation)
            try child.set(path.dropFirst(), to: value, keyLocation: keyLocation)
            entries.append(SpecEntry(key: key, keyLocation: keyLocation, node: child))
        }
        self.value = .map(entries)
    }

    /// Removes `key` from a map node and returns its entry.
    mutating func remove(_ key: String) -> SpecEntry? {
        guard case .map(var entries) = value, let index = entries.firstIndex(where: { $0.key == key }) else {
            return nil
        }
        let entry = entries.remove(at: index)
        value = .map(entries)
        return entry
    }

    /// The value as a JSON-compatible object (for decoding `ExperimentSpec` with `JSONDecoder`).
    var jsonObject: Any {
        switch value {
        case .null: return NSNull()
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .list(let items): return items.map(\.jsonObject)
        case .map(let entries):
            return Dictionary(entries.map { ($0.key, $0.node.jsonObject) }, uniquingKeysWith: { $1 })
        }
    }
}

/// The canonical YAML text of a resolved spec: keys sorted at every level, every default written out,
/// numbers in one spelling. Two specs that mean the same run have the same text, hence the same hash.
enum SpecYAML {
    static func emit(_ node: SpecNode) -> String {
        var lines: [String] = []
        emitMap(node.entries, indent: 0, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func emitMap(_ entries: [SpecEntry], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries.sorted(by: { $0.key < $1.key }) {
            let key = scalarText(.string(entry.key))
            switch entry.node.value {
            case .map(let children) where !children.isEmpty:
                lines.append("\(pad)\(key):")
                emitMap(children, indent: indent + 2, into: &lines)
            default:
                lines.append("\(pad)\(key): \(inline(entry.node))")
            }
        }
    }

    /// A value on one line: scalars, `[a, b]` lists and `{k: v}` maps.
    static func inline(_ node: SpecNode) -> String {
        switch node.value {
        case .list(let items): return "[" + items.map(inline).joined(separator: ", ") + "]"
        case .map(let entries):
            return "{"
                + entries.sorted { $0.key < $1.key }.map { "\(scalarText(.string($0.key))): \(inline($0.node))" }
                .joined(separator: ", ") + "}"
        default: return scalarText(node.value)
        }
    }

    static func scalarText(_ value: SpecValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return format(value)
        case .string(let text):
            let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./ +-".utf8)
            let plain =
                !text.isEmpty && SpecNode.typedScalar(text, plain: true) == .string(text)
                && text.utf8.allSatisfy { safe.contains($0) } && !text.hasSuffix(" ") && !text.hasPrefix(" ")
                && !text.hasPrefix("-") && !text.hasPrefix("+")
            if plain { return text }
            let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case .list, .map: return inline(SpecNode(value, at: SourceLocation(file: "", line: 0, column: 0)))
        }
    }

    /// A double always spelled as a float (`10.0`, `1.0e-07`), so it reads back as a float.
    static func format(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value > 0 ? ".inf" : "-.inf" }
        var text = "\(value)"
        if !text.contains(".") {
            if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                text.insert(contentsOf: ".0", at: e)
            } else {
                text += ".0"
            }
        }
        return text
    }
}
