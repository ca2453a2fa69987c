import ArgumentParser
import Foundation
import PNG
import RSVG
import RunStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import SERCommands

/// `ser report`, `ser lr-find`, and the pictures of `ser show`/`ser compare`, on a real file-backed store.
final class ReportCommandsTests: XCTestCase {
    var directory: TemporaryDirectory!
    var made: ReportFixture.Made!
    var path: String { made.storePath }

    override func setUpWithError() throws {
        directory = TemporaryDirectory("ser-report-commands")
        made = try ReportFixture.make(in: directory)
    }

    func parse<T: ParsableCommand>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let command = try SER.parseAsRoot(arguments)
        return try XCTUnwrap(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    func testReportWritesOnePageForRunsNamedByIdNameOrExperiment() throws {
        let out = directory.path("out/report.html")
        let line = try parse(Report.self, ["report", "1", "fixture [train.lr=0.004]", "-o", out, "--store", path])
            .write()
        XCTAssertTrue(line.hasPrefix("Wrote \(out) (2 runs, "), line)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("id=\"comparison\""))
        XCTAssertEqual(html.components(separatedBy: "<section id=\"run-").count - 1, 2)
        // 6 top losses each, drawn unless their file is the one that is gone.
        let pictures = html.components(separatedBy: "data:image/png;base64,").count - 1
        let gone = html.components(separatedBy: "gone.wav (audio file not found)").count - 1
        XCTAssertEqual(pictures + gone, 12)
        XCTAssertGreaterThanOrEqual(pictures, 10)
        XCTAssertFalse(html.contains("src=\"http") || html.contains("href=\"http"))

        let byExperiment = directory.path("exp.html")
        let quick = try parse(
            Report.self,
            ["report", "--experiment", "fixture", "-o", byExperiment, "--store", path, "--no-spectrograms"]
        ).write()
        XCTAssertTrue(quick.contains("(2 runs, "), quick)
        let page = try String(contentsOfFile: byExperiment, encoding: .utf8)
        XCTAssertFalse(page.contains("data:image/png"))

        XCTAssertThrowsError(try parse(Report.self, ["report", "-o", out, "--store", path]))
        XCTAssertThrowsError(try parse(Report.self, ["report", "nope", "-o", out, "--store", path]).write()) {
            XCTAssertTrue("\($0)".contains("no run named 'nope'"), "\($0)")
        }
        XCTAssertThrowsError(try parse(Report.self, ["report", "9", "-o", out, "--store", path]).write())
    }

    func testShowDrawsSparklinesAndAShadedConfusionGrid() throws {
        let text = try parse(Show.self, ["show", "1", "--store", path]).output()
        XCTAssertTrue(text.contains("Curves (epoch 1 → 6):"), text)
        let curveLines = text.split(separator: "\n").filter {
            $0.hasPrefix("  train loss") || $0.hasPrefix("  valid loss")
        }
        XCTAssertEqual(curveLines.count, 2, text)
        // Training loss falls every epoch: the sparkline runs from the top block to the bottom one.
        XCTAssertTrue(text.contains("  train loss  1.250 █"), text)
        XCTAssertTrue(curveLines[0].contains("▁ 0.500"), text)
        XCTAssertTrue(text.contains("loss from lr 1.00e-07 to 1.00e+01"), text)
        // The grid: header, one row per class, counts with shades of their row share.
        XCTAssertTrue(text.contains("true\\pred neut…  calm happy   sad"), text)
        XCTAssertTrue(text.contains("neutral    5 ██  1 ░░  0     0"), text)
        XCTAssertTrue(text.contains("Test: UAR ") && text.contains(", accuracy 0.6500, F1 macro"), text)
        let ansi = try parse(Show.self, ["show", "1", "--store", path]).output(style: .ansi256)
        XCTAssertTrue(ansi.contains("\u{1B}[48;5;"), "no ANSI grey backgrounds")
    }

