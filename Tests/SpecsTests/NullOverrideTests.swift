import XCTest

@testable import Specs

/// `--set key=null` and `key: null` over a base spec remove the inherited value; errors name where the
/// offending value came from.
final class NullOverrideTests: XCTestCase {
    private let base = """
        name: base
        data: {synthetic: {actors: 4, seed: 3}}
        model: {depth: 18}
        train: {epochs: 7}
        split:
          kind: speakers
          valid: [1, 2]

        """

    func testSetNullRemovesAnInheritedKeyThatTheNewKindDoesNotTake() throws {
        let fixture = SpecFixture()
        fixture.write("base.yaml", base)
        let plan = try fixture.load("base.yaml", overrides: ["split.kind=random", "split.valid=null"])
        XCTAssertEqual(plan.runs.first?.spec.split.kind, .random)
        XCTAssertNil(plan.runs.first?.spec.split.valid)
    }

    func testNullInAChildSpecRemovesTheBasesValue() throws {
        let fixture = SpecFixture()
        fixture.write("base.yaml", base)
        fixture.write("child.yaml", "extends: base.yaml\nsplit: {kind: random, valid: null}\n")
        let plan = try fixture.load("child.yaml")
        XCTAssertEqual(plan.runs.first?.spec.split.kind, .random)
        XCTAssertNil(plan.runs.first?.spec.split.valid)
    }

    func testNullOnAKeyThatCannotBeNullBringsBackItsDefault() throws {
        let fixture = SpecFixture()
        fixture.write("base.yaml", base)
        fixture.write("child.yaml", "extends: base.yaml\ntrain: {epochs: null}\n")
        XCTAssertEqual(try fixture.load("child.yaml").runs.first?.spec.train.epochs, 20)
        XCTAssertEqual(try fixture.load("base.yaml", overrides: ["model.depth=null"]).runs.first?.spec.model.depth, 34)
        // The name removed is the file's name again, as when it is left out.
        fixture.write("other.yaml", base)
        XCTAssertEqual(try fixture.load("other.yaml", overrides: ["name=null"]).name, "other")
    }

    func testNullOnANullableKeyIsTheValueNullNotTheDefault() throws {
        let fixture = SpecFixture()
        fixture.write("base.yaml", base + "features: {db: {top_db: 60}}\n")
        XCTAssertEqual(try fixture.load("base.yaml").runs.first?.spec.features.db.topDB, 60)
        let plan = try fixture.load("base.yaml", overrides: ["features.db.top_db=null"])
        XCTAssertNil(plan.runs.first?.spec.features.db.topDB, "null: no floor, not the default 80 dB")
    }

    func testAnErrorPointsAtTheChildThatChangedTheKeyNotTheBase() throws {
        let fixture = SpecFixture()
        fixture.write("base.yaml", "name: base\ndata: {synthetic: true}\nsplit: {kind: speakers, valid: [1]}\n")
        let child = fixture.write("child.yaml", "extends: base.yaml\nsplit:\n  kind: random\n  valid: [3]\n")
        let errors = fixture.errors("child.yaml")
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors.first?.location?.file, child)
        XCTAssertEqual(errors.first?.location?.line, 4)
    }

    func testAnErrorAboutAnInheritedKeyNamesTheSetArgumentThatChangedTheKind() throws {
        let fixture = SpecFixture()
        let basePath = fixture.write("base.yaml", base)
        let errors = fixture.errors("base.yaml", overrides: ["split.kind=random"])
        XCTAssertEqual(errors.count, 1)
        // The value is the base's (line 7); the message names the --set argument that made it wrong.
        XCTAssertEqual(errors.first?.location?.file, basePath)
        XCTAssertEqual(errors.first?.location?.line, 7)
        XCTAssertTrue(errors.first?.message.contains("--set split.kind=random") ?? false, errors.description)
        // A value given with --set is located at that argument.
        let set = fixture.errors("base.yaml", overrides: ["train.epochs=0"])
        XCTAssertEqual(set.first?.location?.description, "--set train.epochs=0")
    }
}
