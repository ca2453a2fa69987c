import Foundation
import RunStore
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

final class SpecLoadingTests: XCTestCase {
    func testTheDesignExampleLoadsWithTheNotebooksDefaults() throws {
        let fixture = SpecFixture()
        let data = fixture.directory.path("data/ravdess")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        fixture.write("notebook.yaml", notebookExample)
        let plan = try fixture.load("notebook.yaml")
        XCTAssertEqual(plan.runs.count, 1)
        let spec = plan.runs[0].spec
        XCTAssertEqual(spec.name, "ravdess-notebook")
        XCTAssertEqual(spec.seed, 42)
        XCTAssertEqual(spec.data.path, URL(fileURLWithPath: data).standardizedFileURL.path)
        XCTAssertEqual(spec.data.labels, .genderEmotion)
        XCTAssertEqual(spec.audio.sampleRate, 22050)
        XCTAssertEqual(spec.audio.duration, 3.5)
        XCTAssertNil(spec.audio.trimDB)
        XCTAssertEqual(spec.features.nFFT, 1024)
        XCTAssertEqual(spec.features.hopLength, 100)
        XCTAssertEqual(spec.features.nMels, 128)
        XCTAssertEqual(spec.features.db.ref, .max)
        XCTAssertEqual(spec.features.db.topDB, 80)
        XCTAssertEqual(spec.model.depth, 34)
        XCTAssertEqual(spec.model.stem, .imageNet)
        XCTAssertEqual(spec.lrFinder.startLR, 1e-7)
        XCTAssertEqual(spec.lrFinder.endLR, 10)
        XCTAssertEqual(spec.lrFinder.numIt, 100)
        XCTAssertTrue(spec.lrFinder.stopDiv)
        XCTAssertEqual(spec.lrFinder.suggest, [.minimum, .steep])
        XCTAssertEqual(spec.train.lr, .suggestion(.steep))
        XCTAssertEqual(spec.train.optimizer.name, .adamw)
        XCTAssertEqual(spec.train.optimizer.wd, 0.01)
        XCTAssertNil(spec.train.augment.specAugment)
        XCTAssertEqual(spec.split, SplitSpec(kind: .random, validPct: 0.2, valid: nil, k: nil, fold: nil, seed: 42))
        XCTAssertNil(spec.test)
        XCTAssertEqual(spec.splitSeed, 42)
        XCTAssertEqual(spec.fmaxHz, 11025)
        XCTAssertEqual(spec.windowLength, 1024)
        XCTAssertEqual(spec.clipSamples, 77175)
    }

    func testDefaultsFillAMinimalSpecAndTheCanonicalYAMLIsStable() throws {
        let fixture = SpecFixture()
        fixture.write("a.yaml", minimalSpec)
        // Same meaning, other order and spelling: same canonical text and hash.
        fixture.write(
            "b.yaml",
            """
            data: {synthetic: {seed: 3, actors: 4}}
            features: {n_fft: 1024, fmin: 0}   # defaults written out
            name: quick

            """)
        let a = try fixture.load("a.yaml").runs[0]
        let b = try fixture.load("b.yaml").runs[0]
        XCTAssertEqual(a.yaml, b.yaml)
        XCTAssertEqual(a.hash, b.hash)
        XCTAssertEqual(a.hash.count, 64)
        XCTAssertEqual(a.spec.data.synthetic, DataSpec.SyntheticSpec(actors: 4, seed: 3))
        XCTAssertEqual(a.spec.lrFinder.suggest, [.minimum, .steep, .valley, .slide])
        XCTAssertTrue(a.yaml.contains("  n_fft: 1024\n"), a.yaml)
        XCTAssertTrue(a.yaml.contains("start_lr: 1.0e-07\n"), a.yaml)
        XCTAssertTrue(a.yaml.contains("fmin: 0.0\n"), a.yaml)
        // Keys are sorted at every level.
        let top = a.yaml.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map {
            String($0.split(separator: ":")[0])
        }
        XCTAssertEqual(top, top.sorted())
        // The canonical text is itself a valid spec that resolves to the same thing.
        fixture.write("c.yaml", a.yaml)
        let c = try fixture.load("c.yaml").runs[0]
        XCTAssertEqual(c.yaml, a.yaml)
        XCTAssertEqual(c.spec, a.spec)
        // A different value changes the hash.
        let d = try fixture.load("a.yaml", overrides: ["model.depth=18"]).runs[0]
        XCTAssertNotEqual(d.hash, a.hash)
    }

