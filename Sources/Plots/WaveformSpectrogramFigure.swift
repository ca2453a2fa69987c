import Foundation

/// The notebook's picture of one utterance: the waveform on top (`librosa.display.waveshow`) and a
/// dB mel spectrogram below (`librosa.display.specshow(y_axis='mel', x_axis='time')` with a
/// colour bar), both on a shared time axis in seconds.
public struct WaveformSpectrogramFigure {
    /// A tick on the frequency axis: `position` 0 at the bottom edge, 1 at the top edge.
    public struct Tick {
        public var position: Double
        public var label: String
        public init(position: Double, label: String) {
            self.position = position
            self.label = label
        }
    }

    public var waveform: [Float]
    public var sampleRate: Int
    /// Row-major `rows × frames` values, row 0 the lowest band.
    public var spectrogram: [Float]
    public var rows: Int
    public var frames: Int
    /// Seconds between successive frames (`hop / sampleRate`); frame t covers `[t, t + 1) · frameSeconds`.
    public var frameSeconds: Double
    public var frequencyTicks: [Tick]
    public var title: String
    public var colourMap: ColourMap = .magma
    /// Values mapped to the ends of the colour map (default: the data's range).
    public var valueRange: ClosedRange<Float>?
    /// Unit printed on the colour bar ticks, e.g. "dB".
    public var valueUnit: String = "dB"

    public init(
        waveform: [Float], sampleRate: Int, spectrogram: [Float], rows: Int, frames: Int, frameSeconds: Double,
        frequencyTicks: [Tick], title: String
    ) {
        precondition(spectrogram.count == rows * frames, "spectrogram must hold rows × frames values")
        self.waveform = waveform
        self.sampleRate = sampleRate
        self.spectrogram = spectrogram
        self.rows = rows
        self.frames = frames
        self.frameSeconds = frameSeconds
        self.frequencyTicks = frequencyTicks
        self.title = title
    }

