import Foundation

/// A JSON value whose objects keep their keys in the order written, so the printed schema is stable.
public indirect enum SchemaJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([SchemaJSON])
    case object([(key: String, value: SchemaJSON)])

    public static func == (a: SchemaJSON, b: SchemaJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count
                && x.allSatisfy { entry in y.contains { $0.key == entry.key && $0.value == entry.value } }
        default: return false
        }
    }

    /// The value of `key` in an object.
    public subscript(key: String) -> SchemaJSON? {
        guard case .object(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// Pretty-printed JSON, two spaces a level.
    public func text(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            // Only finite numbers are written (the schema's bounds are finite).
            if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
            return "\(value)"
        case .string(let value):
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default:
                    if scalar.value < 0x20 {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({
                if case .array = $0 { return false } else if case .object = $0 { return false } else { return true }
            }) {
                return "[" + items.map { $0.text() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { pad + $0.text(indent: indent + 1) }.joined(separator: ",\n") + "\n\(close)]"
        case .object(let entries):
            if entries.isEmpty { return "{}" }
            return "{\n"
                + entries.map { pad + SchemaJSON.string($0.key).text() + ": " + $0.value.text(indent: indent + 1) }
                .joined(separator: ",\n") + "\n\(close)}"
        }
    }
}

/// The JSON Schema (draft-07, the draft yaml-language-server supports fully) of an experiment spec, made
/// from `SpecSchema`, the schema the validator checks: editors use it for completion, hover text and
/// inline errors. Checks that need several keys (fmax against the sample rate, …) are left to `ser validate`.
public enum SpecJSONSchema {
    public static let draft = "http://json-schema.org/draft-07/schema#"

    /// The whole schema document.
    public static func document() -> SchemaJSON {
        var properties = SpecSchema.root.map { ($0.name, field($0)) }
        properties.append(
            (
                "extends",
                .object([
                    ("description", .string("a spec file this one is laid over (relative to this file); null: none")),
                    ("type", .array([.string("string"), .string("null")])),
                ])
            ))
        properties.append(("sweep", sweep()))
        return .object([
            ("$schema", .string(draft)),
            ("title", .string("ser experiment spec")),
            (
                "description",
                .string(
                    "An experiment for `ser run` (docs/store.md). A key set to null is removed: its default applies, or null where the key may be null."
                )
            ),
            ("type", .string("object")),
            ("properties", .object(properties)),
            ("additionalProperties", .bool(false)),
        ])
    }

    /// The document as text, as `ser schema` prints it.
    public static func text() -> String { document().text() + "\n" }

    /// `sweep:`: every key a spec has, dotted, with a non-empty list of values of that key's shape.
    private static func sweep() -> SchemaJSON {
        var keys: [(String, SchemaJSON)] = []
        func walk(_ fields: [Field], prefix: String) {
            for field in fields {
                let name = prefix + field.name
                keys.append(
                    (
                        name,
                        .object([
                            ("description", .string("one run for each value of \(name)")),
                            ("type", .string("array")),
                            ("items", shape(field.shape)),
                            ("minItems", .int(1)),
                        ])
                    ))
                switch field.shape {
                case .section(let children), .toggle(let children), .nullable(.section(let children)):
                    walk(children, prefix: name + ".")
                case .variants(_, _, let children, _):
                    walk(children, prefix: name + ".")
                default: break
                }
            }
        }
        walk(SpecSchema.root, prefix: "")
        return .object([
            ("description", .string("dotted key: [values]; one run per combination, the last key varying fastest")),
            ("type", .array([.string("object"), .string("null")])),
            ("properties", .object(keys)),
            ("additionalProperties", .bool(false)),
        ])
    }

    /// A key: its shape, description and default; null is allowed where it is a value or removes the key.
    private static func field(_ field: Field) -> SchemaJSON {
        var schema = shape(field.shape)
        if field.defaultValue != nil || field.shape.acceptsNull { schema = orNull(schema) }
        var entries: [(key: String, value: SchemaJSON)] = [("description", .string(field.doc))]
        if let value = field.defaultValue { entries.append(("default", json(value))) }
        if case .object(let rest) = schema { entries += rest }
        return .object(entries)
    }

    private static func number(_ value: Double) -> SchemaJSON {
        value == value.rounded() && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
    }

    static func shape(_ shape: Shape) -> SchemaJSON {
        switch shape {
        case .int(let range):
            return .object([
                ("type", .string("integer")), ("minimum", .int(range.lowerBound)), ("maximum", .int(range.upperBound)),
            ])
        case .intChoice(let values):
            return .object([("type", .string("integer")), ("enum", .array(values.map(SchemaJSON.int)))])
        case .number(let min, let minExclusive, let max, let maxExclusive):
            var entries: [(key: String, value: SchemaJSON)] = [("type", .string("number"))]
            if let min { entries.append((minExclusive ? "exclusiveMinimum" : "minimum", number(min))) }
            if let max { entries.append((maxExclusive ? "exclusiveMaximum" : "maximum", number(max))) }
            return .object(entries)
        case .bool: return .object([("type", .string("boolean"))])
        // Numbers and booleans are taken as their text (`name: 2024`).
        case .string: return .object([("type", .array([.string("string"), .string("number"), .string("boolean")]))])
        case .path: return .object([("type", .string("string")), ("minLength", .int(1))])
        case .choice(let words):
            return .object([("type", .string("string")), ("enum", .array(words.map(SchemaJSON.string)))])
        case .numberOrChoice(let inner, let words):
            return .object([
                (
                    "anyOf",
                    .array([SpecJSONSchema.shape(inner), .object([("enum", .array(words.map(SchemaJSON.string)))])])
                )
            ])
        case .numberRangeOrChoice(let inner, let words):
            let pair = SchemaJSON.object([
                ("type", .string("array")), ("items", SpecJSONSchema.shape(inner)), ("minItems", .int(2)),
                ("maxItems", .int(2)),
            ])
            return .object([
                (
                    "anyOf",
                    .array([
                        SpecJSONSchema.shape(inner), pair, .object([("enum", .array(words.map(SchemaJSON.string)))]),
                    ])
                )
            ])
        case .list(let item, let minCount):
            return .object([
                ("type", .string("array")), ("items", SpecJSONSchema.shape(item)), ("minItems", .int(minCount)),
            ])
        case .section(let fields):
            // null means every default.
            return .object([
                ("type", .array([.string("object"), .string("null")])), ("properties", properties(fields)),
                ("additionalProperties", .bool(false)),
            ])
        case .toggle(let fields):
            return .object([
                ("type", .array([.string("object"), .string("boolean"), .string("null")])),
                ("properties", properties(fields)), ("additionalProperties", .bool(false)),
            ])
        case .nullable(let inner): return orNull(SpecJSONSchema.shape(inner))
        case .speaker:
            return .object([
                (
                    "anyOf",
                    .array([
                        .object([("type", .string("integer")), ("minimum", .int(0))]),
                        .object([("type", .string("string")), ("minLength", .int(1))]),
                    ])
                )
            ])
        case .mapping(let value):
            return .object([("type", .string("object")), ("additionalProperties", SpecJSONSchema.shape(value))])
        case .variants(let kinds, let defaultKind, let fields, let variants):
            // Each kind takes only its own keys; the others may only be null (removed).
            let rules: [SchemaJSON] = kinds.map { kind in
                let refused = fields.map(\.name).filter { $0 != "kind" && !(variants[kind] ?? []).contains($0) }
                let condition: SchemaJSON =
                    kind == defaultKind
                    ? .object([
                        (
                            "anyOf",
                            .array([
                                .object([("properties", .object([("kind", .object([("const", .string(kind))]))]))]),
                                .object([("not", .object([("required", .array([.string("kind")]))]))]),
                            ])
                        )
                    ])
                    : .object([
                        ("properties", .object([("kind", .object([("const", .string(kind))]))])),
                        ("required", .array([.string("kind")])),
                    ])
                return .object([
                    ("if", condition),
                    (
                        "then",
                        .object([
                            ("properties", .object(refused.map { ($0, .object([("type", .string("null"))])) }))
                        ])
                    ),
                ])
            }
            return .object([
                ("type", .array([.string("object"), .string("null")])), ("properties", properties(fields)),
                ("additionalProperties", .bool(false)), ("allOf", .array(rules)),
            ])
        }
    }

    private static func properties(_ fields: [Field]) -> SchemaJSON {
        .object(fields.map { ($0.name, field($0)) })
    }

    /// `schema` that also accepts null.
    private static func orNull(_ schema: SchemaJSON) -> SchemaJSON {
        guard case .object(var entries) = schema else { return schema }
        if let index = entries.firstIndex(where: { $0.key == "enum" }), case .array(var values) = entries[index].value {
            if !values.contains(.null) { values.append(.null) }
            entries[index].value = .array(values)
        }
        if let index = entries.firstIndex(where: { $0.key == "type" }) {
            switch entries[index].value {
            case .string(let type) where type != "null":
                entries[index].value = .array([.string(type), .string("null")])
            case .array(let types) where !types.contains(.string("null")):
                entries[index].value = .array(types + [.string("null")])
            default: break
            }
            return .object(entries)
        }
        if let index = entries.firstIndex(where: { $0.key == "anyOf" }), case .array(var options) = entries[index].value
        {
            options.append(.object([("type", .string("null"))]))
            entries[index].value = .array(options)
            return .object(entries)
        }
        return .object(entries)
    }

    /// A default as JSON.
    private static func json(_ value: SpecValue) -> SchemaJSON {
        switch value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return value.isFinite ? .double(value) : .null
        case .string(let value): return .string(value)
        case .list(let items): return .array(items.map { json($0.value) })
        case .map(let entries): return .object(entries.map { ($0.key, json($0.node.value)) })
        }
    }
}
