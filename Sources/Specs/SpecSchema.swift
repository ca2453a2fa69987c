import Audio
import Datasets
import Features
import NeuralNet
import Training

/// What a spec key accepts. The schema below is the single source of truth for validation, defaults,
/// the canonical resolved spec and the key table in docs/store.md.
indirect enum Shape {
    /// An integer in `range`.
    case int(ClosedRange<Int>)
    /// An integer from a fixed set (e.g. ResNet depths).
    case intChoice([Int])
    /// A finite number above `min` (exclusive when `minExclusive`) and below `max` (likewise).
    case number(min: Double?, minExclusive: Bool = false, max: Double?, maxExclusive: Bool = false)
    case bool
    case string
    /// A file or folder path; a relative path is taken from the folder of the file that wrote it.
    case path
    /// One of a fixed set of words.
    case choice([String])
    /// A number (as `number`) or one of a fixed set of words.
    case numberOrChoice(Shape, [String])
    /// As `numberOrChoice`, or a list of two such numbers, the first below the second (`[1e-5, 1e-3]`).
    case numberRangeOrChoice(Shape, [String])
    /// A list of items (at least `minCount`).
    case list(Shape, minCount: Int)
    /// A section with known keys.
    case section([Field])
    /// An optional section: `null`/`false` turn it off, `true` turns it on with its defaults, a map sets keys.
    case toggle([Field])
    /// `null` or a value of the wrapped shape.
    case nullable(Shape)
    /// A speaker id: text, or a non-negative integer (RAVDESS actor `9` is speaker `09`).
    case speaker
    /// A map from free-text keys to values of the wrapped shape (`label_map: {ps: surprised}`).
    case mapping(Shape)
    /// A section whose `kind` selects which other keys it takes: `variants[kind]` names them.
    case variants(kinds: [String], defaultKind: String, fields: [Field], variants: [String: [String]])

    /// One of the raw values of `Vocabulary`, in `allCases` order (the spec's words are the enum's raw values).
    static func choice<Vocabulary: CaseIterable & RawRepresentable>(of _: Vocabulary.Type) -> Shape
    where Vocabulary.RawValue == String {
        .choice(Vocabulary.allCases.map(\.rawValue))
    }

    /// Whether null is a value of this shape (rather than "remove the key, use its default").
    var acceptsNull: Bool {
        switch self {
        case .nullable, .toggle, .section, .variants: return true
        default: return false
        }
    }

    /// "a number", "an integer", … for "expected X for key, got Y".
    var expectation: String {
        switch self {
        case .int(let range): return "an integer from \(range.lowerBound) to \(range.upperBound)"
        case .intChoice(let values): return "one of \(values.map(String.init).joined(separator: ", "))"
        case .number: return "a number"
        case .bool: return "true or false"
        case .string: return "text"
        case .path: return "a path"
        case .choice(let words): return "one of \(words.joined(separator: ", "))"
        case .numberOrChoice(_, let words): return "a number or one of \(words.joined(separator: ", "))"
        case .numberRangeOrChoice(_, let words):
            return "a number, a list [low, high] of two numbers or one of \(words.joined(separator: ", "))"
        case .list(let item, _): return "a list of \(item.plural)"
        case .section, .variants: return "a section (key: value pairs)"
        case .toggle: return "true, false, null or a section"
        case .nullable(let inner): return inner.expectation + " or null"
        case .speaker: return "a speaker id (text or a number)"
        case .mapping(let value): return "a map of labels to \(value.plural)"
        }
    }

    private var plural: String {
        switch self {
        case .int, .intChoice: return "integers"
        case .number: return "numbers"
        case .choice(let words): return "words from \(words.joined(separator: ", "))"
        case .speaker: return "speaker ids"
        case .string: return "texts"
        default: return "values"
        }
    }
}

/// One key of a section: its shape, default (nil: no default, so the key is required unless nullable)
/// and a one-line description for the docs.
struct Field {
    var name: String
    var shape: Shape
    var defaultValue: SpecValue?
    var doc: String

    init(_ name: String, _ shape: Shape, _ defaultValue: SpecValue?, _ doc: String) {
        self.name = name
        self.shape = shape
        self.defaultValue = defaultValue
        self.doc = doc
    }
}

/// The word lists of specs that are not a Swift enum's `allCases` (librosa's and fastai's words are: see
/// `ExperimentSpec`'s field types).
public enum SpecVocabulary {
    /// The words of `data.emotions`, in RAVDESS code order.
    public static let emotions = Emotion.allCases.map(\.name)
    /// The words of `data.intensity`.
    public static let intensities = Intensity.allCases.map(\.name)
    /// The words of `data.labels`.
    public static let labelSchemes = DataSpec.labelKinds.map(\.rawValue)
    /// The words of `data.layout` and `test.layout`.
    public static let layouts = DatasetLayout.allCases.map(\.rawValue)
    public static let depths = ResNet.Depth.allCases.map(\.rawValue)
    /// RAVDESS has 24 actors (only 1–20 may be present locally).
    public static let actorRange = 1...24
}

