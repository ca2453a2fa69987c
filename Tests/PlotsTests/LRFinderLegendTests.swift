import Foundation
import XCTest

@testable import Plots

/// Issue #24: the LR-finder PNG's legend never covers the curve (nor a suggestion's marker).
final class LRFinderLegendTests: XCTestCase {
    /// A fastai-shaped finder curve: flat at the start, a valley, then divergence up the right edge.
    static func fastaiCurve(count: Int = 100) -> (rates: [Double], losses: [Double]) {
        let rates = (0..<count).map { 1e-7 * pow(1e8, Double($0) / Double(count - 1)) }
        let losses = rates.map { lr -> Double in
            let x = log10(lr)
            return 2.1 - 0.9 * exp(-pow((x + 2.5) / 1.2, 2)) + (x > -1 ? pow(x + 1, 2) * 3 : 0)
        }
        return (rates, losses)
    }

    private func assertLegendClear(
        _ rates: [Double], _ losses: [Double], _ suggestions: [LRSuggestionMarker], height: Int = 560,
        file: StaticString = #filePath, line: UInt = #line
    ) -> LRFinderRaster.Geometry {
        let g = LRFinderRaster.geometry(
            learningRates: rates, losses: losses, suggestions: suggestions, lossLabel: "Loss (smoothed)", width: 900,
            height: height)
        let box = g.legend
        let inside = g.curvePixels(learningRates: rates, losses: losses).filter {
            $0.x >= box.x && $0.x < box.x + box.width && $0.y >= box.y && $0.y < box.y + box.height
        }
        XCTAssertEqual(inside.count, 0, "legend \(box) covers curve pixels \(inside.prefix(5))", file: file, line: line)
        for s in suggestions {
            let x = g.px(s.learningRate), y = Int(g.py(s.loss).rounded())
            XCTAssertFalse(
                x + 7 >= box.x && x - 7 < box.x + box.width && y + 7 >= box.y && y - 7 < box.y + box.height,
                "legend covers the \(s.method) marker", file: file, line: line)
        }
        return g
    }

    func testTheLegendAvoidsATypicalCurveAndItsMarkers() {
        let (rates, losses) = Self.fastaiCurve()
        let suggestions = [
            LRSuggestionMarker(method: "minimum", learningRate: rates[62], loss: losses[62]),
            LRSuggestionMarker(method: "valley", learningRate: rates[50], loss: losses[50]),
        ]
        let g = assertLegendClear(rates, losses, suggestions)
        XCTAssertFalse(g.legendOutside, "a corner is free for this curve")
        // The old fixed place (top right, inside the plot) would have covered the divergence.
        let old = (x: g.right - g.legend.width - 10, y: g.top + 10)
        let covered = g.curvePixels(learningRates: rates, losses: losses).filter {
            $0.x >= old.x && $0.x < old.x + g.legend.width && $0.y >= old.y && $0.y < old.y + g.legend.height
        }
        XCTAssertGreaterThan(covered.count, 0, "the curve is meant to run under the old legend")
    }

    func testACurveThroughEveryCornerPutsTheLegendBesideThePlot() {
        // A zigzag over most of the loss range, across the whole width, in a low picture (a plot 80 pixels
        // high): every corner's box would cross it.
        let rates = (0..<200).map { 1e-7 * pow(1e8, Double($0) / 199) }
        let losses = (0..<200).map { Double($0 % 2 == 0 ? 3 : 1) }
        let g = assertLegendClear(rates, losses, [], height: 220)
        XCTAssertTrue(g.legendOutside)
        XCTAssertGreaterThanOrEqual(g.legend.x, g.right)
        // The picture is still drawn at the requested size.
        let canvas = LRFinderRaster.render(learningRates: rates, losses: losses, suggestions: [], height: 220)
        XCTAssertEqual(canvas.width, 900)
    }
}