    /// Draws the figure. - Complexity: O(width · height + samples).
    public func render(width: Int = 1000, height: Int = 720) -> Canvas {
        var c = Canvas(width: width, height: height)
        let left = 70
        let right = width - 120
        let plotWidth = right - left
        let waveTop = 52
        let waveHeight = (height - 140) * 30 / 100
        let specTop = waveTop + waveHeight + 50
        let specHeight = height - 70 - specTop
        let duration = Swift.max(
            Double(waveform.count) / Double(Swift.max(1, sampleRate)), Double(frames) * frameSeconds, 1e-3)
        let waveDuration = Double(waveform.count) / Double(Swift.max(1, sampleRate))

        c.text(title, x: width / 2, y: 10, align: .center, scale: 2)

        // Waveform: per pixel column, the min…max envelope of its samples.
        c.text("WAVEFORM", x: left + plotWidth / 2, y: waveTop - 12, align: .center)
        c.frame(x: left - 1, y: waveTop - 1, width: plotWidth + 2, height: waveHeight + 2, .grey)
        let peak = Swift.max(waveform.map(abs).max() ?? 0, 1e-9)
        let scale = Double(waveHeight) / 2 / Double(peak) * 0.95
        let midY = waveTop + waveHeight / 2
        c.line(left, midY, right - 1, midY, .lightGrey)
        if !waveform.isEmpty {
            let columns = Int((Double(plotWidth) * waveDuration / duration).rounded())
            for x in 0..<Swift.max(0, columns) {
                let a = x * waveform.count / Swift.max(1, columns)
                let b = Swift.max(a + 1, (x + 1) * waveform.count / Swift.max(1, columns))
                var lo = waveform[a]
                var hi = waveform[a]
                for s in waveform[a..<Swift.min(b, waveform.count)] {
                    lo = Swift.min(lo, s)
                    hi = Swift.max(hi, s)
                }
                c.line(left + x, midY - Int(Double(hi) * scale), left + x, midY - Int(Double(lo) * scale), .blue)
            }
        }
        c.text(String(format: "%+.2f", peak), x: left - 6, y: waveTop, align: .right)
        c.text("0", x: left - 6, y: midY - 3, align: .right)
        c.text(String(format: "%+.2f", -peak), x: left - 6, y: waveTop + waveHeight - 7, align: .right)

        // Spectrogram image, low frequencies at the bottom.
        c.text("MEL SPECTROGRAM", x: left + plotWidth / 2, y: specTop - 12, align: .center)
        let range = valueRange ?? Self.range(spectrogram)
        let span = Double(range.upperBound - range.lowerBound)
        func normalised(_ v: Float) -> Double { span > 0 ? Double(v - range.lowerBound) / span : 1 }
        if rows > 0 && frames > 0 {
            for x in 0..<plotWidth {
                let time = (Double(x) + 0.5) / Double(plotWidth) * duration
                let t = Int(time / frameSeconds)
                guard t < frames else { continue }
                for y in 0..<specHeight {
                    let fraction = 1 - (Double(y) + 0.5) / Double(specHeight)
                    let r = Swift.min(rows - 1, Int(fraction * Double(rows)))
                    c.set(left + x, specTop + y, colourMap.colour(normalised(spectrogram[r * frames + t])))
                }
            }
        }
        c.frame(x: left - 1, y: specTop - 1, width: plotWidth + 2, height: specHeight + 2, .grey)
        for tick in frequencyTicks where tick.position >= 0 && tick.position <= 1 {
            let y = specTop + specHeight - 1 - Int(tick.position * Double(specHeight - 1))
            c.line(left - 5, y, left - 2, y, .black)
            c.text(tick.label, x: left - 8, y: y - 3, align: .right)
        }
        c.text("HZ", x: left - 8, y: specTop - 12, align: .right)

        // Shared time axis.
        let step = Self.niceStep(duration)
        var t = 0.0
        while t <= duration + 1e-9 {
            let x = left + Int(t / duration * Double(plotWidth - 1))
            for (top, h) in [(waveTop, waveHeight), (specTop, specHeight)] {
                c.line(x, top + h + 1, x, top + h + 4, .black)
            }
            c.text(Self.format(t, step: step), x: x, y: specTop + specHeight + 8, align: .center)
            t += step
        }
        c.text("TIME (S)", x: left + plotWidth / 2, y: specTop + specHeight + 26, align: .center)

        // Colour bar.
        let barLeft = right + 20
        let barWidth = 18
        for y in 0..<specHeight {
            let colour = colourMap.colour(1 - Double(y) / Double(Swift.max(1, specHeight - 1)))
            c.fill(x: barLeft, y: specTop + y, width: barWidth, height: 1, colour)
        }
        c.frame(x: barLeft - 1, y: specTop - 1, width: barWidth + 2, height: specHeight + 2, .grey)
        if span > 0 {
            let valueStep = Double(Self.niceStep(span, maxTicks: 6))
            var v = (Double(range.lowerBound) / valueStep).rounded(.up) * valueStep
            while v <= Double(range.upperBound) + 1e-9 {
                let y = specTop + specHeight - 1 - Int((v - Double(range.lowerBound)) / span * Double(specHeight - 1))
                c.line(barLeft + barWidth, y, barLeft + barWidth + 3, y, .black)
                c.text(String(format: "%+.0f", v) + " " + valueUnit, x: barLeft + barWidth + 6, y: y - 3)
                v += valueStep
            }
        }
        return c
    }

