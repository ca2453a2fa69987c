import Foundation

/// The kind of value a resolved spec key holds, as the run store's `param.type` records it.
public enum ParameterType: String, Codable, CaseIterable, Sendable {
    case int, float, bool, string, list
}

/// One resolved spec key as a queryable row: dotted key (`model.depth`, `train.augment.mixup.alpha`), its value
/// as text (numbers in the canonical spelling, `true`/`false`, lists as JSON text) and its type.
public struct SpecParameter: Codable, Equatable, Sendable {
    public var key: String
    public var value: String
    public var type: ParameterType

    public init(key: String, value: String, type: ParameterType) {
        self.key = key
        self.value = value
        self.type = type
    }
}

/// A resolved spec flattened into one parameter per leaf key (what the run store's `param` table holds).
public enum SpecParameters {
    /// Every leaf key of a resolved spec's YAML, sorted by key. Sections become dotted prefixes; a key whose value
    /// is null (or an empty section) has no parameter, so in a query it reads as SQL NULL.
    /// - Throws: `SpecErrors` when the text is not a spec (a store row edited by hand).
    public static func flatten(yaml: String) throws -> [SpecParameter] {
        let root = try SpecNode.parse(yaml: yaml, file: "spec_yaml", limits: SpecLimits())
        var result: [SpecParameter] = []
        func walk(_ node: SpecNode, _ prefix: String) {
            switch node.value {
            case .map(let entries):
                for entry in entries { walk(entry.node, prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)") }
            case .null: break
            case .bool(let value):
                result.append(SpecParameter(key: prefix, value: value ? "true" : "false", type: .bool))
            case .int(let value): result.append(SpecParameter(key: prefix, value: String(value), type: .int))
            case .double(let value):
                result.append(SpecParameter(key: prefix, value: SpecYAML.format(value), type: .float))
            case .string(let value): result.append(SpecParameter(key: prefix, value: value, type: .string))
            case .list(let items):
                result.append(
                    SpecParameter(key: prefix, value: "[" + items.map(json).joined(separator: ",") + "]", type: .list))
            }
        }
        walk(root, "")
        return result.filter { !$0.key.isEmpty }.sorted { $0.key < $1.key }
    }

    /// A value as JSON text (maps keep their keys sorted, numbers their canonical spelling).
    static func json(_ node: SpecNode) -> String {
        switch node.value {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? SpecYAML.format(value) : "null"
        case .string(let text):
            guard let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
            else { return "null" }
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case .list(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        case .map(let entries):
            return "{"
                + entries.sorted { $0.key < $1.key }.map {
                    json(SpecNode(.string($0.key), at: $0.node.location)) + ":" + json($0.node)
                }
                .joined(separator: ",") + "}"
        }
    }
}
