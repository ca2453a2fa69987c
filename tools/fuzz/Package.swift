// swift-tools-version:6.0
// libFuzzer harnesses for ser, one executable per target, each a thin `LLVMFuzzerTestOneInput` around
// `FuzzTarget.run` from the main package's FuzzTargets library. Build and run with `tools/fuzz/run`
// (see README.md); the flags that make these fuzzers (`--sanitize fuzzer`, `-parse-as-library`) are given there.
import PackageDescription

let targets = ["spec", "safetensors", "model", "audio", "pcm", "csv"]

let package = Package(
    name: "ser-fuzz",
    dependencies: [.package(name: "ser", path: "../..")],
    targets: targets.map { name in
        .executableTarget(
            name: "fuzz-\(name)", dependencies: [.product(name: "FuzzTargets", package: "ser")])
    },
    swiftLanguageModes: [.v5]
)
