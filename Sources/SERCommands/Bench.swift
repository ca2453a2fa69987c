import ArgumentParser

/// `ser bench`: speed measurements of the pipeline's stages.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the speed of pipeline stages.",
        subcommands: [BenchTrain.self])
}
