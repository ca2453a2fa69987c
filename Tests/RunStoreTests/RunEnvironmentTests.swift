import Checksum
import Foundation
import GRDB
import TestSupport
import XCTest

@testable import RunStore

/// The environment recorded per run (v6) and `ser eval --store` evaluations (v7).
/// `PostgresRunEnvironmentTests` runs them on a PostgreSQL store.
class RunEnvironmentTests: XCTestCase {
    func makeStore() throws -> RunStore { try RunStore.inMemory() }

    static func environment(cpu: String = "Intel Xeon", core: String = "SkylakeX", threads: Int = 2) -> RunEnvironment {
        RunEnvironment(
            cpuModel: cpu, cores: 2, os: "Linux 6.1", host: "h", blasLibrary: "OpenBLAS", blasVersion: "0.3.21",
            blasCore: core, blasCoreForced: false, threads: threads, blasThreads: 1, serVersion: "test")
    }

    func makeRun(_ store: RunStore) throws -> Int64 {
        let experimentID = try store.findOrCreateExperiment(name: "exp").id!
        return try store.createRun(
            experimentID: experimentID, name: "r", specYAML: "seed: 1\n", specHash: SHA256.hex(of: "seed: 1\n"),
            seed: 1, toolVersion: "test")
    }

    func testAnEnvironmentIsAddedOnlyWhenItDiffersFromTheRunsLatest() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        XCTAssertEqual(try store.environments(of: id), [])
        XCTAssertTrue(try store.recordEnvironment(Self.environment(), runID: id))
        // A resume on the same machine adds nothing; on another (other kernels), a second row.
        XCTAssertFalse(try store.recordEnvironment(Self.environment(), runID: id))
        XCTAssertTrue(try store.recordEnvironment(Self.environment(cpu: "AMD EPYC", core: "Zen"), runID: id))
        let recorded = try store.environments(of: id)
        XCTAssertEqual(recorded.map(\.seq), [1, 2])
        XCTAssertEqual(recorded.map(\.environment.blasCore), ["SkylakeX", "Zen"])
        XCTAssertEqual(try store.detail(of: id).environments, recorded)
        // Deleting the run deletes its environments.
        try store.deleteRun(id)
        XCTAssertEqual(try store.environments(of: id), [])
    }

    func testAStoredEvaluationRoundTripsAndADamagedOneIsNamed() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        let evaluation = StoredEvaluationRecord(
            runId: id, modelPath: "/m.safetensors", modelSha256: "ab", dataPath: "/corpus", layout: "folders",
            files: 4, excluded: 1, accuracy: 0.75, balancedAccuracy: 0.7, f1Macro: 0.68, labels: ["a", "b"],
            confusion: [[2, 0], [1, 1]],
            perClass: [.init(label: "a", precision: 0.67, recall: 1, f1: 0.8, support: 2)],
            recordedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let stored = try store.recordStoredEvaluation(evaluation)
        XCTAssertNotNil(stored.id)
        XCTAssertEqual(try store.storedEvaluations(of: id), [stored])
        XCTAssertEqual(try store.detail(of: id).storedEvaluations, [stored])
        try store.write { tx in try tx.execute("UPDATE stored_evaluation SET confusion = '[[1]]'") }
        XCTAssertThrowsError(try store.storedEvaluations(of: id)) { error in
            XCTAssertTrue("\(error)".contains("stored_evaluation, row id \(stored.id!), column confusion"), "\(error)")
        }
    }

    func testTheSourceOfAnEvaluationMustBeThisStoresRun() throws {
        let store = try makeStore()
        let id = try makeRun(store)
        XCTAssertEqual(
            try store.checkEvaluationSource(model: "m", runID: id, specHash: SHA256.hex(of: "seed: 1\n")), id)
        XCTAssertThrowsError(try store.checkEvaluationSource(model: "m", runID: nil, specHash: nil)) { error in
            XCTAssertEqual(error as? StoredEvaluationError, .noSourceRun(model: "m"))
        }
        XCTAssertThrowsError(try store.checkEvaluationSource(model: "m", runID: 9, specHash: nil)) { error in
            XCTAssertEqual(error as? StoredEvaluationError, .sourceRunMissing(model: "m", run: 9, store: store.path))
        }
        XCTAssertThrowsError(try store.checkEvaluationSource(model: "m", runID: id, specHash: "other")) { error in
            XCTAssertEqual(error as? StoredEvaluationError, .sourceRunMismatch(model: "m", run: id, store: store.path))
        }
    }
}
