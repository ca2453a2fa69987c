import ArgumentParser
import Foundation
import PostgresStore
import RunStore

/// `ser store …`: work on whole stores.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Work on whole run stores.", subcommands: [StoreCopy.self])
}

/// `ser store copy SRC DST`: copy runs, with their files, between any two stores (SQLite or PostgreSQL).
struct StoreCopy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract:
            "Copy runs with their files from one store to another (SQLite file or postgres:// URL); a run copied before is not copied again."
    )

    @Argument(help: ArgumentHelp("The store to copy from (a SQLite file or a postgres:// URL).", valueName: "src"))
    var source: String

    @Argument(help: ArgumentHelp("The store to copy into (created if needed).", valueName: "dst"))
    var destination: String

    @Option(
        help: ArgumentHelp(
            "The source's artifact root, for a PostgreSQL source (default: $SER_ARTIFACTS).", valueName: "dir"))
    var fromArtifacts: String?

    @Option(
        help: ArgumentHelp(
            "The destination's artifact root, for a PostgreSQL destination (default: $SER_ARTIFACTS).",
            valueName: "dir"))
    var toArtifacts: String?

    @Option(
        name: .customLong("run"),
        help: ArgumentHelp("Copy only these runs (repeatable; default: every run).", valueName: "id"))
    var runs: [Int64] = []

    @Flag(help: "Print JSON: per run, source_run, run (its id in the destination), copied and files.")
    var json = false

    func output() throws -> String {
        var from = StoreOptions()
        from.storePath = source
        from.artifactRoot = fromArtifacts
        var to = StoreOptions()
        to.storePath = destination
        to.artifactRoot = toArtifacts
        let sourceStore = try from.openForReading()
        let destinationStore = try to.open()
        // Oldest first, so the copies keep the source's order.
        let ids = try runs.isEmpty ? Array(sourceStore.runs().map(\.id).reversed()) : runs
        var copies: [RunCopy] = []
        var lines: [String] = []
        for id in ids {
            let copy = try destinationStore.copyRun(id, from: sourceStore)
            copies.append(copy)
            lines.append(
                copy.copied
                    ? "Copied run \(id) as run \(copy.run) with \(copy.files) file\(copy.files == 1 ? "" : "s")."
                    : "Run \(id) is already in the destination as run \(copy.run); not copied again.")
        }
        if ids.isEmpty { lines.append("No runs to copy.") }
        return json ? try StoreFormat.json(copies) : lines.joined(separator: "\n")
    }

    func run() throws { print(try output()) }
}