    /// The same figure as SVG, for rendering with real text (librsvg): the waveform's min…max envelope as a
    /// line chart over an ``imageFigure`` of the spectrogram (rendered with ``SpectrogramRaster``), both with
    /// time axes in seconds, the spectrogram's rows on `frequencyAxis` (e.g. Hz on a mel scale) and a colour
    /// bar in ``valueUnit``. One `<svg>` of `width` units wide holding the two charts.
    /// - Throws: libpng's error encoding the raster. O(samples + rows · frames).
    public func svg(frequencyAxis: AxisSpec, width: Double = 800) throws -> String {
        let waveDuration = Double(waveform.count) / Double(Swift.max(1, sampleRate))
        let imageDuration = Swift.max(Double(frames) * frameSeconds, 1e-3)
        // Waveform: per column, the min and max of its samples (a zigzag that fills the envelope).
        let columns = Swift.min(1200, waveform.count)
        var x: [Double] = [], y: [Double] = []
        for column in 0..<columns {
            let a = column * waveform.count / columns
            let b = Swift.max(a + 1, (column + 1) * waveform.count / columns)
            let slice = waveform[a..<Swift.min(b, waveform.count)]
            let time = Double(a) / Double(Swift.max(1, sampleRate))
            x += [time, time]
            y += [Double(slice.min() ?? 0), Double(slice.max() ?? 0)]
        }
        let peak = Swift.max(y.map(abs).max() ?? 0, 1e-9)
        let wave = lineChart(
            title: title,
            series: [LineSeries(name: "Waveform", x: x, y: y, style: SeriesStyle(color: ChartPalette.blue))],
            xAxis: AxisSpec("Time", unit: "s", domain: 0...Swift.max(waveDuration, 1e-3)),
            yAxis: AxisSpec("Amplitude", domain: -peak...peak), size: ChartSize(width: width, height: 240))
        let range = valueRange ?? Self.range(spectrogram)
        let raster = SpectrogramRaster.render(
            values: spectrogram, rows: rows, frames: frames, range: range, colourMap: colourMap, maxColumns: 1200)
        let image = imageFigure(
            title: valueUnit == "dB" ? "Mel spectrogram" : "Features", png: try raster.pngData(),
            xAxis: AxisSpec("Time", unit: "s", domain: 0...imageDuration), yAxis: frequencyAxis,
            colorBar: .colourMap(
                colourMap, label: "Level", unit: valueUnit.isEmpty ? nil : valueUnit,
                domain: Double(range.lowerBound)...Double(range.upperBound)),
            size: ChartSize(width: width, height: 360))
        let waveHeight = Self.svgHeight(wave) ?? 240
        let imageHeight = Self.svgHeight(image) ?? 360
        func placed(_ chart: String, y: Double) -> String {
            guard let open = chart.range(of: "<svg") else { return chart }
            return chart.replacingCharacters(in: open, with: "<svg x=\"0\" y=\"\(svgNumber(y))\"")
        }
        let total = waveHeight + imageHeight
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" "
            + "height=\"\(svgNumber(total))\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(total))\">\n"
            + "<title>\(xmlEscape(title))</title>\n" + placed(wave, y: 0) + placed(image, y: waveHeight) + "</svg>\n"
    }

    /// The `height` attribute of a chart's root `<svg>`.
    static func svgHeight(_ chart: String) -> Double? {
        guard let open = chart.range(of: "<svg"), let close = chart[open.upperBound...].firstIndex(of: ">") else {
            return nil
        }
        let tag = chart[open.upperBound..<close]
        guard let start = tag.range(of: " height=\"") else { return nil }
        return Double(tag[start.upperBound...].prefix { $0 != "\"" })
    }

    /// A step of 1, 2, 2.5 or 5 × 10ⁿ giving at most `maxTicks` intervals over `span`.
    static func niceStep(_ span: Double, maxTicks: Int = 10) -> Double {
        let raw = span / Double(maxTicks)
        let magnitude = pow(10, floor(log10(Swift.max(raw, 1e-12))))
        for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    static func format(_ t: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : step >= 0.1 ? (abs(step * 10 - (step * 10).rounded()) < 1e-9 ? 1 : 2) : 2
        return String(format: "%.\(decimals)f", t)
    }

    static func range(_ values: [Float]) -> ClosedRange<Float> {
        guard var lo = values.first else { return 0...1 }
        var hi = lo
        for v in values {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return lo...hi
    }
}
