import Foundation
import XCTest

@testable import Specs

/// `ser schema`'s JSON Schema: valid JSON, accepts every committed experiment and refuses what the
/// validator refuses (unknown keys, values out of range, keys of another split kind).
final class SpecJSONSchemaTests: XCTestCase {
    static let experiments = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("experiments")

    private func problems(_ yaml: String) throws -> [String] {
        let node = try SpecNode.parse(yaml: yaml, file: "spec.yaml", limits: SpecLimits())
        return MiniSchemaValidator.problems(instance(node), SpecJSONSchema.document())
    }

    private func instance(_ node: SpecNode) -> SchemaJSON {
        switch node.value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .list(let items): return .array(items.map(instance))
        case .map(let entries): return .object(entries.map { ($0.key, instance($0.node)) })
        }
    }

    func testTheSchemaIsValidJSONOfDraft07() throws {
        let text = SpecJSONSchema.text()
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        XCTAssertEqual(object?["$schema"] as? String, "http://json-schema.org/draft-07/schema#")
        let properties = object?["properties"] as? [String: Any]
        XCTAssertEqual(
            Set(properties?.keys.map { $0 } ?? []),
            Set(SpecSchema.root.map(\.name) + ["extends", "sweep"]))
    }

    func testEveryCommittedExperimentValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.experiments.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let text = try String(contentsOf: Self.experiments.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(try problems(text), [], file)
        }
    }

    func testUnknownKeysAndValuesOutOfRangeAreRefused() throws {
        XCTAssertFalse(try problems("name: x\nmodle: {depth: 18}\n").isEmpty, "unknown top-level key")
        XCTAssertFalse(try problems("name: x\nmodel: {dept: 18}\n").isEmpty, "unknown nested key")
        XCTAssertFalse(try problems("name: x\ntrain: {epochs: 0}\n").isEmpty, "epochs below 1")
        XCTAssertFalse(try problems("name: x\nmodel: {dropout: 1.0}\n").isEmpty, "dropout at its exclusive bound")
        XCTAssertFalse(try problems("name: x\nmodel: {depth: 19}\n").isEmpty, "a depth that does not exist")
        XCTAssertFalse(try problems("name: x\nfeatures: {window: hamm}\n").isEmpty, "an unknown word")
        XCTAssertFalse(try problems("name: x\nsweep: {model.depht: [10]}\n").isEmpty, "an unknown sweep key")
        XCTAssertFalse(try problems("name: x\nsweep: {model.depth: [10, 19]}\n").isEmpty, "a bad sweep value")
        XCTAssertFalse(try problems("name: x\nsplit: {valid: [1]}\n").isEmpty, "valid with the default kind random")
        XCTAssertFalse(try problems("name: x\nsplit: {kind: random, k: 3}\n").isEmpty, "k with kind random")
    }

    func testWhatTheValidatorAcceptsTheSchemaAccepts() throws {
        XCTAssertEqual(try problems("name: x\nsplit: {kind: speakers, valid: [1, 2]}\n"), [])
        XCTAssertEqual(try problems("name: x\nsplit: {kind: random, valid: null}\n"), [], "null removes a key")
        XCTAssertEqual(try problems("name: x\ntrain: {epochs: null, lr: 0.01}\n"), [], "null: the default")
        XCTAssertEqual(try problems("name: x\ndata: {synthetic: true}\naugment: null\n").count, 1)
        XCTAssertEqual(try problems("extends: base.yaml\nsweep: {train.lr: [0.01, valley]}\n"), [])
    }
}

/// A validator for the subset of JSON Schema draft-07 that `SpecJSONSchema` emits: type, enum, const,
/// minimum/maximum (also exclusive), minItems, minLength, items, properties, additionalProperties,
/// required, anyOf, allOf, not, if/then. It fails on any other keyword, so the schema cannot grow a
/// keyword this check ignores.
enum MiniSchemaValidator {
    static let known: Set<String> = [
        "$schema", "title", "description", "default", "type", "enum", "const", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minItems", "minLength", "items", "properties",
        "additionalProperties", "required", "anyOf", "allOf", "not", "if", "then",
    ]

