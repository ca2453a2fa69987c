/// The spec reference as a Markdown table generated from `SpecSchema`, so the documentation cannot
/// drift from what validation accepts (a test compares it with docs/store.md).
public enum SpecReference {
    /// One row per key: dotted key, default, what it accepts, meaning.
    public static func markdownTable() -> String {
        var rows = ["| key | default | accepts | meaning |", "| --- | --- | --- | --- |"]
        rows.append(
            "| `extends` | – | a path | a spec to inherit from, relative to this file; maps merge deeply, this file wins |"
        )
        append(SpecSchema.root, prefix: "", into: &rows)
        rows.append(
            "| `sweep` | – | dotted key: [values] | one run per combination of the lists, last key varying fastest |")
        return rows.joined(separator: "\n")
    }

    private static func append(_ fields: [Field], prefix: String, into rows: inout [String]) {
        for field in fields {
            let key = prefix + field.name
            switch field.shape {
            case .section(let children):
                rows.append("| `\(key)` | | section | \(field.doc) |")
                append(children, prefix: key + ".", into: &rows)
            case .nullable(.section(let children)):
                rows.append("| `\(key)` | `null` | section or null | \(field.doc) |")
                append(children, prefix: key + ".", into: &rows)
            case .toggle(let children):
                rows.append("| `\(key)` | `null` | true, false, null or a section | \(field.doc) |")
                append(children, prefix: key + ".", into: &rows)
            case .variants(_, _, let children, let variants):
                rows.append("| `\(key)` | | section | \(field.doc) |")
                for child in children {
                    let kinds = variants.keys.sorted().filter { variants[$0]?.contains(child.name) == true }
                    let note = child.name == "kind" ? "" : " (kind: \(kinds.joined(separator: ", ")))"
                    rows.append(row(key + "." + child.name, child, extra: note))
                }
            default:
                rows.append(row(key, field, extra: ""))
            }
        }
    }

    private static func row(_ key: String, _ field: Field, extra: String) -> String {
        let value: String
        if let defaultValue = field.defaultValue {
            value = "`" + SpecYAML.inline(SpecNode(defaultValue, at: SpecSchema.defaultLocation)) + "`"
        } else {
            value = key == "name" ? "the file name" : "required"
        }
        return "| `\(key)` | \(value) | \(accepts(field.shape)) | \(field.doc)\(extra) |"
    }

    private static func accepts(_ shape: Shape) -> String {
        switch shape {
        case .int(let range):
            return range.upperBound == Int.max
                ? "integer ≥ \(range.lowerBound)" : "integer \(range.lowerBound)…\(range.upperBound)"
        case .number(let min, let minExclusive, let max, let maxExclusive):
            var parts: [String] = []
            if let min { parts.append("\(minExclusive ? ">" : "≥") \(SpecYAML.format(min))") }
            if let max { parts.append("\(maxExclusive ? "<" : "≤") \(SpecYAML.format(max))") }
            return "number" + (parts.isEmpty ? "" : " " + parts.joined(separator: ", "))
        case .choice(let words): return words.joined(separator: " \\| ")
        case .numberOrChoice(let number, let words): return accepts(number) + " \\| " + words.joined(separator: " \\| ")
        case .numberRangeOrChoice(let number, let words):
            return accepts(number) + " \\| [low, high] \\| " + words.joined(separator: " \\| ")
        case .list(let item, let minCount): return "list (≥ \(minCount)) of " + accepts(item)
        case .nullable(let inner): return accepts(inner) + " \\| null"
        default: return shape.expectation
        }
    }
}
