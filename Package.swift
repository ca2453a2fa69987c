// swift-tools-version:6.0
// ser: speech-emotion-recognition experiments declared in YAML, trained on the CPU.
//
// Module graph (data flows down the list; a module imports only modules above it):
//
//   C libraries      CSndFile  CFLAC  CSoxr  CFFTW  CBLAS  CPNG  CPortAudio   (system-library targets)
//   thin wrappers    SndFile   FLAC   Soxr   FFTW   BLAS   PNG   PortAudio    (the only importers of the C modules)
//   SeededRandom     the reproducible random-number generator every module takes
//   Checksum         SHA-256 for cache keys, spec hashes and artifact checksums
//   Audio            decode, resample, trim, synthetic corpus
//   Live             audio sources (device, raw PCM, file replay), sliding windows, energy gate, smoothing
//   Datasets         RAVDESS names, label schemes, folder/CSV layouts, scans
//   Features         STFT, mel, dB, MFCC, cache
//   Plots            SVG charts, colour maps, PNG rasters
//   NeuralNet        Tensor, layers, ResNet, optimizers, schedules, safetensors
//   Training         batches, splits, augmentation, learner, LR finder, metrics
//   RunStore         GRDB schema, migrations, queries
//   Experiments      YAML specs, validation, sweeps, runner
//   Reports          HTML reports
//   SERCommands      one file per `ser` subcommand
//   ser              the executable (main.swift only)
//   FuzzTargets      the fuzz harnesses' bodies (spec, safetensors, model, audio, PCM, CSV), shared by the
//                    libFuzzer package in tools/fuzz and by FuzzTargetsTests; nothing in ser imports it
import PackageDescription

/// Numeric modules are compiled with optimisation even in debug builds, so the test suite
/// (which runs in debug) exercises the same code paths at a usable speed.
let numeric: [SwiftSetting] = [.unsafeFlags(["-O"])]

func system(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt(apt)])
}

let package = Package(
    name: "ser",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ser", targets: ["ser"]),
        // For the libFuzzer package in tools/fuzz (`.package(path: "../..")`), which links the harnesses' bodies.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries through pkg-config; `tools/setup` installs the -dev packages.
        system("CSndFile", pkgConfig: "sndfile", apt: ["libsndfile1-dev"]),
        system("CFLAC", pkgConfig: "flac", apt: ["libflac-dev"]),
        system("CSoxr", pkgConfig: "soxr", apt: ["libsoxr-dev"]),
        system("CFFTW", pkgConfig: "fftw3f", apt: ["libfftw3-dev"]),
        system("CBLAS", pkgConfig: "openblas", apt: ["libopenblas-dev"]),
        system("CPNG", pkgConfig: "libpng", apt: ["libpng-dev"]),
        system("CPortAudio", pkgConfig: "portaudio-2.0", apt: ["portaudio19-dev"]),

        // Thin Swift wrappers: no sf_/FLAC__/soxr_/fftwf_/cblas_/png_ symbol is used outside these.
        .target(name: "SndFile", dependencies: ["CSndFile"]),
        .target(name: "FLAC", dependencies: ["CFLAC"], swiftSettings: numeric),
        .target(name: "Soxr", dependencies: ["CSoxr"]),
        .target(name: "FFTW", dependencies: ["CFFTW"]),
        .target(name: "BLAS", dependencies: ["CBLAS"]),
        .target(name: "PNG", dependencies: ["CPNG"]),
        .target(name: "PortAudio", dependencies: ["CPortAudio"]),

        // Seeded random numbers shared by every module that makes a random choice.
        .target(name: "SeededRandom"),
        // SHA-256 for cache keys, spec hashes and artifact checksums (optimised: it hashes weight files).
        .target(name: "Checksum", swiftSettings: numeric),

        // The pipeline, by role.
        .target(name: "Audio", dependencies: ["SndFile", "FLAC", "Soxr", "SeededRandom"], swiftSettings: numeric),
        .target(name: "Datasets", dependencies: ["Audio", "SndFile"]),
        .target(name: "Live", dependencies: ["Audio", "SndFile", "Soxr", "PortAudio"], swiftSettings: numeric),
        .target(name: "Features", dependencies: ["Audio", "FFTW", "BLAS", "Checksum"], swiftSettings: numeric),
        .target(name: "Plots", dependencies: ["PNG"]),
        .target(name: "NeuralNet", dependencies: ["BLAS", "SeededRandom"], swiftSettings: numeric),
        .target(
            name: "Training", dependencies: ["Datasets", "Features", "NeuralNet"],
            swiftSettings: numeric),
        .target(
            name: "RunStore", dependencies: ["Checksum", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: numeric),
        .target(
            name: "Experiments",
            dependencies: ["Training", "RunStore", "Checksum", .product(name: "Yams", package: "Yams")]),
        // Reports reads runs (RunStore), their specs (Experiments) and audio (Audio, Features) for the pictures.
        .target(
            name: "Reports", dependencies: ["Plots", "RunStore", "Experiments", "Training", "Features", "Audio"]),
        .target(
            name: "SERCommands",
            dependencies: [
                "BLAS", "Audio", "Datasets", "Features", "Plots", "NeuralNet", "Training",
                "RunStore", "Experiments", "Reports", "Live", "PortAudio", "Checksum",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "ser", dependencies: ["SERCommands", "BLAS"]),
        // One function per fuzz target: what a libFuzzer harness (tools/fuzz) and the corpus test both call.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Experiments", "NeuralNet", "Audio", "SndFile", "Live", "Datasets", "Features", "Training",
                .product(name: "Yams", package: "Yams"),
            ]),

        // Tests. TestSupport holds helpers shared by the test targets (gradient checker, temp dirs, signals).
        .target(name: "TestSupport", dependencies: ["BLAS"], path: "Tests/TestSupport"),
        // A filled, file-backed run store for the report and command tests.
        .target(
            name: "StoreTestSupport", dependencies: ["Experiments", "RunStore", "SndFile", "TestSupport"],
            path: "Tests/StoreTestSupport"),
        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        .testTarget(name: "ChecksumTests", dependencies: ["Checksum"]),
        .testTarget(name: "BLASTests", dependencies: ["BLAS", "TestSupport"]),
        .testTarget(
            name: "AudioTests", dependencies: ["Audio", "FLAC", "SeededRandom", "SndFile", "Soxr", "TestSupport"],
            exclude: ["Fixtures"]),  // read by path (#filePath), not bundled
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Audio", "TestSupport"]),
        .testTarget(
            name: "FeaturesTests", dependencies: ["Features", "Audio", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PlotsTests", dependencies: ["Plots", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"]),
        .testTarget(name: "RunStoreTests", dependencies: ["RunStore", "Checksum", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "RunStore", "Plots", "SndFile", "StoreTestSupport", "TestSupport"]),
        .testTarget(name: "LiveTests", dependencies: ["Live", "Audio", "PortAudio", "SndFile", "TestSupport"]),
        .testTarget(
            name: "SERCommandsTests",
            dependencies: [
                "SERCommands", "Live", "SndFile", "Checksum", "BLAS", "NeuralNet", "StoreTestSupport", "TestSupport",
            ]),
        // Every committed seed and regression input of tools/fuzz/<target>/corpus, without libFuzzer.
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
    ],
    swiftLanguageModes: [.v5]
)