    static func problems(_ value: SchemaJSON, _ schema: SchemaJSON, at path: String = "") -> [String] {
        guard case .object(let keywords) = schema else { return ["\(path): schema is not an object"] }
        var out: [String] = []
        for (keyword, rule) in keywords {
            switch keyword {
            case "$schema", "title", "description", "default": break
            case "type":
                let types: [String]
                switch rule {
                case .string(let type): types = [type]
                case .array(let items):
                    types = items.compactMap { if case .string(let t) = $0 { return t } else { return nil } }
                default: types = []
                }
                if !types.contains(where: { has(value, type: $0) }) { out.append("\(path): not of type \(types)") }
            case "enum":
                if case .array(let options) = rule, !options.contains(value) { out.append("\(path): not in enum") }
            case "const":
                if rule != value { out.append("\(path): not \(rule.text())") }
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                guard let actual = number(value), let bound = number(rule) else { break }
                let ok: Bool
                switch keyword {
                case "minimum": ok = actual >= bound
                case "maximum": ok = actual <= bound
                case "exclusiveMinimum": ok = actual > bound
                default: ok = actual < bound
                }
                if !ok { out.append("\(path): \(keyword) \(bound), got \(actual)") }
            case "minItems":
                if case .array(let items) = value, case .int(let count) = rule, items.count < count {
                    out.append("\(path): fewer than \(count) items")
                }
            case "minLength":
                if case .string(let text) = value, case .int(let count) = rule, text.count < count {
                    out.append("\(path): shorter than \(count)")
                }
            case "items":
                if case .array(let items) = value {
                    for (index, item) in items.enumerated() { out += problems(item, rule, at: "\(path)[\(index)]") }
                }
            case "properties":
                if case .object(let entries) = value {
                    for entry in entries {
                        if let sub = rule[entry.key] { out += problems(entry.value, sub, at: "\(path).\(entry.key)") }
                    }
                }
            case "additionalProperties":
                guard case .object(let entries) = value else { break }
                for entry in entries where schema["properties"]?[entry.key] == nil {
                    if rule == .bool(false) {
                        out.append("\(path): unknown key \(entry.key)")
                    } else if case .object = rule {
                        out += problems(entry.value, rule, at: "\(path).\(entry.key)")
                    }
                }
            case "required":
                if case .object(let entries) = value, case .array(let names) = rule {
                    for case .string(let name) in names where !entries.contains(where: { $0.key == name }) {
                        out.append("\(path): missing \(name)")
                    }
                }
            case "anyOf":
                if case .array(let options) = rule, !options.contains(where: { problems(value, $0, at: path).isEmpty })
                {
                    out.append("\(path): matches none of anyOf")
                }
            case "allOf":
                if case .array(let all) = rule { for sub in all { out += problems(value, sub, at: path) } }
            case "not":
                if problems(value, rule, at: path).isEmpty { out.append("\(path): matches not") }
            case "if":
                if problems(value, rule, at: path).isEmpty, let then = schema["then"] {
                    out += problems(value, then, at: path)
                }
            case "then": break
            default: out.append("\(path): keyword \(keyword) is not supported by this check")
            }
        }
        return out
    }

    private static func number(_ value: SchemaJSON) -> Double? {
        switch value {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    private static func has(_ value: SchemaJSON, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"):
            return true
        case (.int, "integer"), (.int, "number"), (.double, "number"): return true
        case (.double(let number), "integer"): return number == number.rounded()
        default: return false
        }
    }

    /// Issue #24: the default weights are the last epoch's (the best epoch selects on the validation part),
    /// in the resolved spec and in the schema an editor reads.
    func testTrainKeepDefaultsToLast() throws {
        let object = try JSONSerialization.jsonObject(with: Data(SpecJSONSchema.text().utf8)) as? [String: Any]
        let train = (object?["properties"] as? [String: Any])?["train"] as? [String: Any]
        let keep = (train?["properties"] as? [String: Any])?["keep"] as? [String: Any]
        XCTAssertEqual(keep?["default"] as? String, "last")
        let fixture = SpecFixture()
        fixture.write("a.yaml", "name: a\ndata: {synthetic: true}\n")
        XCTAssertEqual(try fixture.load("a.yaml").runs[0].spec.train.keep, .last)
    }
}
