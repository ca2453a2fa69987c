import ArgumentParser
import Foundation
import PortAudio

/// `ser devices`: the audio inputs `ser listen --device` can use.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the audio input devices PortAudio finds (index, name, host API, channels, default rate).")

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        print(try output())
    }

    /// What `run()` prints.
    func output() throws -> String {
        let session = try PortAudio.Session()
        defer { session.close() }
        let devices = try session.inputDevices()
        if json {
            return devices.isEmpty ? "[]" : try StoreFormat.json(devices)
        }
        return Self.table(devices)
    }

    static func table(_ devices: [AudioDevice]) -> String {
        guard !devices.isEmpty else {
            return "No audio input devices found (\(PortAudio.versionText)). "
                + "Use `ser listen MODEL --stdin --rate R` or `--file F` instead."
        }
        let nameWidth = max(4, devices.map(\.name.count).max()!)
        let apiWidth = max(8, devices.map(\.hostAPI.count).max()!)
        func row(_ cells: [String]) -> String {
            cells[0].leftPad(5) + "  " + cells[1].padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + cells[2].padding(toLength: apiWidth, withPad: " ", startingAt: 0) + "  " + cells[3].leftPad(8) + "  "
                + cells[4].leftPad(8) + cells[5]
        }
        var lines = [row(["index", "name", "host API", "channels", "rate", ""])]
        for d in devices {
            lines.append(
                row([
                    String(d.index), d.name, d.hostAPI, String(d.maxInputChannels),
                    String(format: "%.0f", d.defaultSampleRate),
                    d.isDefault ? "  (default)" : "",
                ]))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
