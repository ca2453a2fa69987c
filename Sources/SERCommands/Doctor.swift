import ArgumentParser
import BLAS
import FFTW
import FLAC
import Foundation
import PNG
import RunStore
import SndFile
import Soxr

/// `ser doctor`: what the tool runs on, and how fast its matrix products are.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the BLAS kernels, thread count, library versions and an sgemm speed figure.")

    @Option(help: "Seconds to spend measuring sgemm (0 skips the measurement).")
    var seconds: Double = 1

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard seconds >= 0, seconds <= 60 else {
            throw ValidationError("--seconds must be between 0 and 60, got \(seconds).")
        }
    }

    func run() throws {
        let report = DoctorReport.gather(measureSeconds: seconds)
        print(json ? try report.jsonString() : report.text)
    }
}

/// Everything `ser doctor` prints.
struct DoctorReport: Codable {
    var serVersion: String
    var blasCore: String
    var blasCoreDetected: String
    var blasCoreRecommended: String?
    var blasCoreSource: String
    var blasThreads: Int
    var openblas: String
    var libsndfile: String
    var libFLAC: String
    var fftw: String
    var soxr: String
    var sqlite: String
    var libpng: String
    var sgemmGFLOPS: Double?

    static func gather(measureSeconds: Double) -> DoctorReport {
        let selection = BLASKernels.selection
        return DoctorReport(
            serVersion: SER.version,
            blasCore: BLASKernels.coreName,
            blasCoreDetected: selection.detectedCore,
            blasCoreRecommended: selection.recommendedCore,
            blasCoreSource: selection.source.rawValue,
            blasThreads: BLASKernels.threadCount,
            openblas: BLASKernels.version,
            libsndfile: sndfileVersion,
            libFLAC: flacVersion,
            fftw: fftwVersion,
            soxr: soxrVersion,
            sqlite: sqliteVersion,
            libpng: pngVersion,
            sgemmGFLOPS: measureSeconds > 0 ? BLASKernels.measureSgemmGFLOPS(seconds: measureSeconds) : nil)
    }

    var text: String {
        let how: String
        switch blasCoreSource {
        case "switched": how = "selected by ser; OpenBLAS detected \(blasCoreDetected)"
        case "environment": how = "from OPENBLAS_CORETYPE"
        case "restartNeeded": how = "better kernels (\(blasCoreRecommended ?? "?")) need a restart"
        default: how = "OpenBLAS's own detection"
        }
        var lines = [
            "ser          \(serVersion)",
            "BLAS core    \(blasCore) (\(how))",
            "BLAS threads \(blasThreads)",
            "OpenBLAS     \(openblas)",
            "libsndfile   \(libsndfile)",
            "libFLAC      \(libFLAC)",
            "FFTW         \(fftw)",
            "libsoxr      \(soxr)",
            "SQLite       \(sqlite)",
            "libpng       \(libpng)",
        ]
        if let sgemmGFLOPS {
            lines.append(String(format: "sgemm        %.1f GFLOPS (1024×1024, single precision)", sgemmGFLOPS))
        }
        if let recommendation { lines.append("advice       \(recommendation)") }
        return lines.joined(separator: "\n")
    }

    /// What to do when faster kernels than the active ones exist for this CPU (nil when `ser` already uses
    /// the best it knows): the text form of ``blasCoreRecommended``.
    var recommendation: String? {
        guard let recommended = blasCoreRecommended, BLASKernels.isUpgrade(from: blasCore, to: recommended) else {
            return nil
        }
        switch blasCoreSource {
        case "environment":
            return "OPENBLAS_CORETYPE=\(blasCore) forces slower kernels than this CPU supports; "
                + "unset OPENBLAS_CORETYPE (ser then picks \(recommended)) or set it to \(recommended)"
        default:
            return "this CPU supports faster kernels (\(recommended)) than \(blasCore); "
                + "run with OPENBLAS_CORETYPE=\(recommended)"
        }
    }

    func jsonString() throws -> String { try StoreFormat.json(self) }
}