    func testTheNameDefaultsToTheFileName() throws {
        let fixture = SpecFixture()
        fixture.write("my-experiment.yaml", "data: {synthetic: true}\n")
        let plan = try fixture.load("my-experiment.yaml")
        XCTAssertEqual(plan.name, "my-experiment")
        XCTAssertEqual(plan.runs[0].spec.data.synthetic, DataSpec.SyntheticSpec(actors: 24, seed: 1))
    }

    func testExtendsMergesDeeplyAndTheChildWins() throws {
        let fixture = SpecFixture()
        fixture.write(
            "base/base.yaml",
            """
            seed: 7
            data: {synthetic: {actors: 6}}
            features: {n_mels: 64, hop_length: 256}
            train: {epochs: 3, optimizer: {name: sgd, wd: 0.1}}
            sweep:
              model.depth: [10, 18]

            """)
        fixture.write(
            "child.yaml",
            """
            extends: base/base.yaml
            name: child
            features: {n_mels: 32}
            train: {optimizer: {wd: 0.0}}

            """)
        let plan = try fixture.load("child.yaml")
        XCTAssertEqual(plan.runs.count, 2, "the parent's sweep is inherited")
        let spec = plan.runs[0].spec
        XCTAssertEqual(spec.seed, 7)
        XCTAssertEqual(spec.data.synthetic?.actors, 6)
        XCTAssertEqual(spec.features.nMels, 32)
        XCTAssertEqual(spec.features.hopLength, 256)
        XCTAssertEqual(spec.train.epochs, 3)
        XCTAssertEqual(spec.train.optimizer.name, .sgd)
        XCTAssertEqual(spec.train.optimizer.wd, 0.0)
        XCTAssertEqual(plan.runs.map(\.spec.model.depth), [10, 18])
    }

    func testRelativePathsAreTakenFromTheFileThatWroteThem() throws {
        let fixture = SpecFixture()
        for folder in ["shared/corpus", "mine/weights", "elsewhere"] {
            try FileManager.default.createDirectory(
                atPath: fixture.directory.path(folder), withIntermediateDirectories: true)
        }
        fixture.write("shared/base.yaml", "data: {path: corpus}\n")
        fixture.write("mine/spec.yaml", "extends: ../shared/base.yaml\nmodel: {init: weights}\n")
        let spec = try fixture.load("mine/spec.yaml").runs[0].spec
        let root = fixture.directory.url.standardizedFileURL.path
        XCTAssertEqual(spec.data.path, root + "/shared/corpus")
        XCTAssertEqual(spec.model.initWeights, root + "/mine/weights")
        // --set values are relative to the working directory (the fixture's folder here).
        let set = try fixture.load("mine/spec.yaml", overrides: ["data.path=elsewhere"]).runs[0].spec
        XCTAssertEqual(set.data.path, root + "/elsewhere")
    }

    func testExtendsCyclesAreNamedWithTheirChain() {
        let fixture = SpecFixture()
        fixture.write("a.yaml", "extends: b.yaml\ndata: {synthetic: true}\n")
        fixture.write("b.yaml", "seed: 1\nextends: c.yaml\n")
        fixture.write("c.yaml", "extends: a.yaml\n")
        let errors = fixture.errors("a.yaml")
        XCTAssertEqual(errors.count, 1)
        let message = errors.first?.description ?? ""
        XCTAssertTrue(message.contains("extends cycle"), message)
        XCTAssertTrue(
            message.contains("a.yaml → ") && message.contains("b.yaml → ") && message.contains("c.yaml → "), message)
        XCTAssertEqual(errors.first?.location?.line, 1)
        XCTAssertTrue(errors.first?.location?.file.hasSuffix("c.yaml") ?? false, message)

        fixture.write("self.yaml", "extends: ./self.yaml\n")
        XCTAssertTrue(fixture.errors("self.yaml").first?.message.contains("extends cycle") ?? false)
        fixture.write("missing.yaml", "data: {synthetic: true}\nextends: nowhere.yaml\n")
        let missing = fixture.errors("missing.yaml").first
        XCTAssertTrue(
            missing?.message.contains("nowhere.yaml: no such file") ?? false, "\(String(describing: missing))")
        XCTAssertEqual(missing?.location?.line, 2)
        XCTAssertEqual(missing?.location?.column, 10)
    }

