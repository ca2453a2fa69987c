import Features
import Foundation
import Inference
import XCTest

/// `ser predict --tta N`'s views: crops or pads at evenly spaced positions, each the model's width.
final class TestTimeViewsTests: XCTestCase {
    func testViewsAreEvenlySpacedCropsOrPads() throws {
        let bundle = try randomBundle(depth: 10, stem: .smallInput, seed: 1)
        let matrices = sampleMatrices()  // 31, 40, 57 and 40 frames; the model takes 40
        let long = matrices[2], short = matrices[0]
        XCTAssertEqual(bundle.testTimeViews(of: long, count: 1), [long.fitted(toFrames: 40, mode: .center)])
        let crops = bundle.testTimeViews(of: long, count: 3)
        XCTAssertEqual(crops, [long.frames(0..<40), long.frames(9..<49), long.frames(17..<57)])
        let pads = bundle.testTimeViews(of: short, count: 2)
        XCTAssertEqual(pads.map(\.frames), [40, 40])
        for r in 0..<16 {
            let row = short.row(r), floor = row.min()!
            XCTAssertEqual(pads[0].row(r), row + Array(repeating: floor, count: 9))
            XCTAssertEqual(pads[1].row(r), Array(repeating: floor, count: 9) + row)
        }
        XCTAssertEqual(bundle.testTimeViews(of: matrices[1], count: 4), Array(repeating: matrices[1], count: 4))
    }
}
