import Foundation
import PostgresStore
import RunStore
import XCTest

/// The PostgreSQL server the PostgreSQL store tests use: `SER_TEST_POSTGRES_URL` (`.ci/run` starts one with
/// `tools/postgres-server`). Without it the tests skip with a printed reason, except in CI (`CI=true`), where
/// they fail.
public enum TestPostgres {
    public static let variable = "SER_TEST_POSTGRES_URL"

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "CI=true but \(TestPostgres.variable) is not set: .ci/run starts a server with tools/postgres-server"
        }
    }

    /// The server's URL, after emptying its `public` schema; throws `XCTSkip` (by hand) or fails (in CI) without one.
    public static func freshURL() throws -> PostgresURL {
        let environment = ProcessInfo.processInfo.environment
        guard let text = environment[variable], !text.isEmpty else {
            if environment["CI"] == "true" { throw Missing() }
            let reason =
                "\(variable) is not set; skipping the PostgreSQL store tests (tools/postgres-server start prints a URL)"
            print(reason)
            throw XCTSkip(reason)
        }
        let url = try PostgresURL(text)
        let database = try PostgresStoreDatabase(url: url, readOnly: false)
        try database.write { tx in
            try tx.execute("DROP SCHEMA IF EXISTS public CASCADE")
            try tx.execute("CREATE SCHEMA public")
        }
        return url
    }
}
