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
