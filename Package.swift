// swift-tools-version:6.0
// ser: speech-emotion-recognition experiments declared in YAML, trained on the CPU.
//
// Module graph (data flows down the list; a module imports only modules above it):
//
//   C libraries      CSndFile  CFLAC  CSoxr  CFFTW  CBLAS  CPNG  CPortAudio  CRSVG   (system-library targets)
//   OutputFiles      the one way a user-named file is written (temp file, fsync, rename; never over a folder,
//                    device, link, the store or a run's artifact; an existing file only with --force)
//   thin wrappers    SndFile   FLAC   Soxr   FFTW   BLAS   PNG   PortAudio   RSVG    (the only importers of the C modules)
//   SeededRandom     the reproducible random-number generator every module takes
//   Checksum         SHA-256 for cache keys, spec hashes and artifact checksums
//   Stopping         StopFlag: a stop request (Ctrl-C, a live source's stop()) read by the working thread
//   LRCurve          LRFinderPoint: one step of the LR finder, made by Training, recorded by RunStore, drawn by Plots
//   Audio            decode, resample (the one librosa-style resampler), trim
//   Live             audio sources (device, raw PCM, file replay), sliding windows, energy gate, smoothing
//   Datasets         corpus names (RAVDESS, CREMA-D, TESS, SAVEE, EMO-DB), emotions, label maps and schemes,
//                    folder/CSV layouts, scans
//   Synth            the synthetic emotional-speech corpus, written under RAVDESS names (or any layout's)
//   Features         STFT, mel, dB, MFCC, cache
//   Plots            SVG charts, colour maps, PNG rasters
//   NeuralNet        Tensor, layers, ResNet, optimizers, schedules, safetensors
//   Training         batches, splits, augmentation, learner, LR finder, metrics
//   RunStore         GRDB schema, migrations, queries; `StoreDatabase`, the seam a backend implements
//   PostgresStore    the PostgreSQL backend (postgres-nio) of the run store
//   Specs            the spec language: YAML values, schema, validation, sweeps, reference docs, diff
//   Inference        the model file and the audio → probabilities path of predict, eval and listen
//   Runner           a resolved spec → a recorded run: queue, resume, data, training, store recording
//   Reports          HTML reports (reads stored specs through Specs only)
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
        // The PostgreSQL run store (`--store postgres://…`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries through pkg-config; `tools/setup` installs the -dev packages.
        system("CSndFile", pkgConfig: "sndfile", apt: ["libsndfile1-dev"]),
        system("CFLAC", pkgConfig: "flac", apt: ["libflac-dev"]),
        system("CSoxr", pkgConfig: "soxr", apt: ["libsoxr-dev"]),
        system("CFFTW", pkgConfig: "fftw3f", apt: ["libfftw3-dev"]),
        system("CBLAS", pkgConfig: "openblas", apt: ["libopenblas-dev"]),
        system("CPNG", pkgConfig: "libpng", apt: ["libpng-dev"]),
        system("CRSVG", pkgConfig: "librsvg-2.0", apt: ["librsvg2-dev"]),
        system("CPortAudio", pkgConfig: "portaudio-2.0", apt: ["portaudio19-dev"]),

        // Writing files safely; no dependencies, so every writer below can use it.
        .target(name: "OutputFiles"),

        // Thin Swift wrappers: no sf_/FLAC__/soxr_/fftwf_/cblas_/png_ symbol is used outside these.
        .target(name: "SndFile", dependencies: ["CSndFile"]),
        .target(name: "FLAC", dependencies: ["CFLAC"], swiftSettings: numeric),
        .target(name: "Soxr", dependencies: ["CSoxr"]),
        .target(name: "FFTW", dependencies: ["CFFTW"]),
        .target(name: "BLAS", dependencies: ["CBLAS"]),
        .target(name: "PNG", dependencies: ["CPNG", "OutputFiles"]),
        // SVG → PNG with real text (librsvg + cairo), for the PNG pictures of the commands.
        .target(name: "RSVG", dependencies: ["CRSVG", "PNG", "OutputFiles"]),
        .target(name: "PortAudio", dependencies: ["CPortAudio"]),

        // Seeded random numbers shared by every module that makes a random choice.
        .target(name: "SeededRandom"),
        // SHA-256 for cache keys, spec hashes and artifact checksums (optimised: it hashes weight files).
        .target(name: "Checksum", swiftSettings: numeric),
        // The one stop request, shared by the live sources, the runner and `ser data`.
        .target(name: "Stopping"),
        // The one LR-finder point type, shared by the finder, the run store and the plots.
        .target(name: "LRCurve"),

        // The pipeline, by role.
        .target(name: "Audio", dependencies: ["SndFile", "FLAC", "Soxr"], swiftSettings: numeric),
        .target(name: "Live", dependencies: ["Audio", "PortAudio", "Stopping"], swiftSettings: numeric),
        .target(name: "Datasets", dependencies: ["Audio", "SndFile"]),
        // The synthesiser writes RAVDESS-named files, so it sits above Datasets (its names and emotions).
        .target(name: "Synth", dependencies: ["Datasets", "SeededRandom", "SndFile"], swiftSettings: numeric),
        .target(
            name: "Features", dependencies: ["Audio", "FFTW", "BLAS", "Checksum", "OutputFiles"],
            swiftSettings: numeric),
        .target(name: "Plots", dependencies: ["PNG", "OutputFiles", "LRCurve"]),
        .target(name: "NeuralNet", dependencies: ["BLAS", "SeededRandom", "OutputFiles"], swiftSettings: numeric),
        .target(
            name: "Training",
            dependencies: ["Datasets", "Features", "LRCurve", "NeuralNet", "OutputFiles", "SeededRandom"],
            swiftSettings: numeric),
        .target(
            name: "RunStore", dependencies: ["Checksum", "LRCurve", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: numeric),
        // The PostgreSQL backend of the run store (`StoreDatabase` over postgres-nio), for `--store postgres://…`.
        .target(
            name: "PostgresStore",
            dependencies: [
                "RunStore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"), .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        // The spec language; it knows no store, runner or model file.
        .target(
            name: "Specs",
            dependencies: [
                "Audio", "Checksum", "Datasets", "Features", "NeuralNet", "Training",
                .product(name: "Yams", package: "Yams"),
            ]),
        // The model file and audio → probabilities; no spec, no store.
        .target(name: "Inference", dependencies: ["Audio", "Features", "NeuralNet", "SeededRandom", "Training"]),
        .target(
            name: "Runner",
            dependencies: [
                "Audio", "Datasets", "Features", "Inference", "NeuralNet", "RunStore", "Specs", "Stopping", "Synth",
                "Training",
                "BLAS",  // the kernels and threads recorded as each run's environment
            ]),
        // Reports reads runs (RunStore), their specs (Specs) and audio (Audio, Features) for the pictures, and
        // compresses top-loss clips (SndFile) to embed them.
        .target(
            name: "Reports", dependencies: ["Audio", "Features", "Plots", "RunStore", "SndFile", "Specs", "Training"]),
        .target(
            name: "SERCommands",
            dependencies: [
                "Audio", "BLAS", "Checksum", "Datasets", "FFTW", "FLAC", "Features", "Inference", "Live", "NeuralNet",
                "OutputFiles", "PNG", "Plots", "PortAudio", "PostgresStore", "RSVG", "Reports", "RunStore", "Runner",
                "SeededRandom", "SndFile", "Soxr", "Specs", "Stopping", "Synth", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "ser", dependencies: ["SERCommands", "BLAS"]),
        // One function per fuzz target: what a libFuzzer harness (tools/fuzz) and the corpus test both call.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Audio", "Datasets", "Features", "Inference", "Live", "NeuralNet", "SndFile", "Specs", "Training",
                .product(name: "Yams", package: "Yams"),
            ]),

        // Tests. TestSupport holds helpers shared by the test targets (gradient checker, temp dirs, signals).
        .target(name: "TestSupport", dependencies: ["BLAS"], path: "Tests/TestSupport"),
        // A filled, file-backed run store for the report and command tests.
        .target(
            name: "StoreTestSupport",
            dependencies: ["PostgresStore", "RunStore", "Runner", "SndFile", "Specs", "TestSupport"],
            path: "Tests/StoreTestSupport"),
        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        .testTarget(name: "ChecksumTests", dependencies: ["Checksum"]),
        .testTarget(name: "OutputFilesTests", dependencies: ["OutputFiles", "TestSupport"]),
        .testTarget(name: "BLASTests", dependencies: ["BLAS", "TestSupport"]),
        .testTarget(
            name: "AudioTests", dependencies: ["Audio", "FLAC", "SeededRandom", "SndFile", "Soxr", "TestSupport"],
            exclude: ["Fixtures"]),  // read by path (#filePath), not bundled
        .testTarget(name: "DatasetsTests", dependencies: ["Audio", "Datasets", "SndFile", "TestSupport"]),
        .testTarget(name: "SynthTests", dependencies: ["Datasets", "SndFile", "Synth", "TestSupport"]),
        .testTarget(
            name: "FeaturesTests", dependencies: ["Audio", "FFTW", "Features", "SeededRandom", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "PlotsTests", dependencies: ["PNG", "Plots", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["BLAS", "NeuralNet", "SeededRandom", "TestSupport"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Audio", "BLAS", "Datasets", "Features", "NeuralNet", "SeededRandom", "Synth", "TestSupport",
                "Training",
            ]),
        .testTarget(
            name: "RunStoreTests",
            dependencies: [
                "Checksum", "PostgresStore", "RunStore", "StoreTestSupport", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Spec tests also queue plans (Runner, RunStore); model-file tests also check the store's refusals.
        .testTarget(name: "SpecsTests", dependencies: ["RunStore", "Runner", "Specs", "TestSupport"]),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Features", "Inference", "NeuralNet", "RunStore", "Runner", "TestSupport"]),
        .testTarget(
            name: "RunnerTests",
            dependencies: [
                "Inference", "RunStore", "Runner", "Specs", "Stopping", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"]),  // an older version's store, read by path (#filePath)
        .testTarget(
            name: "ReportsTests", dependencies: ["Plots", "Reports", "RunStore", "StoreTestSupport", "TestSupport"]),
        .testTarget(name: "LiveTests", dependencies: ["Audio", "Live", "PortAudio", "SndFile", "TestSupport"]),
        .testTarget(
            name: "SERCommandsTests",
            dependencies: [
                "Audio", "BLAS", "Checksum", "Datasets", "Features", "Inference", "Live", "NeuralNet", "OutputFiles",
                "PNG", "PostgresStore", "RSVG", "RunStore", "Runner", "SERCommands", "SeededRandom", "SndFile",
                "Specs", "Stopping", "StoreTestSupport",
                "TestSupport", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Every committed seed and regression input of tools/fuzz/<target>/corpus, without libFuzzer.
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
    ],
    swiftLanguageModes: [.v5]
)
