import Checksum
import Foundation

/// One run's resolved spec: the typed spec, its canonical YAML (sorted keys, every default written) and
/// that text's SHA-256, and the sweep combination that produced it.
public struct ResolvedSpec: Sendable {
    public var spec: ExperimentSpec
    public var yaml: String
    public var hash: String
    /// The sweep's dotted keys and the values of this combination, in the sweep's order.
    public var sweep: [SweepAssignment]

    /// `model.depth=18, features.n_mels=64` ("" without a sweep).
    public var sweepLabel: String { sweep.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
    /// The experiment name, with the sweep combination in brackets when there is one.
    public var runName: String { sweep.isEmpty ? spec.name : "\(spec.name) [\(sweepLabel)]" }
}

/// One key of a sweep combination and its value as YAML text.
public struct SweepAssignment: Equatable, Sendable {
    public var key: String
    public var value: String
}

/// What `ser run SPEC` will do: one experiment, one run per sweep combination (one without a sweep).
public struct ExperimentPlan: Sendable {
    public var name: String
    public var description: String
    public var specPath: String
    public var runs: [ResolvedSpec]
}

/// Loads a spec file: reads it within `limits`, follows `extends`, applies `--set` overrides, expands
/// `sweep:`, checks every combination against the schema and resolves it. Errors are collected and thrown
/// together as `SpecErrors`, each naming file, line and column.
public struct SpecLoader {
    /// The environment variable naming the corpus when a spec has neither `data.path` nor `data.synthetic`.
    public static let dataEnvironmentVariable = "SER_DATA"
    /// The environment variable naming the test corpus when a spec's `test:` names a `layout` but no path.
    public static let testDataEnvironmentVariable = "SER_TEST_DATA"
    /// The corpus folder used when neither `data.path`, `data.synthetic` nor `SER_DATA` is set and it exists
    /// (relative to the working directory).
    public static let defaultDataPath = "data/ravdess"

    public var limits: SpecLimits
    public var environment: [String: String]
    public var workingDirectory: String
    /// Whether paths (data, init weights, test set) must exist. `ser validate` and `ser run` check them.
    public var checkPaths: Bool

    public init(
        limits: SpecLimits = SpecLimits(), environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath, checkPaths: Bool = true
    ) {
        self.limits = limits
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.checkPaths = checkPaths
    }

    /// Loads the spec at `path` with `--set key=value` overrides.
    /// - Throws: `SpecErrors` listing every problem found.
    public func load(path: String, overrides: [String] = []) throws -> ExperimentPlan {
        let tree = try loadTree(path: path, chain: [])
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try plan(tree, defaultName: stem, specPath: path, overrides: overrides)
    }

    /// Loads a spec from text (`file` names it in errors; `extends` is relative to its folder).
    public func load(yaml: String, file: String, overrides: [String] = []) throws -> ExperimentPlan {
        let tree = try parseWithExtends(yaml: yaml, file: file, chain: [])
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return try plan(tree, defaultName: stem, specPath: file, overrides: overrides)
    }

    // MARK: - Reading and extends