    func testCompareAddsASparklineOfTheMetricPerRun() throws {
        let text = try parse(Compare.self, ["compare", "--store", path, "--metric", "valid_loss"]).output()
        // The table, then the fixture's sweep group with its stored aggregates.
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("group ") }
        XCTAssertTrue(text.contains("group 1 (fixture, sweep, runs 1,2): final_accuracy"), text)
        XCTAssertTrue(lines[0].hasSuffix("PER EPOCH"), text)
        XCTAssertEqual(lines.count, 3, text)
        for line in lines.dropFirst() {
            XCTAssertEqual(line.suffix(6).filter { "▁▂▃▄▅▆▇█".contains($0) }.count, 6, text)
        }
        let test = try parse(Compare.self, ["compare", "--store", path, "--metric", "test_accuracy"]).output()
        XCTAssertTrue(test.split(separator: "\n")[1].hasSuffix("-"), test)
    }

    func testLRFindReplotsARecordedFinderAsPNGAndSVG() throws {
        let png = directory.path("plots/lr.png")
        let svg = directory.path("plots/lr.svg")
        let text = try parse(LRFind.self, ["lr-find", "--run", "1", "--store", path, "--png", png, "--svg", svg])
            .output()
        for expected in ["METHOD", "valley (used)", "1.30e-03", "steep", "3.10e-05", "Wrote \(png)", "Wrote \(svg)"] {
            XCTAssertTrue(text.contains(expected), "missing \(expected) in\n\(text)")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Issue #24: the PNG is the SVG chart rendered by librsvg at twice its size (not the bitmap-font
        // raster, 900 pixels wide, whose text is upper case only): anti-aliased edges and text give it many
        // shades, where the raster has a handful of flat colours.
        XCTAssertFalse(text.contains("bitmap font"), text)
        let picture = try PNGFile.readRGB(png)
        XCTAssertEqual(picture.width, 1280)
        var shades = Set<UInt32>()
        for i in stride(from: 0, to: picture.rgb.count, by: 3) {
            shades.insert(UInt32(picture.rgb[i]) << 16 | UInt32(picture.rgb[i + 1]) << 8 | UInt32(picture.rgb[i + 2]))
        }
        XCTAssertGreaterThan(shades.count, 200)
        let svgText = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(svgText.hasPrefix("<svg") && svgText.contains("valley 1.3e-3"), String(svgText.prefix(200)))
        XCTAssertThrowsError(try SER.parseAsRoot(["lr-find"]))
        XCTAssertThrowsError(try SER.parseAsRoot(["lr-find", "a.yaml", "--run", "1"]))
    }

    /// librsvg renders text (real glyphs: the text's pixels differ from the same picture without it) and names
    /// what it cannot read.
    func testSVGRendererDrawsTextAndReportsBadInput() throws {
        func svg(_ body: String) -> String {
            """
            <svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#fff"/>\(body)</svg>
            """
        }
        let blank = try SVGRenderer.rgb(svg: svg(""))
        let text = try SVGRenderer.rgb(
            svg: svg("<text x=\"4\" y=\"28\" font-family=\"DejaVu Sans\" font-size=\"20\">Hz dB 1e-7</text>"))
        XCTAssertEqual(text.width, 120)
        XCTAssertEqual(text.height, 40)
        XCTAssertEqual(blank.rgb.count, text.rgb.count)
        let inked = zip(blank.rgb, text.rgb).filter { $0 != $1 }.count
        XCTAssertGreaterThan(inked, 300, "no text was drawn")
        XCTAssertEqual(try SVGRenderer.rgb(svg: svg(""), scale: 2).width, 240)
        XCTAssertThrowsError(try SVGRenderer.rgb(svg: "<svg")) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot render the SVG picture: "), "\(error)")
        }
    }

    func testLRFindRunsTheFinderOfASpecOnATinySyntheticCorpus() throws {
        let spec = directory.path("tiny.yaml")
        try """
        name: tiny
        seed: 5
        data: {synthetic: {actors: 2, seed: 1}}
        audio: {sample_rate: 8000, duration: 1.0}
        features: {n_fft: 256, hop_length: 80, n_mels: 24}
        model: {depth: 10, width: 8, stem: small}
        lr_finder: {num_it: 24, suggest: [minimum, steep, valley]}
        train: {batch_size: 16, lr: valley}
        split: {kind: speakers, valid: [2]}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let png = directory.path("lr.png")
        let store = directory.path("fresh/ser.sqlite")
        let text = try parse(LRFind.self, ["lr-find", spec, "--store", store, "--png", png]).output()
        XCTAssertTrue(text.hasPrefix("24 steps, lr 1.0e-07 → "), text)
        for method in ["minimum", "steep", "valley (used)"] {
            XCTAssertTrue(text.contains("\n" + method + " "), "missing \(method) in\n\(text)")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // The finder records nothing: no store is created.
        XCTAssertFalse(FileManager.default.fileExists(atPath: store))
        // A sweep must be pinned.
        XCTAssertThrowsError(
            try parse(LRFind.self, ["lr-find", spec, "--store", store, "--set", "sweep.model.width=[8,16]"]).output()
        ) { XCTAssertTrue("\($0)".contains("expands to 2 runs"), "\($0)") }
    }

    /// The whole path on a real run: `ser run` trains a tiny model on a tiny synthetic corpus and records
    /// it; `ser report` then draws it, top-loss spectrograms from the corpus files included.
    func testReportOfARealTinyRun() throws {
        let spec = directory.path("real.yaml")
        try """
        name: real-tiny
        seed: 7
        data: {synthetic: {actors: 2, seed: 1}}
        audio: {sample_rate: 8000, duration: 1.0}
        features: {n_fft: 256, hop_length: 80, n_mels: 24}
        model: {depth: 10, width: 8, stem: small}
        lr_finder: {num_it: 16, suggest: [minimum, valley]}
        train: {epochs: 2, batch_size: 16, lr: valley}
        split: {kind: speakers, valid: [2]}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let store = directory.path("real/ser.sqlite")
        let outcomes = try parse(RunCommand.self, ["run", spec, "--store", store]).perform(
            output: .silent, log: { _ in }, trap: false)
        XCTAssertEqual(outcomes.map(\.status), [.finished])
        let out = directory.path("real.html")
        _ = try parse(Report.self, ["report", "real-tiny", "-o", out, "--store", store, "--top-losses", "3"]).write()
        let html = try String(contentsOfFile: out, encoding: .utf8)
        // Loss and score curves, LR finder, two heat-maps, per-class bars, three spectrograms.
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 3 + 2 + 1 + 3)
        XCTAssertEqual(html.components(separatedBy: "data:image/png;base64,").count - 1, 3)
        XCTAssertEqual(html.components(separatedBy: "class=\"cell\"").count - 1, 2 * 8 * 8)
        XCTAssertTrue(html.contains("valley (used)"))
        XCTAssertFalse(html.contains("class=\"note\""), "every top-loss file should still exist")
        let show = try parse(Show.self, ["show", "1", "--store", store]).output()
        XCTAssertTrue(show.contains("Curves (epoch 1 → 2):") && show.contains("true\\pred"), show)
    }
}
