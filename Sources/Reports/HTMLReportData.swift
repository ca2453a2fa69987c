import Foundation
import Plots

// Plain input types for reports. They hold exactly what the pictures need, so a report can be rendered
// from made-up data in tests and from the run store later (Reports does not depend on Training).

/// One row of the per-epoch history; nil where a value was not recorded.
public struct ReportEpoch: Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double?
    public var validLoss: Double?
    /// Fractions in 0…1.
    public var accuracy: Double?
    /// Unweighted average recall, 0…1.
    public var uar: Double?

    public init(epoch: Int, trainLoss: Double?, validLoss: Double?, accuracy: Double?, uar: Double?) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validLoss = validLoss
        self.accuracy = accuracy
        self.uar = uar
    }
}

/// A confusion matrix: `counts[true][predicted]`, square, in `classNames` order.
public struct ReportConfusion: Equatable, Sendable {
    public var classNames: [String]
    public var counts: [[Int]]

    public init(classNames: [String], counts: [[Int]]) {
        precondition(
            counts.count == classNames.count && counts.allSatisfy { $0.count == classNames.count },
            "confusion matrix must be \(classNames.count)×\(classNames.count)")
        self.classNames = classNames
        self.counts = counts
    }
}

/// Precision, recall and F1 (0…1) of one class, and its support (true examples).
public struct ReportClassScores: Equatable, Sendable {
    public var name: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int

