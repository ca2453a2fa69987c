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
        XCTAssertTrue(json.contains("\"blas_core\""))
        XCTAssertTrue(report.text.contains("BLAS core"))
    }

    func testTextModePrintsTheRecommendationTheJSONHas() throws {
        var report = DoctorReport.gather(measureSeconds: 0)
        report.blasCore = "Sandybridge"
        report.blasCoreSource = "environment"
        report.blasCoreRecommended = "Haswell"
        XCTAssertTrue(try report.jsonString().contains("\"blas_core_recommended\" : \"Haswell\""))
        let advice = try XCTUnwrap(report.text.split(separator: "\n").first { $0.hasPrefix("advice") })
        XCTAssertTrue(advice.contains("OPENBLAS_CORETYPE=Sandybridge forces slower kernels"), String(advice))
        XCTAssertTrue(advice.contains("set it to Haswell"), String(advice))

        report.blasCoreSource = "restartNeeded"
        XCTAssertTrue(report.text.contains("run with OPENBLAS_CORETYPE=Haswell"), report.text)

        // Already the best kernels (or an unknown core): no advice.
        report.blasCore = "Haswell"
        XCTAssertFalse(report.text.contains("advice"), report.text)
        report.blasCore = "Zen"
        XCTAssertFalse(report.text.contains("advice"), report.text)
    }

    func testMeasuringSgemmGivesAPositiveFigure() {
        let report = DoctorReport.gather(measureSeconds: 0.05)
        XCTAssertGreaterThan(report.sgemmGFLOPS ?? 0, 0.1)
    }
}
