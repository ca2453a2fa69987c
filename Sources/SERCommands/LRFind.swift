import ArgumentParser
import Foundation
import OutputFiles
import Plots
import RSVG
import RunStore
import Runner
import Training

/// `ser lr-find`: the learning-rate finder alone (fastai's `learn.lr_find()`), its suggestions as a table and
/// its curve as a PNG and/or SVG.
struct LRFind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Run only the learning-rate finder of a spec (or replot a recorded run's) and plot the curve.")

    @OptionGroup var store: StoreOptions

    @Argument(
        help: ArgumentHelp("The experiment spec (YAML); its lr_finder section sets the sweep.", valueName: "spec"))
    var spec: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a key, e.g. --set lr_finder.num_it=50.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(
        name: .customLong("run"),
        help: ArgumentHelp("Replot the finder recorded for this run instead of running it.", valueName: "run"))
    var recordedRun: Int64?

    @Option(help: ArgumentHelp("Write the plot as a PNG (the SVG chart rendered by librsvg).", valueName: "file"))
    var png: String?

    @Option(help: ArgumentHelp("Write the plot as an SVG.", valueName: "file"))
    var svg: String?

    @OptionGroup var force: ForceOption

    @Flag(help: "Print JSON instead of text: the points, the suggestions, the one used and the files written.")
    var json = false

    func validate() throws {
        if (spec == nil) == (recordedRun == nil) {
            throw ValidationError("give a spec file or --run RUN (one of them).")
        }
        if recordedRun != nil && !overrides.isEmpty { throw ValidationError("--set applies to a spec, not to --run.") }
    }

    /// What `lr-find` prints and draws: a finder curve with its suggestions, from a run of the finder or from the
    /// store, its title and the suggestion a run trains with.
    struct Finding {
        var title: String
        var curve: LRFinderCurve
        var chosen: String?
    }

    /// The finder recorded for run `id`: points in iteration order, each suggestion marked at the nearest
    /// recorded rate.
    static func recorded(_ id: Int64, in store: RunStore) throws -> Finding {
        let detail = try store.detail(of: id)
        let points = detail.lrFinder.map(\.point).filter { $0.learningRate > 0 }.sorted { $0.iteration < $1.iteration }
        guard !points.isEmpty else { throw LRFindError.noFinder(id) }
        return Finding(
            title: "Learning-rate finder: run \(id)",
            curve: LRFinderCurve(points: points, suggestions: detail.suggestions.map { ($0.method, $0.lr) }),
            chosen: detail.suggestions.first { $0.chosen }?.method)
    }

    /// Runs the finder of the spec (one run; a sweep must be pinned with --set) with the data, features and
    /// model `ser run` would use; the feature cache and synthetic corpus are shared with the store's runs.
    /// Trains with one lane per core, as `ser run` does.
    func runFinder(output: LearnerOutput = .silent, log: @escaping (String) -> Void = { _ in }) throws -> Finding {
        try EngineSetup.oneLanePerCore { try findRate(output: output, log: log) }
    }

    private func findRate(output: LearnerOutput, log: @escaping (String) -> Void) throws -> Finding {
        let plan = try RunCommand.loadPlans([spec!], overrides: overrides, report: log)[0]
        guard plan.runs.count == 1 else { throw LRFindError.sweep(spec!, plan.runs.count) }
        let resolved = plan.runs[0]
        let result = try LRFindSession.run(resolved, paths: store.runnerPaths(), output: output, log: log)
        guard !result.points.isEmpty else { throw LRFindError.noPoints(spec!) }
        var chosen: String?
        if case .suggestion(let method) = resolved.spec.train.lr { chosen = method.rawValue }
        return Finding(
            title: "Learning-rate finder: \(resolved.runName)",
            curve: LRFinderCurve(
                points: result.points, suggestions: result.suggestions.map { ($0.method.rawValue, $0.learningRate) }),
            chosen: chosen)
    }

    /// What `--json` prints. Losses are the smoothed ones the plot draws; a loss that is not finite is null.
    struct FindingJSON: Encodable {
        struct Point: Encodable {
            var learningRate: Double
            var loss: Double?
        }
        struct Suggestion: Encodable {
            var method: String
            var learningRate: Double
            var loss: Double?
        }
        var title: String
        var points: [Point]
        var suggestions: [Suggestion]
        var chosen: String?
        var files: [String]

        init(_ finding: Finding, files: [String]) {
            func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
            let curve = finding.curve
            title = finding.title
            points = zip(curve.learningRates, curve.losses).map { Point(learningRate: $0, loss: finite($1)) }
            suggestions = curve.suggestions.map {
                Suggestion(method: $0.method, learningRate: $0.learningRate, loss: finite($0.loss))
            }
            chosen = finding.chosen
            self.files = files
        }
    }

    /// Writes the requested plots and returns the text printed: the suggestions table and the files written.
    /// Files are written through `OutputFile`: an existing one only with `existing: .replace`, never a
    /// `protected` one.
    static func report(
        _ finding: Finding, png: String?, svg: String?, existing: ExistingFile = .refuse,
        protected: [ProtectedFile] = [], json: Bool = false
    ) throws -> String {
        let curve = finding.curve
        var table = TextTable(columns: [
            .init("METHOD"), .init("LR", alignment: .right), .init("LOSS", alignment: .right),
        ])
        for s in curve.suggestions {
            table.append([
                s.method + (s.method == finding.chosen ? " (used)" : ""), String(format: "%.2e", s.learningRate),
                String(format: "%.4f", s.loss),
            ])
        }
        var lines = [
            "\(curve.learningRates.count) steps, lr \(String(format: "%.1e", curve.learningRates.first ?? 0)) → "
                + "\(String(format: "%.1e", curve.learningRates.last ?? 0)): "
                + Sparkline.render(Show.clippedFinderLosses(curve.losses), maxWidth: 50)
        ]
        lines += curve.suggestions.isEmpty ? ["No suggestions (too few points)."] : table.lines()
        if let png {
            // The SVG chart rendered by librsvg (real text; its legend sits beside the plot). Should librsvg
            // fail, the bitmap-font raster stands in, and the line says so.
            let chart = lrFinderChart(
                title: finding.title, learningRates: curve.learningRates, losses: curve.losses,
                suggestions: curve.suggestions)
            do {
                try SVGRenderer.writePNG(svg: chart, scale: 2, to: png, existing: existing, protected: protected)
                lines.append("Wrote \(png)")
            } catch let error as SVGRenderError {
                let canvas = LRFinderRaster.render(
                    title: finding.title, learningRates: curve.learningRates, losses: curve.losses,
                    suggestions: curve.suggestions)
                try canvas.writePNG(to: png, existing: existing, protected: protected)
                lines.append("Wrote \(png) (bitmap font: \(error))")
            }
        }
        if let svg {
            let text = lrFinderChart(
                title: finding.title, learningRates: curve.learningRates, losses: curve.losses,
                suggestions: curve.suggestions)
            try OutputFile.write(Data(text.utf8), to: svg, existing: existing, protected: protected)
            lines.append("Wrote \(svg)")
        }
        if json { return try StoreFormat.json(FindingJSON(finding, files: [png, svg].compactMap { $0 })) }
        return lines.joined(separator: "\n")
    }

    func output(output: LearnerOutput = .silent, log: @escaping (String) -> Void = { _ in }) throws -> String {
        // Bad targets fail before the finder runs (minutes, for a spec).
        let protected =
            try store.protectedFiles()
            + (spec.flatMap { ProtectedFile(path: $0, role: "the spec being read") }.map { [$0] } ?? [])
        for path in [png, svg].compactMap({ $0 }) {
            try OutputFile.check(path, existing: force.existing, protected: protected)
        }
        let finding =
            try recordedRun.map { try Self.recorded($0, in: store.openForReading()) }
            ?? runFinder(output: output, log: log)
        return try Self.report(
            finding, png: png, svg: svg, existing: force.existing, protected: protected, json: json)
    }

    func run() throws {
        print(try output(output: json ? .silent : .standard, log: RunOutput.log))
    }
}

/// Errors of `ser lr-find`.
enum LRFindError: Error, CustomStringConvertible, LocalizedError {
    case noFinder(Int64)
    case sweep(String, Int)
    case noPoints(String)

    var description: String {
        switch self {
        case .noFinder(let id):
            return "run \(id) recorded no learning-rate finder (lr_finder.enabled was false, or it failed first)."
        case .sweep(let spec, let count):
            return "\(spec) expands to \(count) runs; pin the swept keys with --set to find the rate of one."
        case .noPoints(let spec):
            return "\(spec): the finder recorded no step (is the training split empty?)."
        }
    }

    var errorDescription: String? { description }
}
