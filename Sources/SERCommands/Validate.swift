import ArgumentParser
import Foundation
import Specs

/// `ser validate SPEC…`: check specs without running them.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check experiment specs and print each resolved run, or every error with its line and column.")

    @Argument(help: "Spec files (YAML).")
    var specs: [String]

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a key, e.g. --set model.depth=18.", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(help: "Print only OK or the errors, not the resolved specs.")
    var quiet = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if specs.isEmpty { throw ValidationError("give at least one spec file.") }
    }

    /// One spec's outcome.
    struct Report: Encodable {
        struct Problem: Encodable {
            var file: String?
            var line: Int?
            var column: Int?
            var message: String
        }
        struct RunReport: Encodable {
            var name: String
            var sweep: String
            var hash: String
            var yaml: String
        }
        var spec: String
        var ok: Bool
        var errors: [Problem]
        var runs: [RunReport]
    }

    func reports(loader: SpecLoader = SpecLoader()) -> [Report] {
        specs.map { path in
            do {
                let plan = try loader.load(path: path, overrides: overrides)
                return Report(
                    spec: path, ok: true, errors: [],
                    runs: plan.runs.map { .init(name: $0.runName, sweep: $0.sweepLabel, hash: $0.hash, yaml: $0.yaml) })
            } catch let errors as SpecErrors {
                return Report(
                    spec: path, ok: false,
                    errors: errors.errors.map {
                        .init(
                            file: $0.location?.file, line: ($0.location?.line).flatMap { $0 > 0 ? $0 : nil },
                            column: ($0.location?.column).flatMap { $0 > 0 ? $0 : nil }, message: $0.message)
                    }, runs: [])
            } catch {
                return Report(spec: path, ok: false, errors: [.init(message: "\(error)")], runs: [])
            }
        }
    }

    /// The text `ser validate` prints on standard output and standard error.
    static func text(_ reports: [Report], quiet: Bool) -> (output: String, errors: String) {
        var output: [String] = []
        var errors: [String] = []
        for report in reports {
            if report.ok {
                let count = report.runs.count
                output.append("OK \(report.spec): \(count) run\(count == 1 ? "" : "s")")
                if quiet { continue }
                for (index, run) in report.runs.enumerated() {
                    var header = "# run \(index + 1)/\(count): \(run.name)"
                    header += "\n# spec sha256 \(run.hash)"
                    output.append(header + "\n" + run.yaml)
                }
            } else {
                errors.append(
                    "\(report.spec): \(report.errors.count) error\(report.errors.count == 1 ? "" : "s")")
                for problem in report.errors {
                    var place = problem.file ?? report.spec
                    if let line = problem.line, let column = problem.column { place += ":\(line):\(column)" }
                    errors.append("  \(place): \(problem.message)")
                }
            }
        }
        return (output.joined(separator: "\n"), errors.joined(separator: "\n"))
    }

    func run() throws {
        let reports = reports()
        if json {
            print(try StoreFormat.json(reports))
        } else {
            let text = Self.text(reports, quiet: quiet)
            if !text.output.isEmpty { print(text.output) }
            if !text.errors.isEmpty { FileHandle.standardError.write(Data((text.errors + "\n").utf8)) }
        }
        if reports.contains(where: { !$0.ok }) { throw ExitCode.failure }
    }
}