enum SpecSchema {
    static let actor = Shape.int(SpecVocabulary.actorRange)
    static let speakers = Shape.nullable(.list(.speaker, minCount: 1))
    static let labelMap = Shape.nullable(.mapping(.string))
    static let positive = Shape.number(min: 0, minExclusive: true, max: nil)
    static let fraction = Shape.number(min: 0, minExclusive: true, max: 1, maxExclusive: true)

    static let data: [Field] = [
        Field("path", .nullable(.path), .null, "corpus folder (or CSV manifest); default `$SER_DATA`"),
        Field(
            "layout", .choice(of: DatasetLayout.self), .string(DatasetLayout.ravdess.rawValue),
            "how files are named and labelled (docs/datasets.md)"),
        Field(
            "labels", .choice(SpecVocabulary.labelSchemes), .string(LabelKind.emotion.rawValue),
            "what the model predicts (`given`: folder names or the CSV label column)"),
        Field(
            "label_map", labelMap, .null,
            "rename labels before `labels` reads them, e.g. `{ps: surprised, calm: neutral}`"),
        Field(
            "emotions", .nullable(.list(.choice(SpecVocabulary.emotions), minCount: 2)), .null,
            "keep only these emotions (null: all)"),
        Field("intensity", .nullable(.choice(SpecVocabulary.intensities)), .null, "keep only this intensity"),
        Field(
            "speakers", speakers, .null,
            "keep only these speakers, as the corpus writes them (`[\"09\", \"1001\", YAF]`; numbers read with two digits)"
        ),
        Field("actors", .nullable(.list(actor, minCount: 1)), .null, "RAVDESS's spelling of data.speakers (1–24)"),
        Field(
            "sources",
            .nullable(
                .list(
                    .section([
                        Field("path", .path, nil, "the corpus folder (or CSV manifest)"),
                        Field(
                            "layout", .choice(of: DatasetLayout.self), .string(DatasetLayout.ravdess.rawValue),
                            "its layout"),
                        Field("label_map", labelMap, .null, "rename its labels (as data.label_map)"),
                        Field("name", .nullable(.string), .null, "the corpus's name in metrics (null: the layout)"),
                    ]), minCount: 2)), .null,
            "several training corpora `[{path, layout, label_map, name}, …]` instead of data.path; each file keeps its corpus (`split.kind: corpus`, per-corpus metrics)"
        ),
        Field(
            "synthetic",
            .toggle([
                Field("actors", .int(2...24), .int(24), "synthetic actors (60 files each)"),
                Field("seed", .int(0...Int.max), .int(1), "generator seed"),
            ]), .null, "use the built-in synthetic corpus (made once and cached); no download needed"),
    ]

    /// The feature defaults: `FeatureParameters`' own (the notebook's), declared there once.
    private static let notebook = FeatureParameters.notebook

    /// A `ref` default as a spec writes it: `max` or a number.
    private static func reference(_ ref: DecibelReference) -> SpecValue {
        switch ref {
        case .max: return .string("max")
        case .value(let v): return .double(v)
        }
    }

    static let audio: [Field] = [
        Field("sample_rate", .int(4_000...192_000), .int(notebook.sampleRate), "resample to this rate (Hz)"),
        Field(
            "duration", .number(min: 0, minExclusive: true, max: 60), .double(3.5),
            "clip length in seconds: shorter clips are padded, longer ones cropped"),
        Field(
            "trim_db", .nullable(.number(min: 0, minExclusive: true, max: 120)), .null,
            "trim leading/trailing silence quieter than this many dB below the peak"),
    ]

