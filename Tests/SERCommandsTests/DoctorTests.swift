import XCTest

@testable import SERCommands

final class DoctorTests: XCTestCase {
    func testReportNamesEveryLibraryAndTheActiveCore() throws {
        let report = DoctorReport.gather(measureSeconds: 0)
        XCTAssertNil(report.sgemmGFLOPS)
        XCTAssertTrue(report.libsndfile.hasPrefix("libsndfile-"), report.libsndfile)
        XCTAssertTrue(report.libFLAC.first?.isNumber == true, report.libFLAC)
        XCTAssertTrue(report.fftw.hasPrefix("fftw-3"), report.fftw)
        XCTAssertTrue(report.soxr.contains("soxr"), report.soxr)
        XCTAssertTrue(report.sqlite.hasPrefix("3."), report.sqlite)
        XCTAssertTrue(report.openblas.hasPrefix("0.") || report.openblas.hasPrefix("1."), report.openblas)
        XCTAssertGreaterThan(report.blasThreads, 0)
        XCTAssertFalse(report.blasCore.isEmpty)
        let json = try report.jsonString()
        XCTAssertTrue(json.contains("\"blasCore\""))
        XCTAssertTrue(report.text.contains("BLAS core"))
    }

    func testMeasuringSgemmGivesAPositiveFigure() {
        let report = DoctorReport.gather(measureSeconds: 0.05)
        XCTAssertGreaterThan(report.sgemmGFLOPS ?? 0, 0.1)
    }
}