    private func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: workingDirectory, isDirectory: true))
            .standardizedFileURL.resolvingSymlinksInPath().path
    }

    private func readText(path: String, at location: SourceLocation?) throws -> String {
        let absolute = canonicalPath(path)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: absolute)
        } catch {
            throw SpecErrors([SpecError("cannot read spec \(path): no such file", at: location)])
        }
        if let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
            throw SpecErrors([SpecError("cannot read spec \(path): not a regular file", at: location)])
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        if size > limits.maxFileBytes {
            throw SpecErrors([
                SpecError(
                    "spec \(path) is \(size) bytes, more than the \(limits.maxFileBytes) allowed; refused", at: location
                )
            ])
        }
        // The size is only what stat reports: files in /proc say 0 and can be endless (/proc/self/pagemap is
        // 256 GiB of zeros), so the read itself stops once past the limit.
        let data: Data
        do {
            guard let handle = FileHandle(forReadingAtPath: absolute) else {
                throw SpecErrors([SpecError("cannot read spec \(path)", at: location)])
            }
            defer { try? handle.close() }
            var bytes = Data()
            while bytes.count <= limits.maxFileBytes, let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
                bytes.append(chunk)
            }
            data = bytes
        } catch let error as SpecErrors {
            throw error
        } catch {
            throw SpecErrors([SpecError("cannot read spec \(path): \(error.localizedDescription)", at: location)])
        }
        if data.count > limits.maxFileBytes {
            throw SpecErrors([
                SpecError(
                    "spec \(path) holds more than the \(limits.maxFileBytes) bytes allowed; refused", at: location)
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecErrors([SpecError("spec \(path) is not UTF-8 text", at: location)])
        }
        return text
    }

    private func loadTree(path: String, chain: [(path: String, location: SourceLocation?)]) throws -> SpecNode {
        let text = try readText(path: path, at: chain.last?.location)
        return try parseWithExtends(yaml: text, file: path, chain: chain)
    }

    private func parseWithExtends(
        yaml: String, file: String, chain: [(path: String, location: SourceLocation?)]
    ) throws -> SpecNode {
        if yaml.utf8.count > limits.maxFileBytes {
            throw SpecErrors([
                SpecError("spec \(file) is more than \(limits.maxFileBytes) bytes; refused", at: chain.last?.location)
            ])
        }
        var node = try SpecNode.parse(yaml: yaml, file: file, limits: limits)
        guard case .map = node.value else {
            throw SpecErrors([
                SpecError(
                    "a spec is a section of key: value pairs, got \(node.value.kindDescription)", at: node.location)
            ])
        }
        guard let extends = node.remove("extends") else { return node }
        if case .null = extends.node.value { return node }
        guard case .string(let parentName) = extends.node.value, !parentName.isEmpty else {
            throw SpecErrors([
                SpecError(
                    "expected a path for extends, got \(extends.node.value.kindDescription)", at: extends.node.location)
            ])
        }
        let folder = (file as NSString).deletingLastPathComponent
        let parentPath =
            parentName.hasPrefix("/")
            ? parentName : ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(parentName)
        let me = canonicalPath(file)
        let names = chain.map(\.path) + [file]
        if chain.map({ canonicalPath($0.path) }).contains(canonicalPath(parentPath)) || canonicalPath(parentPath) == me
        {
            throw SpecErrors([
                SpecError(
                    "extends cycle: \((names + [parentPath]).joined(separator: " → "))", at: extends.node.location)
            ])
        }
        if chain.count + 1 > limits.maxExtendsDepth {
            throw SpecErrors([
                SpecError(
                    "extends chain longer than \(limits.maxExtendsDepth) files; refused", at: extends.node.location)
            ])
        }
        let parent = try loadTree(path: parentPath, chain: chain + [(file, extends.node.location)])
        return SpecNode.merge(parent, node)
    }

    // MARK: - Overrides, sweep, resolution

    /// A `--set key=value` argument parsed: the dotted key and the value as YAML.
    private func parseOverride(_ argument: String) throws -> (path: [String], value: SpecNode, location: SourceLocation)
    {
        let location = SourceLocation(file: "--set \(argument)", line: 0, column: 0)
        guard let equals = argument.firstIndex(of: "=") else {
            throw SpecErrors([SpecError("expected key=value (e.g. model.depth=18)", at: location)])
        }
        let key = String(argument[..<equals]).trimmingCharacters(in: .whitespaces)
        let text = String(argument[argument.index(after: equals)...])
        let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, !path.contains("") else {
            throw SpecErrors([SpecError("expected a dotted key before '=' (e.g. model.depth=18)", at: location)])
        }
        var value: SpecNode
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            value = SpecNode(.null, at: location)
        } else {
            do {
                value = try SpecNode.parse(yaml: text, file: "--set \(argument)", limits: limits)
            } catch let errors as SpecErrors {
                throw SpecErrors(errors.errors.map { SpecError($0.message, at: location) })
            }
            value.relocate(to: location)
        }
        return (path, value, location)
    }

    private func plan(_ root: SpecNode, defaultName: String, specPath: String, overrides: [String]) throws
        -> ExperimentPlan
    {
        var root = root
        var errors: [SpecError] = []

        // The sweep: dotted key → list of values, in the order written.
        var axes: [(key: String, keyLocation: SourceLocation, values: [SpecNode])] = []
        if let sweep = root.remove("sweep") {
            switch sweep.node.value {
            case .null: break
            case .map(let entries):
                for entry in entries {
                    guard case .list(let values) = entry.node.value, !values.isEmpty else {
                        errors.append(
                            SpecError(
                                "expected a non-empty list of values for sweep key \(entry.key), got \(entry.node.value.kindDescription)",
                                at: entry.node.location))
                        continue
                    }
                    axes.append((entry.key, entry.keyLocation, values))
                }
            default:
                errors.append(
                    SpecError(
                        "expected a section of dotted key: [values] for sweep, got \(sweep.node.value.kindDescription)",
                        at: sweep.node.location))
            }
        }

        // Overrides: `sweep.KEY=[…]` replaces an axis; a plain key pins a value (and drops its axis).
        var sets: [(path: [String], value: SpecNode, location: SourceLocation)] = []
        for argument in overrides {
            do {
                let parsed = try parseOverride(argument)
                if parsed.path.first == "sweep", parsed.path.count > 1 {
                    let key = parsed.path.dropFirst().joined(separator: ".")
                    guard case .list(let values) = parsed.value.value, !values.isEmpty else {
                        errors.append(
                            SpecError("expected a non-empty list like [18, 34] for a sweep key", at: parsed.location))
                        continue
                    }
                    axes.removeAll { $0.key == key }
                    axes.append((key, parsed.location, values))
                } else {
                    let key = parsed.path.joined(separator: ".")
                    axes.removeAll { $0.key == key }
                    sets.append(parsed)
                }
            } catch let parseErrors as SpecErrors {
                errors += parseErrors.errors
            }
        }
        // Errors so far do not stop here: the well-formed axes are still resolved below, so an unknown sweep
        // key is reported together with a malformed one.
        let combinations = axes.reduce(1) { $0 * $1.values.count }
        if combinations > limits.maxSweepRuns {
            throw SpecErrors(
                errors + [
                    SpecError(
                        "the sweep expands to \(combinations) runs, more than the \(limits.maxSweepRuns) allowed",
                        at: axes.first?.keyLocation)
                ])
        }

        var runs: [ResolvedSpec] = []
        for index in 0..<combinations {
            // Odometer order: the last sweep key varies fastest.
            var remainder = index
            var choice = [Int](repeating: 0, count: axes.count)
            for axis in axes.indices.reversed() {
                choice[axis] = remainder % axes[axis].values.count
                remainder /= axes[axis].values.count
            }
            var tree = root
            var assignments: [SweepAssignment] = []
            do {
                for (axis, pick) in zip(axes, choice) {
                    let value = axis.values[pick]
                    try tree.set(
                        axis.key.split(separator: ".").map(String.init)[...], to: value, keyLocation: axis.keyLocation)
                    assignments.append(SweepAssignment(key: axis.key, value: SpecYAML.inline(value)))
                }
                for set in sets { try tree.set(set.path[...], to: set.value, keyLocation: set.location) }
            } catch let setErrors as SpecErrors {
                errors += setErrors.errors
                continue
            }
            // Left out or removed with null: the file's name.
            if tree["name"] == nil || tree["name"]?.value == .null {
                try? tree.set(
                    ["name"], to: SpecNode(.string(defaultName), at: tree.location), keyLocation: tree.location)
            }
            fillDataPathFromEnvironment(&tree)
            fillTestPathFromEnvironment(&tree)
            do {
                var run = try resolve(tree)
                run.sweep = assignments
                let folds: Int? =
                    run.spec.split.fold != nil
                    ? nil
                    : run.spec.split.kind == .kfoldSpeakers
                        ? run.spec.split.k : run.spec.split.kind == .corpus ? run.spec.data.sources?.count : nil
                if let k = folds, k >= 1 {
                    // Every fold (held-out corpus) is a run of its own, as if `split.fold` were swept over 1…k.
                    let location = tree["split"]?.location ?? tree.location
                    for fold in 1...k {
                        var foldTree = tree
                        try foldTree.set(
                            ["split", "fold"], to: SpecNode(.int(fold), at: location), keyLocation: location)
                        var foldRun = try resolve(foldTree)
                        foldRun.sweep = assignments + [SweepAssignment(key: "split.fold", value: String(fold))]
                        runs.append(foldRun)
                    }
                } else {
                    runs.append(run)
                }
                if runs.count > limits.maxSweepRuns {
                    throw SpecErrors([
                        SpecError(
                            "the sweep and folds expand to more than the \(limits.maxSweepRuns) runs allowed",
                            at: axes.first?.keyLocation ?? tree.location)
                    ])
                }
            } catch let runErrors as SpecErrors {
                errors += runErrors.errors
            }
        }
        if !errors.isEmpty { throw SpecErrors(errors) }
        let first = runs[0].spec
        return ExperimentPlan(name: first.name, description: first.description, specPath: specPath, runs: runs)
    }

    /// Without `data.path` and `data.synthetic`, `SER_DATA` names the corpus, else `data/ravdess` if it exists.
    private func fillDataPathFromEnvironment(_ tree: inout SpecNode) {
        func isOff(_ node: SpecNode?) -> Bool {
            switch node?.value {
            case nil, .null?, .bool(false)?: return true
            default: return false
            }
        }
        guard isOff(tree.node(at: ["data", "path"])), isOff(tree.node(at: ["data", "synthetic"])),
            isOff(tree.node(at: ["data", "sources"]))
        else { return }
        var value = environment[Self.dataEnvironmentVariable] ?? ""
        var source = "$\(Self.dataEnvironmentVariable)"
        if value.isEmpty {
            // The conventional place (`tools/get-ravdess` puts the corpus there), when it exists.
            let fallback = URL(
                fileURLWithPath: Self.defaultDataPath, relativeTo: URL(fileURLWithPath: workingDirectory))
            guard FileManager.default.fileExists(atPath: fallback.path) else { return }
            value = Self.defaultDataPath
            source = "default \(Self.defaultDataPath)"
        }
        let location = SourceLocation(file: source, line: 0, column: 0)
        try? tree.set(["data", "path"], to: SpecNode(.string(value), at: location), keyLocation: location)
    }

    /// A `test:` section with a `layout` but no `path`, `manifest`, `actors` or `speakers` takes its corpus
    /// from `SER_TEST_DATA` (a cross-corpus spec that names no machine's folders).
    private func fillTestPathFromEnvironment(_ tree: inout SpecNode) {
        guard let test = tree.node(at: ["test"]), case .map = test.value,
            let layout = test["layout"], layout.value != .null,
            ["path", "manifest", "actors", "speakers"].allSatisfy({ test[$0] == nil || test[$0]?.value == .null }),
            let value = environment[Self.testDataEnvironmentVariable], !value.isEmpty
        else { return }
        let location = SourceLocation(file: "$\(Self.testDataEnvironmentVariable)", line: 0, column: 0)
        try? tree.set(["test", "path"], to: SpecNode(.string(value), at: location), keyLocation: location)
    }

    /// Validates one merged tree and builds its resolved spec.
    func resolve(_ tree: SpecNode) throws -> ResolvedSpec {
        var validator = SpecValidator(workingDirectory: workingDirectory)
        let resolved = validator.resolveRoot(tree)
        if !validator.errors.isEmpty { throw SpecErrors(validator.errors) }
        let spec: ExperimentSpec
        do {
            let json = try JSONSerialization.data(withJSONObject: resolved.jsonObject)
            spec = try JSONDecoder().decode(ExperimentSpec.self, from: json)
        } catch {
            throw SpecErrors([SpecError("internal error decoding the resolved spec: \(error)", at: tree.location)])
        }
        let problems = SpecChecks(spec: spec, tree: resolved, checkPaths: checkPaths).errors()
        if !problems.isEmpty { throw SpecErrors(problems) }
        let yaml = SpecYAML.emit(resolved)
        return ResolvedSpec(spec: spec, yaml: yaml, hash: SHA256.hex(of: yaml), sweep: [])
    }
}

extension SpecNode {
    /// Moves every node of the tree to `location` (values parsed from a `--set` argument).
    mutating func relocate(to location: SourceLocation) {
        self.location = location
        switch value {
        case .list(var items):
            for index in items.indices { items[index].relocate(to: location) }
            value = .list(items)
        case .map(var entries):
            for index in entries.indices {
                entries[index].keyLocation = location
                entries[index].node.relocate(to: location)
            }
            value = .map(entries)
        default: break
        }
    }
}

extension SpecLoader {
    /// The spec a run recorded (its canonical resolved YAML), checked again (paths must still exist when
    /// `checkPaths`), for `ser resume`. The result's `yaml` and `hash` equal the recorded ones.
    public func load(resolvedYAML yaml: String, runName: String) throws -> ResolvedSpec {
        let plan = try load(yaml: yaml, file: runName)
        guard plan.runs.count == 1 else {
            throw SpecErrors([SpecError("a recorded spec expands to \(plan.runs.count) runs, expected 1", at: nil)])
        }
        return plan.runs[0]
    }
}
