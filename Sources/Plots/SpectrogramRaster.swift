/// A spectrogram as a bare raster (no axes, no text) for ``imageFigure(title:png:xAxis:yAxis:colorBar:size:)``,
/// which draws the axes in SVG around it: one pixel row per band with the highest band on top, one column
/// per frame (frames averaged down to at most `maxColumns` columns), colours from `colourMap` over `range`.
public enum SpectrogramRaster {
    /// - Parameters:
    ///   - values: row-major `rows × frames`, row 0 the lowest band (the layout of a feature matrix).
    ///   - range: values mapped to the ends of the colour map (default: the data's finite range).
    /// - Returns: a `min(frames, maxColumns) × rows` canvas. O(rows · frames).
    public static func render(
        values: [Float], rows: Int, frames: Int, range: ClosedRange<Float>? = nil, colourMap: ColourMap = .magma,
        maxColumns: Int = 400
    ) -> Canvas {
        precondition(
            rows > 0 && frames > 0 && values.count == rows * frames, "spectrogram must hold rows × frames values")
        let columns = Swift.max(1, Swift.min(frames, maxColumns))
        let r = range ?? finiteRange(values)
        let span = Double(r.upperBound - r.lowerBound)
        var canvas = Canvas(width: columns, height: rows)
        var column = [Double](repeating: 0, count: rows)
        for x in 0..<columns {
            let a = x * frames / columns
            let b = Swift.max(a + 1, (x + 1) * frames / columns)
            for band in 0..<rows {
                var sum = 0.0
                var n = 0
                for t in a..<b where values[band * frames + t].isFinite {
                    sum += Double(values[band * frames + t])
                    n += 1
                }
                column[band] = n == 0 ? Double(r.lowerBound) : sum / Double(n)
            }
            for band in 0..<rows {
                let t = span > 0 ? (column[band] - Double(r.lowerBound)) / span : 1
                canvas.set(x, rows - 1 - band, colourMap.colour(t))
            }
        }
        return canvas
    }

    /// Smallest and largest finite value (0…1 when there is none).
    public static func finiteRange(_ values: [Float]) -> ClosedRange<Float> {
        var lo = Float.infinity
        var hi = -Float.infinity
        for v in values where v.isFinite {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return lo <= hi ? lo...hi : 0...1
    }
}
