import BLAS
import Foundation
import NeuralNet
import XCTest

/// Runs `body` from the library's default threading (one lane per core, OpenBLAS threading each product)
/// and asserts that the command ran with one lane per core and single-threaded OpenBLAS, the setting
/// `ser bench train` and `ser bench listen` measure, and restored the previous settings when it ended.
/// `body` is given a closure to call while the command works (from a log line or an output line), which
/// records the settings in force at that moment.
func assertSwitchesToOneLanePerCore<T>(
    file: StaticString = #filePath, line: UInt = #line, _ body: (_ observe: @escaping () -> Void) throws -> T
) rethrows -> T {
    let outside = Engine.settings.with(\.threads, 1).with(\.blasThreads, 2)
    let observed = ObservedSettings()
    let result = try Engine.with(outside) {
        let result = try body { observed.record(Engine.settings) }
        XCTAssertEqual(Engine.settings, outside, "the command's settings outlived it", file: file, line: line)
        return result
    }
    let seen = observed.values
    XCTAssertFalse(seen.isEmpty, "nothing observed while the command ran", file: file, line: line)
    for settings in seen {
        XCTAssertEqual(settings.threads, ProcessInfo.processInfo.activeProcessorCount, file: file, line: line)
        XCTAssertEqual(settings.blasThreads, 1, file: file, line: line)
    }
    return result
}

/// Settings recorded from whichever thread a command logs on.
private final class ObservedSettings: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Engine.Settings] = []
    var values: [Engine.Settings] { lock.withLock { recorded } }
    func record(_ settings: Engine.Settings) { lock.withLock { recorded.append(settings) } }
}
