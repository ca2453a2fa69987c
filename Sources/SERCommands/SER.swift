import ArgumentParser

/// The `ser` root command. The executable's `main.swift` calls ``SER/main()``.
public struct SER: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "ser",
        abstract: "Run speech-emotion-recognition experiments declared in YAML.",
        version: version,
        subcommands: [
            Doctor.self,
            DataCommand.self,
            FeaturesCommand.self,
            Bench.self,
            Validate.self,
            Schema.self,
            RunCommand.self,
            Resume.self,
            Worker.self,
            Submit.self,
            Eval.self,
            Predict.self,
            Runs.self,
            Show.self,
            Compare.self,
            Report.self,
            LRFind.self,
            Export.self,
            Query.self,
            Remove.self,
            StoreCommand.self,
            Devices.self,
            Listen.self,
            Synth.self,
        ]
    )

    public init() {}
}
