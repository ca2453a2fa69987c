import Foundation

/// Where result lines go.
public protocol LineSink: AnyObject {
    /// Writes one line (without its newline) and flushes it.
    func write(_ line: String) throws
}

/// Standard output, flushed per line. With SIGPIPE ignored, a closed pipe becomes ``LiveError/outputClosed(_:)``.
public final class StandardOutputSink: LineSink {
    public init() {}

    public func write(_ line: String) throws {
        clearerr(stdout)
        fputs(line + "\n", stdout)
        fflush(stdout)
        if ferror(stdout) != 0 {
            throw LiveError.outputClosed("cannot write to standard output (\(errnoText()))")
        }
    }
}

/// Collects lines in memory (tests).
public final class MemorySink: LineSink {
    public private(set) var lines: [String] = []
    public init() {}
    public func write(_ line: String) throws { lines.append(line) }
}

/// What `ser listen` says before the first window: the model, its classes, the window, the hop and the input.
public struct LiveHeader: Equatable, Sendable {
    public var model: String
    public var classNames: [String]
    /// The model's sample rate (windows are resampled to it).
    public var sampleRate: Int
    /// The clip duration the model was trained on, when known.
    public var clipSeconds: Double?
    public var windowSeconds: Double
    /// Whether the window is the model's clip because `--window` was not given.
    public var windowIsModelClip: Bool
    public var hopSeconds: Double
    /// The source's name (a device, `stdin (…)`, a file).
    public var input: String

    public init(
        model: String, classNames: [String], sampleRate: Int, clipSeconds: Double?, windowSeconds: Double,
        windowIsModelClip: Bool, hopSeconds: Double, input: String
    ) {
        self.model = model
        self.classNames = classNames
        self.sampleRate = sampleRate
        self.clipSeconds = clipSeconds
        self.windowSeconds = windowSeconds
        self.windowIsModelClip = windowIsModelClip
        self.hopSeconds = hopSeconds
        self.input = input
    }
}

/// Formats the header, window results and the final summary as text or as one JSON object per line.
///
/// Text, one line per window (stream time of the window's end, label, probability, smoothed label and
/// probability, latency):
///
///     3.00s  happy      0.82  smoothed happy      0.74   12.4 ms
///     3.50s  silence   -63.1 dBFS  smoothed happy
///
/// JSON (keys sorted; `label`, `probability` and `probabilities` are null for silence; `smoothed*` are
/// null until a window has been classified):
///
///     {"end":3,"index":0,"label":"happy","latency_ms":12.4,"level_dbfs":-23.5,"probabilities":{…},
///      "probability":0.82,"silent":false,"smoothed":"happy","smoothed_probability":0.74,"start":0,"type":"window"}
public struct LiveFormatter {
    public let classNames: [String]
    public let json: Bool
    private let width: Int

    public init(classNames: [String], json: Bool) {
        self.classNames = classNames
        self.json = json
        width = max(8, classNames.map(\.count).max() ?? 0)
    }

    private func pad(_ s: String) -> String { s.padding(toLength: max(width, s.count), withPad: " ", startingAt: 0) }

    public func line(_ r: WindowResult) -> String {
        json ? jsonLine(r) : textLine(r)
    }

    func textLine(_ r: WindowResult) -> String {
        let time = String(format: "%7.2fs", r.end)
        let smoothed = r.smoothedLabel.map { "smoothed \(pad(classNames[$0]))" } ?? "smoothed \(pad("-"))"
        if r.isSilent {
            let level = String(format: "%6.1f dBFS", r.levelDBFS)
            return trimmingTrailingSpaces("\(time)  \(pad("silence")) \(level)  \(smoothed)")
        }
        let probability = String(format: "%.2f", r.probability ?? 0)
        let smoothedProbability = r.smoothedProbability.map { String(format: "%.2f", $0) } ?? "    "
        let latency = String(format: "%7.1f ms", r.latency * 1000)
        return "\(time)  \(pad(classNames[r.label!])) \(probability)  \(smoothed) \(smoothedProbability) \(latency)"
    }

