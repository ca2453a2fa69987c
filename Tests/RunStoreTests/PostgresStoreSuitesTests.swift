import Foundation
import PostgresStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import RunStore

/// The parameter, group and view tests on a PostgreSQL store (skipped without `SER_TEST_POSTGRES_URL`, except in CI).
final class PostgresParamsGroupsTests: ParamsGroupsTests {
    var url: PostgresURL!
    let artifacts = TemporaryDirectory()

    override func setUpWithError() throws {
        try super.setUpWithError()
        url = try TestPostgres.freshURL()
    }

    override func makeStore() throws -> RunStore {
        try RunStore.postgres(url: url, artifacts: artifacts.path("root"), readOnly: false)
    }

    /// A writing open of a PostgreSQL store fills the parameters of runs recorded before `v5-params-groups`.
    override func testAWritingOpenFillsTheParametersOfOlderRunsFromTheirSpecAndSkipsOnesThatDoNotParse() throws {
        let store = try makeStore()
        let good = try makeRun(store, depth: 18)
        let bad = try makeRun(store, depth: 34)
        try store.database.write { tx in
            try tx.execute("DELETE FROM param")
            try tx.execute("UPDATE run SET spec_yaml = 'not: [a spec' WHERE id = ?", [bad])
        }
        let source: SpecParameterSource = { yaml in
            guard yaml.hasPrefix("seed") else { throw RunStoreError.unknownMetric(yaml) }
            return [ParamRecord(key: "seed", value: "1", type: "int")]
        }
        let reopened = try RunStore.postgres(
            url: url, artifacts: artifacts.path("root"), readOnly: false, parameters: source)
        XCTAssertEqual(try reopened.parameters(of: good).map(\.key), ["seed"])
        XCTAssertEqual(try reopened.parameters(of: bad), [])
    }
}

/// A PostgreSQL store opened without its artifact root (`runs`, `show`, `compare`, `query`, `eval --store`) reads
/// and writes rows but never a run's files: it does not know where they are.
final class PostgresStoreWithoutArtifactRootTests: XCTestCase {
    func testRowsAreReadAndWrittenButNoRunFolderIsTouched() throws {
        let url = try TestPostgres.freshURL()
        let root = TemporaryDirectory()
        let store = try RunStore.postgres(url: url, artifacts: root.path("root"), readOnly: false)
        let experiment = try store.findOrCreateExperiment(name: "e").id!
        let id = try store.createRun(
            experimentID: experiment, name: "r", specYAML: "seed: 1\n", specHash: "h", seed: 1, toolVersion: "t")
        try store.markRunning(id)
        try FailureNote(status: .failed, reason: "disk full", recordedAt: Date()).write(
            in: try store.prepareRunFolder(id))
        let rowsOnly = try RunStore.postgres(url: url, artifacts: nil, readOnly: false)
        XCTAssertFalse(rowsOnly.hasArtifactRoot)
        XCTAssertEqual(try rowsOnly.run(id)?.status, .running, "a failure note it cannot see is left for later")
        XCTAssertNil(rowsOnly.failureNote(of: id))
        XCTAssertThrowsError(try rowsOnly.prepareRunFolder(id + 1)) {
            XCTAssertTrue("\($0)".contains("--artifacts DIR"), "\($0)")
        }
        try rowsOnly.heartbeat(id)
        XCTAssertEqual(
            try RunStore.postgres(url: url, artifacts: root.path("root"), readOnly: false).run(id)?.status, .failed)
    }
}

/// The environment and stored-evaluation tests on a PostgreSQL store.
final class PostgresRunEnvironmentTests: RunEnvironmentTests {
    var url: PostgresURL!
    let artifacts = TemporaryDirectory()

    override func setUpWithError() throws {
        try super.setUpWithError()
        url = try TestPostgres.freshURL()
    }

    override func makeStore() throws -> RunStore {
        try RunStore.postgres(url: url, artifacts: artifacts.path("root"), readOnly: false)
    }
}

/// The worker-queue tests on a PostgreSQL store: each `makeStore()` is its own connection, as another worker's,
/// and claims lock rows `FOR UPDATE SKIP LOCKED`.
final class PostgresQueueTests: QueueTests {
    var url: PostgresURL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        url = try TestPostgres.freshURL()
    }

    override func makeStore() throws -> RunStore {
        try RunStore.postgres(url: url, artifacts: directory.path("root"), readOnly: false)
    }

    override func makeReader() throws -> RunStore {
        try RunStore.postgres(url: url, artifacts: directory.path("root"), readOnly: true)
    }
}
