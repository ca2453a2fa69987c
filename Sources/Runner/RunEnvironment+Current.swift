import BLAS
import Foundation
import NeuralNet
import RunStore

#if canImport(Glibc)
    import Glibc
#endif

extension RunEnvironment {
    /// This process's environment: the CPU (`/proc/cpuinfo`), the OS, and the BLAS kernels and threads as
    /// `ser doctor` reports them (``BLASKernels``) with the engine's current thread settings.
    public static func current(serVersion: String, settings: Engine.Settings = Engine.settings) -> RunEnvironment {
        RunEnvironment(
            cpuModel: cpuModel(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""),
            cores: ProcessInfo.processInfo.activeProcessorCount, os: operatingSystem(), host: RunStore.hostName,
            blasLibrary: "OpenBLAS", blasVersion: BLASKernels.version, blasCore: BLASKernels.coreName,
            blasCoreForced: BLASKernels.selection.source == .environment, threads: settings.threads,
            blasThreads: settings.blasThreads, serVersion: serVersion)
    }

    /// The first `model name` of a `/proc/cpuinfo` text ("unknown" without one).
    static func cpuModel(cpuinfo: String) -> String {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty {
                return name.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            }
        }
        return "unknown"
    }

    /// `Linux <kernel release> (<PRETTY_NAME of /etc/os-release>)`.
    static func operatingSystem() -> String {
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let kernel = "\(text(name.sysname)) \(text(name.release))"
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return release.map { "\(kernel) (\($0))" } ?? kernel
    }
}
