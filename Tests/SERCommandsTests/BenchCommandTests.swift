import Foundation
import NeuralNet
import XCTest

@testable import SERCommands

final class BenchCommandTests: XCTestCase {
    func testBenchListenMeasuresWithOneLanePerCore() throws {
        // The latency it reports is that of `ser listen`, which runs one lane per core.
        let outside = Engine.settings.with(\.threads, 1).with(\.blasThreads, 2)
        let measured = try Engine.with(outside) {
            let measured = try BenchListen.parse([
                "--seconds", "3.5", "--depth", "10", "--window", "3s", "--hop", "0.5s", "--json",
            ]).measure()
            XCTAssertEqual(Engine.settings, outside, "the benchmark's settings outlived it")
            return measured
        }
        // The settings in force during the measurement, as its output reports them.
        XCTAssertEqual(measured.engine.threads, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertEqual(measured.engine.blasThreads, 1)
        XCTAssertFalse(measured.blasCore.isEmpty)
        XCTAssertGreaterThan(measured.latency.count, 0)
    }
}
