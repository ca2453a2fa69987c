import Foundation
import Plots
import RunStore
import StoreTestSupport
import TestSupport
import XCTest

@testable import Reports

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A report rendered from a real file-backed run store (see `ReportFixture`), checked for structure.
final class StoreReportTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUp() { directory = TemporaryDirectory("ser-store-report") }

    func testTwoRunReportFromTheStoreHasEveryChartAndIsSelfContained() throws {
        let made = try ReportFixture.make(in: directory)
        let html = try StoreReport.render(
            store: made.store, runIDs: made.runs, title: "Fixture", options: StoreReportOptions(topLosses: 9))
        if let path = ProcessInfo.processInfo.environment["SER_STORE_REPORT"], !path.isEmpty {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            let run = try StoreReport.runData(store: made.store, runID: made.runs[0])
            let lr = try XCTUnwrap(run.lrFinder)
            try LRFinderRaster.render(
                learningRates: lr.learningRates, losses: lr.losses,
                suggestions: lr.suggestions.map {
                    LRSuggestionMarker(method: $0.method, learningRate: $0.learningRate, loss: $0.loss)
                }
            ).writePNG(to: path + ".lr.png")
        }
        let doc = try parseXML(html)
        assertSelfContained(html, doc)

        // Per run: loss, scores, LR finder; validation counts + row-normalised heat-maps and per-class bars;
        // run 1 also the test set's three; 8 top-loss spectrograms each (the 9th file is gone). Plus the
        // comparison's 4 overlaid curves.
        let charts = elements(doc, "svg")
        XCTAssertEqual(charts.count, 4 + (3 + 6 + 8) + (3 + 3 + 8))
        XCTAssertEqual(elements(doc, "section", class: "run").count, 2)
        XCTAssertEqual(elements(doc, "section", class: "comparison").count, 1)

        // Every heat-map has classes² cells; six heat-maps in all.
        let n = ReportFixture.classes.count
        let heatmaps = try charts.map { try parseXML($0.xmlString) }.filter {
            !elements($0, "rect", class: "cell").isEmpty
        }
        XCTAssertEqual(heatmaps.count, 6)
        for map in heatmaps { XCTAssertEqual(elements(map, "rect", class: "cell").count, n * n) }

        // LR suggestions are named with their values, the one trained with marked.
        for label in ["minimum 2.2e-3", "steep 3.1e-5", "valley (used) 1.3e-3"] {
            XCTAssertTrue(html.contains(label), label)
        }
        let suggestionRows = try elements(doc, "table").filter { ($0.xmlString).contains("Suggested learning rates") }
            .flatMap { elements(try parseXML($0.xmlString), "tr") }
            .map { row in elements(try! parseXML(row.xmlString), "td").compactMap(\.stringValue) }.filter {
                !$0.isEmpty
            }
        XCTAssertEqual(suggestionRows.count, 6)  // three per run
        XCTAssertEqual(suggestionRows.first?.prefix(2), ["minimum", "2.20e-03"])
        XCTAssertEqual(suggestionRows[2].prefix(2), ["valley (used)", "1.30e-03"])

        // Top-loss spectrograms are PNG data URIs that decode to a PNG (signature and IHDR).
        let images = elements(doc, "image")
        XCTAssertEqual(images.count, 16)
        for image in images {
            let href = try XCTUnwrap(attribute(image, "href"))
            XCTAssertTrue(href.hasPrefix("data:image/png;base64,"))
            let png = try XCTUnwrap(Data(base64Encoded: String(href.dropFirst("data:image/png;base64,".count))))
            XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            XCTAssertEqual(String(decoding: png[12..<16], as: UTF8.self), "IHDR")
            // One row per mel band (40), at most 400 columns.
            let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            XCTAssertEqual(height, 40)
        }
        // Each top-loss picture plays its clip: compressed audio (Ogg/Opus, else FLAC) in a data URI, at most
        // 16 kHz and 8 s, so the page stays small (issue #24).
        let players = elements(doc, "audio")
        XCTAssertEqual(players.count, 16)
        for player in players {
            let src = try XCTUnwrap(attribute(player, "src"))
            let prefix = try XCTUnwrap(
                ["data:audio/ogg;codecs=opus;base64,", "data:audio/flac;base64,"].first {
                    src.hasPrefix($0)
                }, src.prefix(40) + "…")
            let sound = try XCTUnwrap(Data(base64Encoded: String(src.dropFirst(prefix.count))))
            XCTAssertEqual(String(decoding: sound.prefix(4), as: UTF8.self), prefix.contains("ogg") ? "OggS" : "fLaC")
            XCTAssertLessThan(sound.count, 8 * 16000 * 2, "compressed")
        }
        // The missing file is named in a note instead of breaking the report.
        let notes = elements(doc, "p", class: "note").compactMap(\.stringValue)
        XCTAssertEqual(notes.count, 2)
        XCTAssertTrue(notes.allSatisfy { $0.contains("gone.wav (audio file not found)") }, "\(notes)")

        // The comparison lists exactly the parameter that differs (the swept learning rate).
        let comparison = try parseXML(elements(doc, "section", class: "comparison")[0].xmlString)
        let rows = elements(try parseXML(elements(comparison, "table")[0].xmlString), "tr").map { row in
            elements(try! parseXML(row.xmlString), "td").compactMap(\.stringValue)
        }.filter { !$0.isEmpty }
        XCTAssertEqual(rows.map(\.first), ["train.lr"])
        XCTAssertEqual(rows.first?.dropFirst().map { Double($0) }, [0.001, 0.004])

        // Validation and test evaluations are both shown for run 1, under their names.
        let h3 = elements(doc, "h3").compactMap(\.stringValue)
        XCTAssertTrue(h3.contains("Confusion matrix (validation)"))
        XCTAssertTrue(h3.contains("Confusion matrix (test set)"))
        XCTAssertTrue(h3.contains("Confusion matrix"))  // run 2 has only validation
    }

    func testRunDataReadsMetricsCurvesAndTopLossesFromTheStore() throws {
        let made = try ReportFixture.make(in: directory)
        let data = try StoreReport.runData(
            store: made.store, runID: made.runs[0], options: StoreReportOptions(topLosses: 3, spectrograms: false))
        XCTAssertEqual(data.epochs.map(\.epoch), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(data.lrFinder?.learningRates.count, 100)
        XCTAssertEqual(data.lrFinder?.suggestions.map(\.method), ["minimum", "steep", "valley (used)"])
        XCTAssertEqual(data.metrics.first { $0.name == "Test accuracy" }?.value, 0.65)
        // UAR is the headline: first, next to accuracy, for the validation and the test split.
        XCTAssertEqual(Array(data.metrics.map(\.name).prefix(2)), ["UAR", "Accuracy"])
        let names = data.metrics.map(\.name)
        XCTAssertEqual(names.firstIndex(of: "Test UAR").map { $0 + 1 }, names.firstIndex(of: "Test accuracy"))
        XCTAssertEqual(data.confusion?.counts[0], [5, 1, 0, 0])
        // Per-class scores computed from the matrix: calm has precision 4/7, recall 4/6.
        let calm = try XCTUnwrap(data.perClass.first { $0.name == "calm" })
        XCTAssertEqual(calm.precision, 4.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(calm.recall, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(calm.support, 6)
        XCTAssertEqual(data.mostConfused.first, ReportConfusedPair(actual: "happy", predicted: "calm", count: 2))
        // Top losses are ordered by −log p(true class), highest first.
        XCTAssertEqual(data.topLosses.count, 3)
        let losses = data.topLosses.compactMap(\.loss)
        XCTAssertEqual(losses, losses.sorted(by: >))
        XCTAssertTrue(data.topLosses.allSatisfy { $0.actual != $0.predicted })
        // Beside the predicted class's probability, the true class's (as fastai shows): loss = −log P(true).
        for top in data.topLosses {
            let p = try XCTUnwrap(top.trueProbability, top.file)
            XCTAssertEqual(-log(p), try XCTUnwrap(top.loss), accuracy: 1e-9)
            XCTAssertLessThan(p, top.probability, top.file)
        }
        XCTAssertTrue(data.parameters.contains(ReportParameter("train.lr", "0.001")), "\(data.parameters.prefix(5))")
    }

    func testTopLossesWithoutProbabilitiesRankWrongAnswersByConfidence() {
        func p(_ path: String, _ label: String, _ predicted: String, _ confidence: Double) -> PredictionRecord {
            PredictionRecord(
                runId: 1, split: "valid", path: path, label: label, predicted: predicted, confidence: confidence)
        }
        let top = StoreReport.topLosses(
            [p("a", "x", "x", 0.4), p("b", "x", "y", 0.6), p("c", "y", "x", 0.9), p("d", "y", "y", 0.99)],
            labels: ["x", "y"], count: 3)
        XCTAssertEqual(top.map(\.path), ["c", "b", "a"])
        XCTAssertEqual(top[2].loss!, -log(0.4), accuracy: 1e-12)
    }
}

extension StoreReportTests {
    /// With `SER_REPORT_FIXTURE=/some/folder` set, leaves the fixture store there (for trying the commands
    /// by hand and for the README examples).
    func testFixtureCanBeKeptForTryingTheCommands() throws {
        let folder = ProcessInfo.processInfo.environment["SER_REPORT_FIXTURE"] ?? ""
        try XCTSkipIf(folder.isEmpty, "set SER_REPORT_FIXTURE to keep a fixture store")
        try? FileManager.default.removeItem(atPath: folder)
        _ = try ReportFixture.make(inFolder: folder)
    }

    func testTopLossFilesAreShownRelativeToTheirCommonFolder() {
        XCTAssertEqual(
            StoreReport.commonDirectory(["/d/ravdess/Actor_01/a.wav", "/d/ravdess/Actor_02/b.wav"]), "/d/ravdess/")
        XCTAssertEqual(StoreReport.commonDirectory(["/d/x/a.wav"]), "/d/x/")
        XCTAssertEqual(StoreReport.commonDirectory(["/a/x.wav", "/b/y.wav"]), "")
        XCTAssertEqual(StoreReport.commonDirectory(["a.wav", "b.wav"]), "")
        XCTAssertEqual(StoreReport.commonDirectory([]), "")
    }
}
