import Foundation

/// The type of a flattened spec value.
public enum ParameterType: String, Codable, CaseIterable, Sendable {
    case int, float, bool, string, list
}

/// One resolved spec key and its value as text (`model.depth` = `18`).
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

/// A resolved spec as dotted keys with typed values, sorted by key.
///
/// (A minimal copy for the MLflow export; the store's parameter table brings the full version.)
public enum SpecParameters {
    public static func flatten(yaml: String) throws -> [SpecParameter] {
        let root = try SpecNode.parse(yaml: yaml, file: "spec", limits: SpecLimits())
        var result: [SpecParameter] = []
        func walk(_ node: SpecNode, _ prefix: String) {
            let type: ParameterType
            switch node.value {
            case .map(let entries) where !entries.isEmpty:
                for entry in entries { walk(entry.node, prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)") }
                return
            case .int: type = .int
            case .double: type = .float
            case .bool: type = .bool
            case .list: type = .list
            case .null, .string, .map: type = .string
            }
            result.append(SpecParameter(key: prefix, value: SpecYAML.inline(node), type: type))
        }
        walk(root, "")
        return result.sorted { $0.key < $1.key }
    }
}
