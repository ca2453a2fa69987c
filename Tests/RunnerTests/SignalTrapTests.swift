import Foundation
import Stopping
import XCTest

@testable import Runner

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C becomes a stop request (not an exit), and a second one reaches the repeat handler.
final class SignalTrapTests: XCTestCase {
    func testSIGINTSetsTheStopFlagAndASecondOneCallsTheRepeatHandler() throws {
        let flag = StopFlag()
        let first = expectation(description: "first")
        let second = expectation(description: "second")
        let trap = SignalTrap(flag: flag, onFirst: { _ in first.fulfill() }, onRepeat: { _ in second.fulfill() })
        defer { trap.cancel() }
        kill(getpid(), SIGINT)
        wait(for: [first], timeout: 5)
        XCTAssertTrue(flag.isRequested)
        XCTAssertEqual(flag.reason, "interrupted by Ctrl-C")
        kill(getpid(), SIGTERM)
        wait(for: [second], timeout: 5)
        XCTAssertEqual(flag.reason, "interrupted by Ctrl-C", "the first reason is kept")
        flag.reset()
        XCTAssertFalse(flag.isRequested)
    }
}
