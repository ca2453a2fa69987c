import Foundation

/// Which keys of several resolved specs differ (for `ser compare`).
public enum SpecDiff {
    /// A resolved spec's YAML as dotted key → value text (lists and maps inline); `[:]` if it does not parse.
    public static func flatten(yaml: String) -> [String: String] {
        guard let root = try? SpecNode.parse(yaml: yaml, file: "spec", limits: SpecLimits()) else { return [:] }
        var result: [String: String] = [:]
        func walk(_ node: SpecNode, _ prefix: String) {
            if case .map(let entries) = node.value, !entries.isEmpty {
                for entry in entries { walk(entry.node, prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)") }
            } else {
                result[prefix] = SpecYAML.inline(node)
            }
        }
        walk(root, "")
        return result
    }

    /// The keys whose values are not the same in every spec, sorted; `name` and `description` are left out
    /// (a comparison shows them anyway). A key missing from a spec counts as a difference.
    public static func differingKeys(_ specs: [[String: String]]) -> [String] {
        let keys = Set(specs.flatMap(\.keys)).subtracting(["name", "description"])
        return keys.filter { key in Set(specs.map { $0[key] ?? "–" }).count > 1 }.sorted()
    }
}
