import Foundation
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

/// Every kind of spec error names file, line and column and says what was expected.
final class SpecErrorTests: XCTestCase {
    /// Loads `text` as `spec.yaml` and returns its errors as "line:column: message".
    func errors(_ text: String, overrides: [String] = [], file: StaticString = #filePath, line: UInt = #line)
        -> [String]
    {
        let fixture = SpecFixture()
        let path = fixture.write("spec.yaml", text)
        return fixture.errors("spec.yaml", overrides: overrides, file: file, line: line).map { error in
            guard let location = error.location else { return error.message }
            XCTAssertEqual(location.file, path, file: file, line: line)
            return "\(location.line):\(location.column): \(error.message)"
        }
    }

    func testUnknownKeysSuggestTheClosestValidKey() {
        XCTAssertEqual(
            errors(
                """
                data: {synthetic: true}
                features:
                  n_mel: 64
                  hop: 128
                modle: {depth: 18}
                """),
            [
                "3:3: unknown key 'n_mel' in features; did you mean 'n_mels'?",
                "4:3: unknown key 'hop' in features; did you mean 'hop_length'?",
                "5:1: unknown key 'modle' in the spec; did you mean 'model'?",
            ])
        let far = errors("data: {synthetic: true}\nmodel: {colour: red}\n")
        XCTAssertEqual(far, ["2:9: unknown key 'colour' in model; valid keys: arch, depth, width, stem, dropout, init"])
    }

    func testDottedKeysOutsideASweepGetAHint() {
        XCTAssertEqual(
            errors("data: {synthetic: true}\nmodel.depth: 18\n"),
            [
                "2:1: unknown key 'model.depth' in the spec; dotted keys belong under sweep: or --set; here write it nested (model: {depth: …})"
            ])
    }

    /// Found by the spec fuzz target (tools/fuzz/spec/corpus/regression-key-of-only-dots.yaml): a key made
    /// of dots only crashed `ser validate` while building the dotted-key hint (a negative repeat count).
    func testAKeyOfDotsOnlyIsAnUnknownKey() {
        let found = errors("data: {synthetic: true}\n.: 1\nmodel: {..: 2}\n")
        guard found.count == 2 else { return XCTFail("\(found)") }
        XCTAssertTrue(found[0].hasPrefix("2:1: unknown key '.' in the spec; valid keys: "), found[0])
        XCTAssertTrue(found[1].hasPrefix("3:9: unknown key '..' in model; valid keys: "), found[1])
    }

    func testWrongTypesNameTheKeyAndTheValue() {
        XCTAssertEqual(
            errors(
                """
                data: {synthetic: true}
                features: {n_fft: abc, fmin: low, center: 1}
                train: {epochs: 2.5, optimizer: adam}
                model: [18]
                """),
            [
                "2:19: expected an integer from 16 to 65536 for features.n_fft, got 'abc'",
                "2:30: expected a number for features.fmin, got 'low'",
                "2:43: expected true or false for features.center, got 1",
                "3:17: expected an integer from 1 to 10000 for train.epochs, got 2.5",
                "3:33: expected a section (key: value pairs) for train.optimizer, got 'adam'",
                "4:8: expected a section (key: value pairs) for model, got a list",
            ])
    }

    func testOutOfRangeValuesSayTheRange() {
        XCTAssertEqual(
            errors(
                """
                data: {synthetic: true}
                audio: {sample_rate: 16000}
                features: {n_mels: 0, fmax: 9000}
                model: {depth: 19}
                split: {valid_pct: 1.5}
                train: {lr: -1}
                """),
            [
                "3:20: expected an integer from 1 to 512 for features.n_mels, got 0",
                "4:16: expected one of 10, 18, 34, 50 for model.depth, got 19",
                "5:20: expected a number above 0.0 and below 1.0 for split.valid_pct, got 1.5",
                "6:13: expected a number above 0.0 for train.lr, got -1",
            ])
        // Checks across keys point at the key to change.
        XCTAssertEqual(
            errors("data: {synthetic: true}\naudio: {sample_rate: 16000}\nfeatures: {fmax: 9000, win_length: 2048}\n"),
            [
                "3:18: expected at most 8000.0 (audio.sample_rate / 2) for features.fmax, got 9000.0",
                "3:36: expected features.win_length ≤ n_fft (1024), got 2048",
            ])
    }

    func testFrequencyWarpNeedsMelBandsAndAModestFactor() throws {
        XCTAssertEqual(
            errors("data: {synthetic: true}\ntrain: {augment: {freq_warp: 0.5}}\n"),
            ["2:30: expected a number above 0.0 and below 0.5 for train.augment.freq_warp, got 0.5"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nfeatures: {kind: mfcc}\ntrain: {augment: {freq_warp: 0.1}}\n"),
            ["3:30: train.augment.freq_warp warps mel bands; it needs features.kind: log_mel, got mfcc"])
        // A valid warp reaches the batches on the features' own mel axis.
        let fixture = SpecFixture()
        fixture.write("ok.yaml", "data: {synthetic: true}\naudio: {sample_rate: 16000}\nfeatures: {fmin: 50}\n")
        let spec = try fixture.load("ok.yaml", overrides: ["train.augment.freq_warp=0.1"]).runs[0].spec
        XCTAssertEqual(
            spec.augmentation.frequencyWarp, .init(maxWarp: 0.1, fmin: 50, fmax: 8000))
    }

    func testUnknownWordsSuggestTheClosestChoice() {
        XCTAssertEqual(
            errors("data: {synthetic: true, labels: emotions}\ntrain: {lr: stepp, schedule: one-cycle}\n"),
            [
                "1:33: unknown value 'emotions' for data.labels; expected one of emotion, gender_emotion, intensity, gender, given (did you mean 'emotion'?)",
                "2:13: unknown value 'stepp' for train.lr; expected a number or one of minimum, steep, valley, slide (did you mean 'steep'?)",
                "2:30: unknown value 'one-cycle' for train.schedule; expected one of fit, one_cycle, flat_cos (did you mean 'one_cycle'?)",
            ])
    }

    func testSplitKeysMustSuitTheKind() throws {
        XCTAssertEqual(
            errors("data: {synthetic: true}\nsplit: {kind: random, k: 5}\n"),
            ["2:23: split.k applies to split kind kfold_speakers, not random"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nsplit: {kind: kfold_speakers, k: 4, fold: 5}\n"),
            ["2:43: expected split.fold from 1 to k (4), got 5"])
        let fixture = SpecFixture()
        fixture.write(
            "s.yaml", "data: {synthetic: true}\nsplit: {kind: speakers, valid: [1, 2]}\ntest: {actors: [3, 4]}\n")
        let spec = try fixture.load("s.yaml").runs[0].spec
        XCTAssertEqual(
            spec.split, SplitSpec(kind: .speakers, validPct: 0.2, valid: ["01", "02"], k: nil, fold: nil, seed: nil))
        XCTAssertEqual(spec.test, TestSpec(actors: [3, 4], path: nil, manifest: nil))
        XCTAssertEqual(
            errors("data: {synthetic: true}\nsplit: {kind: speakers, valid: [1, 2]}\ntest: {actors: [2, 30]}\n"),
            ["3:20: expected an integer from 1 to 24 for test.actors[1], got 30"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nsplit: {kind: speakers, valid: [1, 2]}\ntest: {actors: [2]}\n"),
            ["3:16: speakers 02 are in both test.actors and split.valid"])
        let two = errors("data: {synthetic: true}\ntest: {actors: [2], manifest: m.csv}\n")
        XCTAssertEqual(two.count, 2)
        XCTAssertEqual(
            two.first, "2:7: expected exactly one of test.actors, test.speakers, test.path, test.manifest, got 2")
        XCTAssertTrue(two.last?.hasPrefix("2:31: test.manifest /") ?? false, "\(two)")
        XCTAssertTrue(two.last?.hasSuffix("/m.csv does not exist") ?? false, "\(two)")
    }

    func testASplitWithoutValidationKeepsTheLastOrAveragedWeights() throws {
        XCTAssertEqual(
            errors("data: {synthetic: true}\nsplit: {kind: none, valid_pct: 0.2}\n"),
            ["2:21: split.valid_pct applies to split kind random or speakers, not none"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nsplit: {kind: none}\ntrain: {keep: best}\n"),
            [
                "3:15: train.keep: best picks the epoch with the best validation accuracy, but split.kind: none has no validation files; use keep: last or keep: average"
            ])
        let fixture = SpecFixture()
        fixture.write("s.yaml", "data: {synthetic: true}\nsplit: {kind: none}\ntest: {actors: [8]}\n")
        let spec = try fixture.load("s.yaml").runs[0].spec
        XCTAssertEqual(spec.split.kind, .noValidation)
        XCTAssertEqual(try spec.splitKind(), .noValidation)
    }

    func testSuggestionsAndFinderMustAgree() {
        XCTAssertEqual(
            errors("data: {synthetic: true}\nlr_finder: {suggest: [minimum]}\ntrain: {lr: valley}\n"),
            ["3:13: train.lr is the suggestion 'valley' but lr_finder.suggest does not compute it"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nlr_finder: {enabled: false}\n"),
            ["1:1: train.lr is the suggestion 'steep' but lr_finder.enabled is false; give a number"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nlr_finder: {start_lr: 1, end_lr: 0.1}\n"),
            ["2:34: expected lr_finder.end_lr above start_lr (1.0), got 0.1"])
    }

    func testAveragingMoreEpochsThanTrainedIsReported() {
        XCTAssertEqual(
            errors("data: {synthetic: true}\ntrain: {epochs: 5, keep: average, average_epochs: 8}\n"),
            ["2:51: expected train.average_epochs ≤ train.epochs (5) to average the last epochs' weights, got 8"])
        // Without keep: average the key is unused, so it is not checked.
        let fixture = SpecFixture()
        fixture.write("spec.yaml", "data: {synthetic: true}\ntrain: {epochs: 5, keep: last, average_epochs: 8}\n")
        XCTAssertNoThrow(try fixture.load("spec.yaml"))
    }

    func testMissingOrConflictingDataIsReported() {
        XCTAssertEqual(
            errors("name: x\ndata: {labels: emotion}\n"),
            [
                "2:7: missing data.path: set data.path, data.synthetic (the built-in corpus), or the SER_DATA environment variable, or put the corpus in data/ravdess"
            ])
        let missing = errors("data: {path: corpus}\n")
        XCTAssertEqual(missing.count, 1)
        XCTAssertTrue(
            missing[0].hasPrefix("1:14: data.path /") && missing[0].hasSuffix("/corpus does not exist"), "\(missing)")
        XCTAssertEqual(
            errors("data: {path: /, synthetic: true}\n"),
            ["1:28: data.path and data.synthetic exclude each other; keep one"])
    }

    func testYAMLSyntaxErrorsAndDuplicateKeysAreLocated() {
        let syntax = errors("data: {synthetic: true}\nmodel:\n  depth: [18\n  width: 3\n")
        XCTAssertEqual(syntax.count, 1)
        XCTAssertTrue(syntax[0].hasPrefix("5:1: invalid YAML") || syntax[0].contains("invalid YAML"), syntax[0])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nseed: 1\nseed: 2\n"), ["2:1: duplicate key 'seed' in one section"])
        XCTAssertEqual(errors("- a\n- b\n"), ["1:1: a spec is a section of key: value pairs, got a list"])
        XCTAssertEqual(
            errors("data: {synthetic: true}\nbase: &b {depth: 18}\nmodel:\n  <<: *b\n"),
            ["4:3: YAML merge keys ('<<') are not supported; use 'extends: other.yaml'"])
    }
}