    static let features: [Field] = [
        Field(
            "kind", .choice(of: FeatureSpec.Kind.self), .string(FeatureSpec.Kind.logMel.rawValue),
            "log-mel spectrogram or MFCCs"),
        Field("n_fft", .int(16...65_536), .int(notebook.nFFT), "FFT size (samples)"),
        Field("hop_length", .int(1...65_536), .int(notebook.hopLength), "samples between frames"),
        Field(
            "win_length", .nullable(.int(1...65_536)), notebook.winLength.map(SpecValue.int) ?? .null,
            "window length (null: n_fft); ≤ n_fft"),
        Field(
            "window", .choice(of: FeatureSpec.Window.self), .string(FeatureSpec.Window.hann.rawValue), "window function"
        ),
        Field("center", .bool, .bool(notebook.center), "pad so frames are centred (librosa's default)"),
        Field("n_mels", .int(1...512), .int(notebook.nMels), "mel bands"),
        Field("fmin", .number(min: 0, max: nil), .double(notebook.fmin), "lowest frequency (Hz)"),
        Field(
            "fmax", .nullable(positive), notebook.fmax.map(SpecValue.double) ?? .null,
            "highest frequency (Hz; null: sample_rate/2)"),
        Field(
            "power", .number(min: 0, minExclusive: true, max: 4), .double(notebook.power), "1 magnitude, 2 power"),
        Field(
            "db",
            .section([
                Field("ref", .numberOrChoice(positive, ["max"]), reference(notebook.ref), "reference: max or a number"),
                Field(
                    "top_db", .nullable(positive), notebook.topDB.map(SpecValue.double) ?? .null,
                    "floor this many dB below the peak"),
                Field("amin", positive, .double(notebook.amin), "smallest amplitude"),
            ]), nil, "power to dB (librosa.power_to_db)"),
        Field("n_mfcc", .int(1...128), .int(40), "MFCCs kept when kind is mfcc (≤ n_mels)"),
        Field(
            "normalize", .choice(of: FeatureSpec.Normalize.self), .string(FeatureSpec.Normalize.utterance.rawValue),
            "zero mean, unit variance per utterance or over the training set"),
    ]

    static let model: [Field] = [
        Field(
            "arch", .choice(of: NetworkArchitecture.self), .string(NetworkArchitecture.resnet.rawValue), "architecture"),
        Field("depth", .intChoice(SpecVocabulary.depths), .int(34), "ResNet depth"),
        Field("width", .int(8...256), .int(64), "channels of the first stage"),
        Field(
            "stem", .choice(of: ResNet.Stem.self), .string(ResNet.Stem.imageNet.rawValue),
            "7×7/2 conv + max-pool, or 3×3/1"),
        Field(
            "dropout", .number(min: 0, max: 1, maxExclusive: true), .double(0.5), "dropout before the classifier"),
        Field(
            "init", .nullable(.path), .null,
            "start from these weights: ser's own, or a torchvision/timm ResNet checkpoint (safetensors or .pth; new head, conv1 summed to 1 channel)"
        ),
    ]

    static let lrFinder: [Field] = [
        Field("enabled", .bool, .bool(true), "run the finder before training"),
        Field("start_lr", positive, .double(1e-7), "first learning rate"),
        Field("end_lr", positive, .double(10), "last learning rate"),
        Field("num_it", .int(2...10_000), .int(100), "mini-batches"),
        Field("stop_div", .bool, .bool(true), "stop when the loss diverges"),
        Field(
            "suggest", .list(.choice(of: LRSuggestionMethod.self), minCount: 1),
            .list(LRSuggestionMethod.allCases.map { SpecNode(.string($0.rawValue), at: defaultLocation) }),
            "suggestions to compute"),
    ]

    static let augment: [Field] = [
        Field(
            "spec_augment",
            .toggle([
                Field("freq_masks", .int(0...16), .int(2), "frequency masks"),
                Field("freq_width", .int(1...512), .int(8), "widest frequency mask (bands)"),
                Field("time_masks", .int(0...16), .int(2), "time masks"),
                Field("time_width", .int(1...10_000), .int(20), "widest time mask (frames)"),
            ]), .null, "SpecAugment masks"),
        Field(
            "time_shift", .nullable(.number(min: 0, minExclusive: true, max: 1)), .null,
            "roll the audio by up to this fraction of its length"),
        Field(
            "noise", .toggle([Field("snr_db", .number(min: -20, max: 100), .double(20), "signal-to-noise ratio")]),
            .null, "add white noise"),
        Field("mixup", .toggle([Field("alpha", positive, .double(0.4), "Beta(α, α) mixing")]), .null, "mixup"),
        Field(
            "freq_warp", .nullable(.number(min: 0, minExclusive: true, max: 0.5, maxExclusive: true)), .null,
            "scale every frequency by a random factor within 1 ± this (log_mel only)"),
    ]

