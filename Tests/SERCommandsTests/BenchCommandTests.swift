import XCTest

@testable import SERCommands

final class BenchCommandTests: XCTestCase {
    func testBenchListenMeasuresWithOneLanePerCore() throws {
        // The latency it reports is that of `ser listen`, which runs one lane per core.
        try assertSwitchesToOneLanePerCore {
            try BenchListen.parse(["--seconds", "3.5", "--depth", "10", "--window", "3s", "--hop", "0.5s", "--json"])
                .run()
        }
    }
}