    func jsonLine(_ r: WindowResult) -> String {
        var object: [String: Any] = [
            "type": "window", "index": r.index, "start": rounded(r.start, 6), "end": rounded(r.end, 6),
            "level_dbfs": rounded(Double(r.levelDBFS), 2), "silent": r.isSilent,
            "latency_ms": rounded(r.latency * 1000, 3),
        ]
        object["label"] = r.label.map { classNames[$0] } ?? NSNull()
        object["probability"] = r.probability.map { rounded(Double($0), 6) } ?? NSNull()
        object["smoothed"] = r.smoothedLabel.map { classNames[$0] } ?? NSNull()
        object["smoothed_probability"] = r.smoothedProbability.map { rounded(Double($0), 6) } ?? NSNull()
        if let p = r.probabilities {
            var named: [String: Double] = [:]
            for (name, value) in zip(classNames, p) { named[name] = rounded(Double(value), 6) }
            object["probabilities"] = named
        } else {
            object["probabilities"] = NSNull()
        }
        return serialize(object)
    }

    /// Header: three text lines, or one JSON object with `"type":"header"`.
    public func header(_ h: LiveHeader) -> String {
        if json {
            return serialize([
                "type": "header", "model": h.model, "classes": h.classNames, "sample_rate": h.sampleRate,
                "clip_seconds": h.clipSeconds.map { rounded($0, 6) } ?? NSNull(),
                "window_seconds": rounded(h.windowSeconds, 6), "hop_seconds": rounded(h.hopSeconds, 6),
                "input": h.input,
            ])
        }
        let clip = h.clipSeconds.map { ", trained on \(seconds($0)) clips" } ?? ""
        let windowNote = h.windowIsModelClip ? " (the model's clip)" : ""
        return """
            model:  \(h.model) (\(h.classNames.count) classes: \(h.classNames.joined(separator: ", ")); \(h.sampleRate) Hz\(clip))
            window: \(seconds(h.windowSeconds))\(windowNote), hop \(seconds(h.hopSeconds))
            input:  \(h.input)
            """
    }

    /// Seconds with as many decimals as they need (3 s, 2.5 s, 0.25 s).
    private func seconds(_ x: Double) -> String {
        var text = String(format: "%.3f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + " s"
    }

    /// Summary: text lines, or one JSON object with `"type":"summary"`.
    public func summary(_ s: LiveSummary, source: String) -> String {
        if json {
            return serialize([
                "type": "summary", "source": source, "windows": s.windows, "silent_windows": s.silentWindows,
                "classified_windows": s.classifiedWindows, "stream_seconds": rounded(s.streamSeconds, 6),
                "interrupted": s.interrupted,
                "latency_ms": [
                    "count": s.latency.count, "mean": rounded(s.latency.mean * 1000, 3),
                    "median": rounded(s.latency.median * 1000, 3), "p95": rounded(s.latency.p95 * 1000, 3),
                    "max": rounded(s.latency.max * 1000, 3),
                ],
            ])
        }
        let how = s.interrupted ? "stopped" : "end of stream"
        var text =
            "\(how) after \(String(format: "%.2f", s.streamSeconds)) s of \(source): \(s.windows) windows, "
            + "\(s.silentWindows) silent, \(s.classifiedWindows) classified"
        if s.latency.count > 0 {
            text += String(
                format: "\nlatency: mean %.1f ms, median %.1f ms, p95 %.1f ms, max %.1f ms", s.latency.mean * 1000,
                s.latency.median * 1000, s.latency.p95 * 1000, s.latency.max * 1000)
        }
        return text
    }

    private func trimmingTrailingSpaces(_ s: String) -> String {
        var s = Substring(s)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    private func rounded(_ x: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }

    private func serialize(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
