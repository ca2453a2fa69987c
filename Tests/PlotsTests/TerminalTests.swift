import Plots
import TestSupport
import XCTest

final class TerminalTests: XCTestCase {
    func testSparklineUsesAllEightLevels() {
        XCTAssertEqual(Sparkline.render([1, 2, 3, 4, 5, 6, 7, 8]), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(Sparkline.render([0, 1]), "▁█")
        XCTAssertEqual(Sparkline.render([3, 3, 3]), "▄▄▄")
        XCTAssertEqual(Sparkline.render([1, .nan, 2]), "▁ █")
        XCTAssertEqual(Sparkline.render([]), "")
        // A falling loss.
        XCTAssertEqual(Sparkline.render([2.0, 1.2, 0.8, 0.6, 0.5]), "█▄▂▁▁")
    }

    func testSparklineResamplesLongSeries() {
        let values = (0..<100).map(Double.init)
        let line = Sparkline.render(values, maxWidth: 10)
        XCTAssertEqual(line.count, 10)
        XCTAssertEqual(line.first, "▁")
        XCTAssertEqual(line.last, "█")
        XCTAssertEqual(Sparkline.resample([1, 3, 5, 7], to: 2), [2, 6])
    }

    func testLabelledSparklineNamesRangeAndPositions() {
        let s = Sparkline.labelled("valid loss", [1.93, 1.2, 0.41, 0.5])
        XCTAssertEqual(s, "valid loss  1.93 █▅▁▁ 0.5  (min 0.41 @3, max 1.93 @1)")
    }

    func testConfusionGridShadesRowFractions() {
        XCTAssertEqual(TerminalConfusionGrid.shade(0), " ")
        XCTAssertEqual(TerminalConfusionGrid.shade(0.01), "░")
        XCTAssertEqual(TerminalConfusionGrid.shade(0.5), "▒")
        XCTAssertEqual(TerminalConfusionGrid.shade(0.6), "▓")
        XCTAssertEqual(TerminalConfusionGrid.shade(1), "█")
        let lines = TerminalConfusionGrid.render(
            classNames: ["happy", "sad"], counts: [[9, 1], [5, 5]], style: .plain)
        XCTAssertEqual(
            lines,
            [
                "true\\pred happy   sad",
                "happy      9 ██  1 ░░",
                "sad        5 ▒▒  5 ▒▒",
            ])
        XCTAssertFalse(lines.joined().contains("\u{1B}"))
    }

    func testConfusionGridUsesANSIBackgroundsWhenAllowed() {
        let lines = TerminalConfusionGrid.render(classNames: ["a", "b"], counts: [[4, 0], [1, 3]], style: .ansi256)
        XCTAssertTrue(lines[1].contains("\u{1B}[48;5;232m"))  // 100 % → darkest grey
        XCTAssertTrue(lines[1].contains("\u{1B}[48;5;255m"))  // 0 % → lightest
        XCTAssertEqual(terminalWidth(lines[1]), terminalWidth(lines[2]))
    }

    func testStyleDetectionHonoursTTYAndNO_COLOR() {
        XCTAssertEqual(TerminalStyle.detect(isTTY: true, environment: [:]), .ansi256)
        XCTAssertEqual(TerminalStyle.detect(isTTY: false, environment: [:]), .plain)
        XCTAssertEqual(TerminalStyle.detect(isTTY: true, environment: ["NO_COLOR": "1"]), .plain)
        XCTAssertEqual(TerminalStyle.detect(isTTY: true, environment: ["NO_COLOR": ""]), .ansi256)
        XCTAssertEqual(TerminalStyle.detect(isTTY: true, environment: ["TERM": "dumb"]), .plain)
    }

    func testTableAlignsColumns() {
        var table = TextTable(columns: [.init("Run"), .init("Accuracy", alignment: .right), .init("Note")])
        table.append(["lr1e-3", "70.6 %", "best"])
        table.append(["lr4e-3-wide", "9.2 %"])
        XCTAssertEqual(
            table.lines(),
            [
                "Run          Accuracy  Note",
                "───────────  ────────  ────",
                "lr1e-3         70.6 %  best",
                "lr4e-3-wide     9.2 %",
            ])
        table.headerRule = false
        XCTAssertEqual(table.lines().count, 3)
    }

    func testWidthIgnoresEscapesAndCountsWideCharacters() {
        XCTAssertEqual(terminalWidth("\u{1B}[1mbold\u{1B}[0m"), 4)
        XCTAssertEqual(terminalWidth("情感"), 4)
        XCTAssertEqual(terminalWidth("▁▂█"), 3)
        let table = TextTable(columns: [.init("A"), .init("B")], rows: [["情感", "x"], ["ab", "y"]])
        XCTAssertEqual(table.lines()[2], "情感  x")
        XCTAssertEqual(table.lines()[3], "ab    y")
    }
}

extension TerminalTests {
    func testSparklinesWithASharedRangeCompareByHeight() {
        XCTAssertEqual(Sparkline.render([1, 2], range: 0...2), "▅█")
        XCTAssertEqual(Sparkline.render([0, 1], range: 0...2), "▁▅")
        XCTAssertEqual(Sparkline.render([-5, 9], range: 0...2), "▁█")  // clamped
        XCTAssertEqual(Sparkline.render([3, 3], range: 3...3), "▄▄")
    }
}
