import ArgumentParser
import Specs

/// `ser schema`: the JSON Schema of experiment specs, for editors.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print the JSON Schema (draft-07) of experiment specs, for completion and inline errors in an editor.",
        discussion: """
            Save it once (ser schema > ser-spec.schema.json) and start a spec with
            # yaml-language-server: $schema=ser-spec.schema.json
            It holds every key with its type, range, words, default and description; checks across keys
            (fmax against the sample rate, …) are left to ser validate.
            """)

    func run() throws {
        print(output(), terminator: "")
    }

    /// What `run()` prints.
    func output() -> String { SpecJSONSchema.text() }
}
