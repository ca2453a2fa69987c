import Foundation
import RunStore
import TestSupport
import XCTest

@testable import Runner
@testable import Specs

/// Flattening a resolved spec into `param` rows, and the groups `ser run` records for folds and sweeps.
final class SpecParametersTests: XCTestCase {
    func testEveryResolvedKeyIsOneParameterWithItsType() throws {
        let fixture = SpecFixture()
        fixture.write(
            "s.yaml",
            """
            name: p
            data: {synthetic: true, emotions: [happy, sad]}
            model: {depth: 18}
            train: {augment: {mixup: {alpha: 0.2}}, lr: 1.0e-3}
            """)
        let run = try XCTUnwrap(fixture.load("s.yaml").runs.first)
        let parameters = try SpecParameters.flatten(yaml: run.yaml)
        let byKey = Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, $0) })
        XCTAssertEqual(byKey["model.depth"], SpecParameter(key: "model.depth", value: "18", type: .int))
        XCTAssertEqual(byKey["train.augment.mixup.alpha"]?.value, "0.2")
        XCTAssertEqual(byKey["train.augment.mixup.alpha"]?.type, .float)
        XCTAssertEqual(byKey["train.lr"], SpecParameter(key: "train.lr", value: "0.001", type: .float))
        XCTAssertEqual(byKey["features.center"], SpecParameter(key: "features.center", value: "true", type: .bool))
        XCTAssertEqual(byKey["split.kind"], SpecParameter(key: "split.kind", value: "random", type: .string))
        XCTAssertEqual(
            byKey["data.emotions"], SpecParameter(key: "data.emotions", value: #"["happy","sad"]"#, type: .list))
        XCTAssertEqual(byKey["lr_finder.suggest"]?.type, .list)
        XCTAssertNil(byKey["data.path"], "a null key has no parameter")
        XCTAssertNil(byKey["train.augment"], "sections are prefixes, not parameters")
        XCTAssertEqual(parameters.map(\.key), parameters.map(\.key).sorted())
        // The JSON of a list parses back.
        let list = try JSONSerialization.jsonObject(with: Data(byKey["data.emotions"]!.value.utf8)) as? [String]
        XCTAssertEqual(list, ["happy", "sad"])
        XCTAssertThrowsError(try SpecParameters.flatten(yaml: "a: [1, 2\n"))
    }

    func testEnqueueRecordsParametersAndGroupsFoldsPerSweepCombination() throws {
        let fixture = SpecFixture()
        fixture.write(
            "k.yaml",
            """
            name: k
            data: {synthetic: true}
            split: {kind: kfold_speakers, k: 3}
            sweep: {model.depth: [10, 18]}
            """)
        let plan = try fixture.load("k.yaml")
        let store = try RunStore.inMemory()
        let ids = try plan.enqueue(in: store, toolVersion: "test")
        XCTAssertEqual(ids.count, 6)
        XCTAssertEqual(try store.parameters(of: ids[4]).first { $0.key == "split.fold" }?.value, "2")
        XCTAssertEqual(try store.parameters(of: ids[4]).first { $0.key == "model.depth" }?.value, "18")
        let groups = try store.groups(experiment: "k")
        XCTAssertEqual(groups.map(\.kind), [.kfold, .kfold, .sweep])
        XCTAssertEqual(groups.map(\.label), ["model.depth=10", "model.depth=18", ""])
        XCTAssertEqual(groups.map(\.runIds), [Array(ids[0..<3]), Array(ids[3..<6]), ids])
        // A single run is no group.
        fixture.write("one.yaml", "name: one\ndata: {synthetic: true}\n")
        try fixture.load("one.yaml").enqueue(in: store, toolVersion: "test")
        XCTAssertEqual(try store.groups(experiment: "one").count, 0)
    }
}
