/// Layout of an x/y chart: title band on top, y tick labels and title on the left, x tick labels and title
/// below, legend on the right outside the plot area, or under the chart (which then grows taller) when
/// its labels would take more than 30 % of the width.
public struct ChartXYLayout {
    public var area: PlotArea
    public var x: ChartScale
    public var y: ChartScale
    public var xTicks: [Double]
    public var yTicks: [Double]
    /// Top-left corner of the legend.
    public var legendOrigin: (x: Double, y: Double)
    /// Height of the whole chart (the requested height, plus the legend rows when it sits below).
    public var height: Double

    public init(
        size: ChartSize, xAxis: AxisSpec, xDomain: ClosedRange<Double>, yAxis: AxisSpec, yDomain: ClosedRange<Double>,
        legend: [LegendEntry], top: Double = 40
    ) {
        let bottom = size.height - 54
        // y ticks first (their labels decide the left margin).
        var y = ChartScale(kind: yAxis.scale, domain: yDomain, start: bottom, end: top)
        var yTicks = ChartXYLayout.filtered(y.ticks(targetCount: yAxis.tickCount), axis: yAxis)
        let yLabelWidth = yTicks.map { estimatedTextWidth(y.label($0, ticks: yTicks)) }.max() ?? 0
        let left = 12 + 18 + yLabelWidth + 12
        let legendWidth = ChartDraw.legendWidth(legend)
        let legendBelow = legendWidth > 0.3 * size.width
        let right = size.width - 14 - (legendWidth > 0 && !legendBelow ? legendWidth + 14 : 0)
        var x = ChartScale(kind: xAxis.scale, domain: xDomain, start: left, end: right)
        // Fewer x ticks when their labels would collide.
        var target = xAxis.tickCount
        var xTicks: [Double] = []
        while true {
            xTicks = ChartXYLayout.filtered(x.ticks(targetCount: target), axis: xAxis)
            let widest = xTicks.map { estimatedTextWidth(x.label($0, ticks: xTicks)) }.max() ?? 0
            if target <= 2 || x.kind == .log10 || Double(xTicks.count) * (widest + 14) <= right - left { break }
            target -= 1
        }
        // Log axes with many decades: label every other decade when crowded.
        if x.kind == .log10 {
            let widest = xTicks.map { estimatedTextWidth(x.label($0, ticks: xTicks)) }.max() ?? 0
            while xTicks.count > 2 && Double(xTicks.count) * (widest + 10) > right - left {
                xTicks = xTicks.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            }
        }
        y = ChartScale(kind: yAxis.scale, domain: yDomain, start: bottom, end: top)
        yTicks = ChartXYLayout.filtered(y.ticks(targetCount: yAxis.tickCount), axis: yAxis)
        x = ChartScale(kind: xAxis.scale, domain: xDomain, start: left, end: right)
        self.area = PlotArea(left: left, top: top, right: right, bottom: bottom)
        self.x = x
        self.y = y
        self.xTicks = xTicks
        self.yTicks = yTicks
        if legendBelow {
            self.legendOrigin = (left, size.height - 4)
            self.height = size.height + Double(legend.count) * 20 + 4
        } else {
            self.legendOrigin = (right + 14, top)
            self.height = size.height
        }
    }

    static func filtered(_ ticks: [Double], axis: AxisSpec) -> [Double] {
        axis.integerTicks ? ticks.filter { $0 == $0.rounded() } : ticks
    }
}
