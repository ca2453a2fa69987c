import Foundation
import PNG
import TestSupport
import XCTest

@testable import Plots

final class CanvasTests: XCTestCase {
    func testPNGRoundTripKeepsDimensionsAndPixels() throws {
        var c = Canvas(width: 37, height: 21)
        c.fill(x: 3, y: 4, width: 5, height: 6, RGB(10, 200, 30))
        c.line(0, 20, 36, 0, .black)
        c.text("1.5 HZ", x: 2, y: 12, .blue)
        let dir = TemporaryDirectory()
        let path = dir.path("c.png")
        try c.writePNG(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])  // PNG signature
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
        func be32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(be32(16), 37)
        XCTAssertEqual(be32(20), 21)
        XCTAssertEqual(bytes[24], 8)  // bit depth
        XCTAssertEqual(bytes[25], 2)  // colour type RGB
        let decoded = try PNGFile.readRGB(path)
        XCTAssertEqual(decoded.width, 37)
        XCTAssertEqual(decoded.height, 21)
        XCTAssertEqual(decoded.rgb, c.pixels)
        XCTAssertEqual(c[4, 5], RGB(10, 200, 30))
    }

    func testReadingAMissingFileReportsLibpngsMessage() {
        XCTAssertThrowsError(try PNGFile.readRGB("/nonexistent/x.png")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.png: "), "\(error)")
        }
    }

    func testTextIsDrawnAndUnknownCharactersAreBlank() {
        var c = Canvas(width: 40, height: 10)
        c.text("8", x: 0, y: 0)
        XCTAssertEqual(c[1, 0], .black)  // top bar of the 8
        XCTAssertEqual(c[0, 0], .white)
        XCTAssertEqual(Canvas.textWidth("ab"), 11)
        var d = Canvas(width: 10, height: 10)
        d.text("~", x: 0, y: 0)
        XCTAssertEqual(d.pixels, Canvas(width: 10, height: 10).pixels)
    }

    func testColourMapsRunDarkToLight() {
        for map in [ColourMap.magma, .viridis] {
            func luminance(_ c: RGB) -> Double { 0.2126 * Double(c.r) + 0.7152 * Double(c.g) + 0.0722 * Double(c.b) }
            var previous = -1.0
            for i in 0...10 {
                let l = luminance(map.colour(Double(i) / 10))
                XCTAssertGreaterThan(l, previous, map.name)
                previous = l
            }
        }
        XCTAssertEqual(ColourMap.magma.colour(0), RGB(0, 0, 4))
        XCTAssertEqual(ColourMap.magma.colour(-3), ColourMap.magma.colour(0))
    }

    func testFigureDrawsTheSpectrogramWithItsColourMap() throws {
        let sr = 8000
        let wave = (0..<8000).map { Float(sin(Double($0) * 0.1)) * 0.5 }
        let rows = 16
        let frames = 80
        let spec = (0..<(rows * frames)).map { Float(-80 + 80 * Double($0 / frames) / Double(rows - 1)) }
        let figure = WaveformSpectrogramFigure(
            waveform: wave, sampleRate: sr, spectrogram: spec, rows: rows, frames: frames, frameSeconds: 1.0 / 80,
            frequencyTicks: [.init(position: 0, label: "0"), .init(position: 0.5, label: "1K")], title: "test")
        let c = figure.render(width: 600, height: 400)
        XCTAssertEqual(c.width, 600)
        // The spectrogram panel's top rows are the brightest colour, its bottom rows the darkest.
        let specTop = 52 + (400 - 140) * 30 / 100 + 50
        let specBottom = 400 - 70 - 1
        XCTAssertEqual(c[300, specTop + 1], ColourMap.magma.colour(1))
        XCTAssertEqual(c[300, specBottom - 1], ColourMap.magma.colour(0))
        if let out = ProcessInfo.processInfo.environment["SER_PLOT_OUT"] { try c.writePNG(to: out) }
    }

    func testNiceSteps() {
        XCTAssertEqual(WaveformSpectrogramFigure.niceStep(3.7), 0.5)
        XCTAssertEqual(WaveformSpectrogramFigure.niceStep(80, maxTicks: 6), 20)
        XCTAssertEqual(WaveformSpectrogramFigure.niceStep(0.5), 0.05)
    }
}