    func testSweepExpandsTheGridInOrderLastKeyFastest() throws {
        let fixture = SpecFixture()
        fixture.write(
            "s.yaml",
            minimalSpec + """
                sweep:
                  model.depth: [18, 34]
                  features.n_mels: [64, 96, 128]

                """)
        let plan = try fixture.load("s.yaml")
        XCTAssertEqual(plan.runs.count, 6)
        XCTAssertEqual(
            plan.runs.map { "\($0.spec.model.depth)/\($0.spec.features.nMels)" },
            ["18/64", "18/96", "18/128", "34/64", "34/96", "34/128"])
        XCTAssertEqual(plan.runs[1].sweepLabel, "model.depth=18, features.n_mels=96")
        XCTAssertEqual(plan.runs[1].runName, "quick [model.depth=18, features.n_mels=96]")
        XCTAssertEqual(Set(plan.runs.map(\.hash)).count, 6)
        XCTAssertFalse(plan.runs[0].yaml.contains("sweep"))

        // --set pins a swept key; --set sweep.KEY=[…] replaces or adds an axis.
        XCTAssertEqual(try fixture.load("s.yaml", overrides: ["model.depth=10"]).runs.count, 3)
        let replaced = try fixture.load(
            "s.yaml", overrides: ["sweep.train.epochs=[1, 2]", "sweep.features.n_mels=[32]"])
        XCTAssertEqual(
            replaced.runs.map { "\($0.spec.model.depth)/\($0.spec.train.epochs)/\($0.spec.features.nMels)" },
            ["18/1/32", "18/2/32", "34/1/32", "34/2/32"])
    }

    func testEveryCombinationOfASweepIsValidated() {
        let fixture = SpecFixture()
        fixture.write(
            "s.yaml",
            minimalSpec + """
                sweep:
                  model.depth: [18, 19]
                  model.dpth: [1]
                  train.epochs: 5

                """)
        // A malformed axis does not hide the others' errors: the unknown key is reported with it.
        let messages = fixture.errors("s.yaml").map(\.description)
        XCTAssertEqual(messages.count, 3, "\(messages)")
        XCTAssertTrue(
            messages.contains {
                $0.hasSuffix("s.yaml:7:17: expected a non-empty list of values for sweep key train.epochs, got 5")
            }, "\(messages)")
        XCTAssertTrue(
            messages.contains { $0.hasSuffix("s.yaml:6:3: unknown key 'dpth' in model; did you mean 'depth'?") },
            "\(messages)")
        XCTAssertTrue(
            messages.contains { $0.hasSuffix("s.yaml:5:21: expected one of 10, 18, 34, 50 for model.depth, got 19") },
            "\(messages)")

        fixture.write(
            "t.yaml",
            minimalSpec + """
                sweep:
                  model.depth: [18, 19]
                  model.dpth: [1]

                """)
        let second = fixture.errors("t.yaml").map(\.description)
        XCTAssertEqual(second.count, 2, "\(second)")
        XCTAssertTrue(
            second.contains { $0.hasSuffix("t.yaml:5:21: expected one of 10, 18, 34, 50 for model.depth, got 19") },
            "\(second)")
        XCTAssertTrue(
            second.contains { $0.hasSuffix("t.yaml:6:3: unknown key 'dpth' in model; did you mean 'depth'?") },
            "\(second)")
    }

