import ArgumentParser

/// `ser bench`: throughput benchmarks (not tests: figures depend on the machine).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how fast parts of the pipeline run on this machine.",
        subcommands: [BenchFeatures.self, BenchTrain.self, BenchListen.self, BenchStream.self])
}
