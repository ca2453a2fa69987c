import ArgumentParser
import Foundation
import RunStore

/// `ser rm RUN…`: delete runs from the store.
struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract:
            "Delete runs and everything recorded about them, and the files they wrote in their own run folders unless --keep-files."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "Run ids (`ser runs` lists them).")
    var runs: [Int64]

    @Flag(help: "Keep the runs' weight, checkpoint and report files on disk.")
    var keepFiles = false

    @Flag(help: "Also delete runs that are still running.")
    var force = false

    @Flag(help: "Print JSON instead of text: per run, the files removed and those kept with the reason.")
    var json = false

    /// One removed run, as `--json` prints it.
    struct Removed: Encodable {
        /// The run's id, `run_id` as in every command's JSON.
        var runId: Int64
        var experiment: String
        var sweep: String
        /// Files deleted.
        var removedFiles: [String]
        /// Files left in place, with the reason.
        var keptFiles: [RefusedFile]
        /// Folders removed because they were empty afterwards.
        var removedFolders: [String]
    }

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run id.") }
    }

    func output() throws -> String {
        let runStore = try store.openExisting()
        var lines: [String] = []
        var removed: [Removed] = []
        for id in runs {
            let summary = try runStore.summary(of: id)
            if summary.displayStatus == .running && !force { throw StoreCommandError.runIsRunning(id) }
            let removal = try runStore.removeRun(id, keepFiles: keepFiles)
            removed.append(
                Removed(
                    runId: id, experiment: summary.experiment, sweep: summary.sweep, removedFiles: removal.removed,
                    keptFiles: removal.refused, removedFolders: removal.removedFolders))
            let count = removal.removed.count
            lines.append(
                "Removed run \(id) (\(summary.experiment)\(summary.sweep.isEmpty ? "" : " [\(summary.sweep)]"))"
                    + (count > 0 ? " and \(count) file\(count == 1 ? "" : "s")" : "") + ".")
            for refused in removal.refused {
                lines.append("  kept \(refused.path): \(refused.reason)")
            }
        }
        return json ? try StoreFormat.json(removed) : lines.joined(separator: "\n")
    }

    func run() throws { print(try output()) }
}