    public init(name: String, precision: Double, recall: Double, f1: Double, support: Int) {
        self.name = name
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// How often class `actual` was predicted as `predicted`.
public struct ReportConfusedPair: Equatable, Sendable {
    public var actual: String
    public var predicted: String
    public var count: Int

    public init(actual: String, predicted: String, count: Int) {
        self.actual = actual
        self.predicted = predicted
        self.count = count
    }
}

/// A spectrogram picture already rendered to PNG (by the raster code), with the ranges of its axes.
/// The PNG's top row is the highest frequency.
public struct ReportSpectrogram: Equatable, Sendable {
    public var png: Data
    public var durationSeconds: Double
    public var maxFrequencyHz: Double
    /// `.mel(htk: false)` for librosa-style mel rows, `.linear` for a linear-frequency STFT picture.
    public var frequencyScale: ScaleKind
    /// The colour bar: value range (e.g. -80...0 dB) and the colour map's stops low → high; nil for none.
    public var colorBar: ImageColorBar?

    public init(
        png: Data, durationSeconds: Double, maxFrequencyHz: Double, frequencyScale: ScaleKind = .mel(htk: false),
        colorBar: ImageColorBar? = nil
    ) {
        self.png = png
        self.durationSeconds = durationSeconds
        self.maxFrequencyHz = maxFrequencyHz
        self.frequencyScale = frequencyScale
        self.colorBar = colorBar
    }
}

/// A short compressed sound embedded in the page (a `data:` URI of an `<audio>` element).
public struct ReportAudio: Equatable, Sendable {
    /// The encoded file (e.g. Ogg/Opus or FLAC).
    public var data: Data
    /// Its MIME type, e.g. `audio/ogg; codecs=opus`.
    public var mimeType: String

    public init(data: Data, mimeType: String) {
        self.data = data
        self.mimeType = mimeType
    }

    /// The `data:` URI of the sound.
    public var dataURI: String {
        "data:\(mimeType.replacingOccurrences(of: " ", with: ""));base64,\(data.base64EncodedString())"
    }
}

/// One of the validation items with the highest loss.
public struct ReportTopLoss: Equatable, Sendable {
    /// File name or path as the user knows it.
    public var file: String
    public var actual: String
    public var predicted: String
    /// Probability the model gave to `predicted` (0…1).
    public var probability: Double
    /// Probability the model gave to the true class `actual` (0…1; nil when the run did not record it).
    public var trueProbability: Double?
    public var loss: Double?
    public var spectrogram: ReportSpectrogram?
    /// The clip as the run heard it, to listen to.
    public var audio: ReportAudio?

    public init(
        file: String, actual: String, predicted: String, probability: Double, trueProbability: Double? = nil,
        loss: Double? = nil, spectrogram: ReportSpectrogram? = nil, audio: ReportAudio? = nil
    ) {
        self.file = file
        self.actual = actual
        self.predicted = predicted
        self.probability = probability
        self.trueProbability = trueProbability
        self.loss = loss
        self.spectrogram = spectrogram
        self.audio = audio
    }
}

/// A named value shown in the summary and compared across runs.
public struct ReportMetric: Equatable, Sendable {
    public var name: String
    public var value: Double
    /// Whether bigger is better (accuracy) or smaller (loss); the comparison table marks the best run.
    public var higherIsBetter: Bool
    /// Show as a percentage (value 0…1 → "73.4 %").
    public var isFraction: Bool

    public init(name: String, value: Double, higherIsBetter: Bool = true, isFraction: Bool = false) {
        self.name = name
        self.value = value
        self.higherIsBetter = higherIsBetter
        self.isFraction = isFraction
    }
}

/// A flattened spec parameter (`train.lr` = `1e-3`) for the comparison table.
public struct ReportParameter: Equatable, Sendable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// A further evaluation of a run shown after the main one (e.g. the held-out test set after validation).
public struct ReportEvaluation: Equatable, Sendable {
    /// Names the split in headings: "Test set".
    public var title: String
    public var confusion: ReportConfusion?
    public var perClass: [ReportClassScores]
    public var mostConfused: [ReportConfusedPair]
    /// What the scores leave out, e.g. a test corpus's files of classes the model does not know.
    public var note: String?

    public init(
        title: String, confusion: ReportConfusion?, perClass: [ReportClassScores] = [],
        mostConfused: [ReportConfusedPair] = [], note: String? = nil
    ) {
        self.title = title
        self.confusion = confusion
        self.perClass = perClass
        self.mostConfused = mostConfused
        self.note = note
    }
}

/// Everything one run contributes to a report. Empty arrays and nil members simply leave their section out.
public struct RunReportData: Equatable, Sendable {
    public var name: String
    /// The spec as written (YAML), shown verbatim.
    public var specYAML: String
    /// Flattened spec keys and values, used to find the parameters that differ between runs.
    public var parameters: [ReportParameter]
    /// Final metrics (accuracy, UAR, macro-F1, valid loss...).
    public var metrics: [ReportMetric]
    public var epochs: [ReportEpoch]
    public var lrFinder: LRFinderCurve?
    public var confusion: ReportConfusion?
    public var perClass: [ReportClassScores]
    public var mostConfused: [ReportConfusedPair]
    public var topLosses: [ReportTopLoss]
    /// Names the split of `confusion`/`perClass`/`mostConfused` in headings ("Validation"); nil: no name.
    public var evaluationTitle: String?
    /// Evaluations shown after the main one (the test set).
    public var otherEvaluations: [ReportEvaluation]
    /// Remarks shown under the top losses (e.g. audio files that are gone, so no spectrogram).
    public var topLossNotes: [String]

    public init(
        name: String, specYAML: String = "", parameters: [ReportParameter] = [], metrics: [ReportMetric] = [],
        epochs: [ReportEpoch] = [], lrFinder: LRFinderCurve? = nil, confusion: ReportConfusion? = nil,
        perClass: [ReportClassScores] = [], mostConfused: [ReportConfusedPair] = [], topLosses: [ReportTopLoss] = [],
        evaluationTitle: String? = nil, otherEvaluations: [ReportEvaluation] = [], topLossNotes: [String] = []
    ) {
        self.evaluationTitle = evaluationTitle
        self.otherEvaluations = otherEvaluations
        self.topLossNotes = topLossNotes
        self.name = name
        self.specYAML = specYAML
        self.parameters = parameters
        self.metrics = metrics
        self.epochs = epochs
        self.lrFinder = lrFinder
        self.confusion = confusion
        self.perClass = perClass
        self.mostConfused = mostConfused
        self.topLosses = topLosses
    }
}