    func testSetOverridesParseTheirValueAsYAML() throws {
        let fixture = SpecFixture()
        fixture.write("a.yaml", minimalSpec)
        let plan = try fixture.load(
            "a.yaml",
            overrides: [
                "model.depth=18", "train.epochs=5", "train.lr=3e-4", "data.emotions=[happy, sad]", "audio.trim_db=null",
                "train.augment.spec_augment=true", "features.db.ref=1.0", "description=two words",
            ])
        let spec = plan.runs[0].spec
        XCTAssertEqual(spec.model.depth, 18)
        XCTAssertEqual(spec.train.epochs, 5)
        XCTAssertEqual(spec.train.lr, .value(3e-4))
        XCTAssertEqual(spec.data.emotions, [.happy, .sad])
        XCTAssertEqual(spec.train.augment.specAugment?.freqMasks, 2)
        XCTAssertEqual(spec.features.db.ref, .value(1))
        XCTAssertEqual(spec.description, "two words")

        let errors = fixture.errors("a.yaml", overrides: ["model.dept=18", "train.epochs=abc"])
        XCTAssertEqual(
            errors.map(\.description),
            [
                "--set model.dept=18: unknown key 'dept' in model; did you mean 'depth'?",
                "--set train.epochs=abc: expected an integer from 1 to 10000 for train.epochs, got 'abc'",
            ])
        XCTAssertEqual(
            fixture.errors("a.yaml", overrides: ["nonsense"]).map(\.description),
            ["--set nonsense: expected key=value (e.g. model.depth=18)"])
        XCTAssertEqual(
            fixture.errors("a.yaml", overrides: ["name.x=1"]).map(\.description),
            ["--set name.x=1: cannot set 'x' inside a value that is not a section ('quick')"])
        XCTAssertEqual(
            fixture.errors("a.yaml", overrides: ["seed.x=1"]).map(\.description),
            ["--set seed.x=1: expected an integer from 0 to 2147483647 for seed, got a section (key: value pairs)"])
    }

    func testDataPathComesFromTheEnvironmentWhenAbsent() throws {
        let fixture = SpecFixture()
        let corpus = fixture.directory.path("corpus")
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
        fixture.write("a.yaml", "name: x\n")
        let missing = fixture.errors("a.yaml")
        XCTAssertEqual(missing.count, 1)
        XCTAssertTrue(missing[0].message.hasPrefix("missing data.path"), missing[0].message)
        XCTAssertTrue(missing[0].message.contains("SER_DATA"), missing[0].message)
        fixture.environment = ["SER_DATA": corpus]
        XCTAssertEqual(try fixture.load("a.yaml").runs[0].spec.data.path, corpus)
        fixture.environment = ["SER_DATA": fixture.directory.path("nowhere")]
        XCTAssertTrue(fixture.errors("a.yaml")[0].message.contains("nowhere does not exist"))
    }

    func testKFoldWithoutAFoldRunsEveryFold() throws {
        let fixture = SpecFixture()
        fixture.write(
            "k.yaml", minimalSpec + "split: {kind: kfold_speakers, k: 3}\nsweep:\n  model.depth: [10, 18]\n")
        let plan = try fixture.load("k.yaml")
        XCTAssertEqual(plan.runs.count, 6)
        XCTAssertEqual(
            plan.runs.map { "\($0.spec.model.depth)/\($0.spec.split.fold!)" },
            ["10/1", "10/2", "10/3", "18/1", "18/2", "18/3"])
        XCTAssertEqual(plan.runs[1].sweepLabel, "model.depth=10, split.fold=2")
        XCTAssertEqual(try fixture.load("k.yaml", overrides: ["split.fold=2"]).runs.map(\.spec.split.fold), [2, 2])
    }
}

final class PlanRecordingTests: XCTestCase {
    func testAPlanIsQueuedAsOneExperimentAndItsRunsResolveAgain() throws {
        let fixture = SpecFixture()
        fixture.write("p.yaml", minimalSpec + "split: {kind: kfold_speakers, k: 2}\nsweep:\n  model.depth: [10, 18]\n")
        let plan = try fixture.load("p.yaml")
        let store = try RunStore.inMemory()
        let ids = try plan.enqueue(in: store, toolVersion: "9.9")
        XCTAssertEqual(ids.count, 4)
        XCTAssertEqual(try store.experiments().map(\.name), ["quick"])
        let runs = try store.runs()
        XCTAssertEqual(Set(runs.map(\.status)), [.queued])
        XCTAssertEqual(runs.last?.sweep, "model.depth=10, split.fold=1")
        for (id, expected) in zip(ids, plan.runs) {
            let recorded = try XCTUnwrap(store.run(id))
            XCTAssertEqual(recorded.specHash, expected.hash)
            XCTAssertEqual(recorded.toolVersion, "9.9")
            let again = try fixture.loader.load(resolvedYAML: recorded.specYaml, runName: "run \(id)")
            XCTAssertEqual(again.spec, expected.spec)
            XCTAssertEqual(again.hash, recorded.specHash)
        }
    }
}
