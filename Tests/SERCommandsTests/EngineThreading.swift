import BLAS
import Foundation
import NeuralNet
import XCTest

/// Runs `body` from the library's default threading (one lane, OpenBLAS threading each product), restores the
/// previous setting afterwards, and asserts that the command switched to one lane per core with
/// single-threaded OpenBLAS, the setting `ser bench train` and `ser bench listen` measure.
func assertSwitchesToOneLanePerCore<T>(
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) rethrows -> T {
    let (lanes, blasThreads) = (Engine.threadCount, BLASKernels.threadCount)
    Engine.threadCount = 1
    BLASKernels.setThreadCount(2)
    defer { Engine.threadCount = lanes; BLASKernels.setThreadCount(blasThreads) }
    let result = try body()
    XCTAssertEqual(Engine.threadCount, ProcessInfo.processInfo.activeProcessorCount, file: file, line: line)
    XCTAssertEqual(BLASKernels.threadCount, 1, file: file, line: line)
    return result
}