    static let train: [Field] = [
        Field("epochs", .int(1...10_000), .int(20), "epochs"),
        Field("batch_size", .int(1...4_096), .int(64), "mini-batch size"),
        Field(
            "schedule", .choice(of: TrainSpec.Schedule.self), .string(TrainSpec.Schedule.fit.rawValue),
            "learning-rate schedule"),
        Field(
            "lr", .numberRangeOrChoice(positive, LRSuggestionMethod.allCases.map(\.rawValue)),
            .string(LRSuggestionMethod.steep.rawValue),
            "a learning rate, the finder suggestion to use, or [low, high]: discriminative rates from the stem (low) to the head (high)"
        ),
        Field(
            "optimizer",
            .section([
                Field(
                    "name", .choice(of: TrainSpec.OptimizerSpec.Name.self),
                    .string(TrainSpec.OptimizerSpec.Name.adamw.rawValue), "optimizer"),
                Field("wd", .number(min: 0, max: 1), .double(0.01), "weight decay"),
                Field("momentum", .number(min: 0, max: 1, maxExclusive: true), .double(0.9), "SGD momentum / Adam β1"),
                Field("beta2", .number(min: 0, max: 1, maxExclusive: true), .double(0.99), "Adam β2"),
                Field("eps", positive, .double(1e-5), "Adam ε"),
            ]), nil, "optimizer (fastai's defaults)"),
        Field(
            "label_smoothing", .number(min: 0, max: 1, maxExclusive: true), .double(0), "label smoothing ε"),
        Field("augment", .section(augment), nil, "training-time augmentation (all off by default)"),
        Field(
            "keep", .choice(of: TrainSpec.Keep.self), .string(TrainSpec.Keep.last.rawValue),
            "weights to keep: the `last` epoch's, the `average` of the last epochs', or the `best` validation accuracy's (`best` selects on the validation set, so its score flatters)"
        ),
        Field(
            "average_epochs", .int(2...10_000), .int(10),
            "with `keep: average`: how many of the last epochs' weights to average"),
        Field(
            "fine_tune",
            .toggle([
                Field(
                    "freeze_epochs", .int(1...10_000), .int(1),
                    "first epochs that train only the head and BatchNorm (the pretrained body frozen; = epochs: frozen throughout)"
                )
            ]), .null, "fastai's fine-tune recipe for a pretrained model.init"),
    ]

    static let split = Shape.variants(
        kinds: SplitSpec.Kind.allCases.map(\.rawValue), defaultKind: SplitSpec.Kind.random.rawValue,
        fields: [
            Field(
                "kind", .choice(of: SplitSpec.Kind.self), .string(SplitSpec.Kind.random.rawValue),
                "how to pick validation files (`manifest`: the CSV manifest's split column; `none`: no validation, every file trains)"
            ),
            Field("valid_pct", fraction, .double(0.2), "fraction held out (random; speakers without `valid`)"),
            Field("valid", speakers, .null, "validation speakers (RAVDESS actor 9 = `09`)"),
            Field("k", .int(2...24), .int(5), "folds (kfold_speakers)"),
            Field(
                "fold", .nullable(.int(1...24)), .null,
                "the fold to run, 1…k, or the data.sources entry held out (null: every one, one run each)"),
            Field("seed", .nullable(.int(0...Int.max)), .null, "split seed (null: the spec's seed)"),
        ],
        variants: [
            SplitSpec.Kind.random.rawValue: ["valid_pct", "seed"],
            SplitSpec.Kind.speakers.rawValue: ["valid", "valid_pct", "seed"],
            SplitSpec.Kind.kfoldSpeakers.rawValue: ["k", "fold", "seed"],
            SplitSpec.Kind.corpus.rawValue: ["fold", "seed"],
            SplitSpec.Kind.manifest.rawValue: [],
            SplitSpec.Kind.noValidation.rawValue: [],
        ])

    static let test: [Field] = [
        Field("actors", .nullable(.list(actor, minCount: 1)), .null, "held-out RAVDESS actors"),
        Field("speakers", speakers, .null, "held-out speakers of the corpus"),
        Field("path", .nullable(.path), .null, "another corpus (folder or CSV manifest)"),
        Field("manifest", .nullable(.path), .null, "a CSV of path,label"),
        Field(
            "layout", .nullable(.choice(of: DatasetLayout.self)), .null,
            "test.path's layout (null: data.layout; manifests are csv)"),
        Field("label_map", labelMap, .null, "rename test.path's labels (as data.label_map)"),
    ]

    static let defaultLocation = SourceLocation(file: "(default)", line: 0, column: 0)

    /// The top level of a spec (`extends` and `sweep` are taken out by `SpecLoader` before validation).
    static let root: [Field] = [
        Field("name", .string, nil, "experiment name; runs are grouped under it"),
        Field("description", .string, .string(""), "free text"),
        Field("seed", .int(0...Int(Int32.max)), .int(42), "seed for every random choice"),
        Field("data", .section(data), nil, "the corpus"),
        Field("audio", .section(audio), nil, "decoding"),
        Field("features", .section(features), nil, "spectrograms"),
        Field("model", .section(model), nil, "the network"),
        Field("lr_finder", .section(lrFinder), nil, "learning-rate finder (fastai's lr_find)"),
        Field("train", .section(train), nil, "training"),
        Field("split", split, nil, "validation split"),
        Field("test", .nullable(.section(test)), .null, "a held-out test set: one of actors, speakers, path, manifest"),
    ]
}
