import Foundation

/// fastai's live training table:
///
/// ```
/// epoch  train_loss  valid_loss  accuracy  uar       time
/// 1      1.923816    1.801245    0.312500  0.297619  00:41
/// ```
///
/// Epochs are numbered from 1, as in the store, `ser show` and the summaries (``EpochRecord/epoch`` is 0-based).
/// Columns are left-aligned and padded to the header's width (at least 8 characters) plus 2 spaces;
/// losses and metrics have 6 decimals, time is `mm:ss` (`h:mm:ss` past an hour).
public struct EpochTable: Sendable {
    public static let columns = ["epoch", "train_loss", "valid_loss", "accuracy", "uar", "time"]

    public init() {}

    private static func width(_ name: String) -> Int { max(name.count, 8) + 2 }

    private static func pad(_ text: String, _ name: String) -> String {
        text.padding(toLength: max(width(name), text.count + 1), withPad: " ", startingAt: 0)
    }

    public var header: String {
        Self.columns.dropLast().map { Self.pad($0, $0) }.joined() + Self.columns.last!
    }

    public func row(_ r: EpochRecord) -> String {
        let values = [
            String(r.epoch + 1), Self.number(r.trainLoss), Self.number(r.validLoss), Self.number(r.accuracy),
            Self.number(r.unweightedAverageRecall),
        ]
        return zip(values, Self.columns).map { Self.pad($0, $1) }.joined() + Self.time(r.seconds)
    }

    /// Six decimals; `-` for a metric the epoch lacks (no validation files).
    static func number(_ x: Double?) -> String {
        guard let x else { return "-" }
        return x.isFinite ? String(format: "%.6f", x) : "\(x)"
    }

    /// `mm:ss`, or `h:mm:ss` from one hour.
    public static func time(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
            : String(format: "%02d:%02d", s / 60, s % 60)
    }
}

/// Where the learner writes its table and progress bar.
public struct LearnerOutput: Sendable {
    /// Receives whole lines of the epoch table (without newline); nil prints nothing.
    public var table: (@Sendable (String) -> Void)?
    /// Receives progress-bar redraws (`\r…`); nil draws no bar.
    public var progress: (@Sendable (String) -> Void)?

    public init(table: (@Sendable (String) -> Void)?, progress: (@Sendable (String) -> Void)?) {
        self.table = table
        self.progress = progress
    }

    /// The table on stdout (flushed per line) and a progress bar on stderr when stderr is a terminal.
    public static var standard: LearnerOutput {
        let table: @Sendable (String) -> Void = { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        let bar: @Sendable (String) -> Void = { text in FileHandle.standardError.write(Data(text.utf8)) }
        return LearnerOutput(table: table, progress: isatty(2) == 1 ? bar : nil)
    }

    /// Nothing at all (tests).
    public static let silent = LearnerOutput(table: nil, progress: nil)
}

/// The in-epoch progress bar: `[##########..........] 12/45  loss 1.2345`, redrawn at most 10 times a second.
struct BatchProgressBar {
    let output: (@Sendable (String) -> Void)?
    let total: Int
    let label: String
    private var lastDraw: UInt64 = 0

    init(output: (@Sendable (String) -> Void)?, total: Int, label: String) {
        self.output = output
        self.total = total
        self.label = label
    }

    mutating func update(done: Int, loss: Double) {
        guard let output else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard done == total || now - lastDraw >= 100_000_000 else { return }
        lastDraw = now
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        output("\r\(label) [\(bar)] \(done)/\(total)  loss \(String(format: "%.4f", loss))\u{1B}[K")
    }

    /// Erases the bar so the table row that follows starts on a clean line.
    func clear() { output?("\r\u{1B}[K") }
}
