import Audio
import Datasets
import Foundation
import NeuralNet
import Training

/// A resolved experiment spec: every section with every default filled in (see docs/store.md for each key,
/// its default and range). Built by `SpecLoader` from YAML, never by hand in production code; the
/// memberwise defaults mirror the schema so tests can build one directly.
public struct ExperimentSpec: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var seed: Int
    public var data: DataSpec
    public var audio: AudioSpec
    public var features: FeatureSpec
    public var model: ModelSpec
    public var lrFinder: LRFinderSpec
    public var train: TrainSpec
    public var split: SplitSpec
    public var test: TestSpec?

    enum CodingKeys: String, CodingKey {
        case name, description, seed, data, audio, features, model, train, split, test
        case lrFinder = "lr_finder"
    }

    /// The seed of the validation split: `split.seed`, else the spec's seed.
    public var splitSeed: Int { split.seed ?? seed }

    /// The highest mel frequency in Hz: `features.fmax`, else half the sample rate.
    public var fmaxHz: Double { features.fmax ?? Double(audio.sampleRate) / 2 }

    /// The window length in samples: `features.win_length`, else `n_fft`.
    public var windowLength: Int { features.winLength ?? features.nFFT }

    /// Samples per clip after padding or cropping (`audio.duration` × `sample_rate`, rounded).
    public var clipSamples: Int { Int((audio.duration * Double(audio.sampleRate)).rounded()) }
}

/// `data:` the corpus and which files of it to use.
public struct DataSpec: Codable, Equatable, Sendable {
    /// Absolute path of the corpus (nil when `synthetic` is set).
    public var path: String?
    /// A built-in corpus (`ravdess`, `cremad`, `tess`, `savee`, `emodb`), `folders` or `csv`.
    public var layout: DatasetLayout
    /// `emotion` | `gender_emotion` | `intensity` | `gender` | `given`.
    public var labels: LabelKind
    /// `data.label_map`: labels renamed before `labels` reads them (nil: none).
    public var labelMap: [String: String]?
    /// `data.sources`: several training corpora instead of `path` (nil: one corpus).
    public var sources: [SourceSpec]?

    /// One `data.sources` entry.
    public struct SourceSpec: Codable, Equatable, Sendable {
        public var path: String
        public var layout: DatasetLayout
        public var labelMap: [String: String]?
        /// Nil: the layout's name.
        public var name: String?

        public init(path: String, layout: DatasetLayout, labelMap: [String: String]? = nil, name: String? = nil) {
            self.path = path
            self.layout = layout
            self.labelMap = labelMap
            self.name = name
        }

        /// The corpus's name in metrics and splits: `name`, else the layout's.
        public var corpusName: String { name ?? layout.rawValue }

        enum CodingKeys: String, CodingKey {
            case path, layout, name
            case labelMap = "label_map"
        }
    }
    /// Emotions kept (nil: all eight); written by name (`happy`) in a spec.
    public var emotions: [Emotion]?
    /// `normal` | `strong` (nil: both); written by name in a spec.
    public var intensity: Intensity?
    /// Actors kept, 1…24 (nil: all present): RAVDESS's spelling of ``speakers`` (set at most one of the two).
    public var actors: [Int]?
    /// `data.speakers`: speakers kept, as the corpus writes them (numbers read with two digits: 9 → "09"; nil:
    /// all).
    public var speakers: [String]?
    public var synthetic: SyntheticSpec?

    public struct SyntheticSpec: Codable, Equatable, Sendable {
        public var actors: Int
        public var seed: Int
    }

    /// The label schemes a spec may name: every ``LabelKind``.
    public static let labelKinds = LabelKind.allCases

    public init(
        path: String?, layout: DatasetLayout, labels: LabelKind, emotions: [Emotion]?, intensity: Intensity?,
        actors: [Int]?, synthetic: SyntheticSpec?, labelMap: [String: String]? = nil, speakers: [String]? = nil
    ) {
        self.path = path
        self.layout = layout
        self.labels = labels
        self.labelMap = labelMap
        self.emotions = emotions
        self.intensity = intensity
        self.actors = actors
        self.speakers = speakers
        self.synthetic = synthetic
    }

    /// The speakers kept: `data.speakers`, or `data.actors` as two-digit ids (nil: all).
    public var keptSpeakers: [String]? { speakers ?? actors?.map(SpeakerID.name(of:)) }

    /// The key that names ``keptSpeakers`` in the spec, for messages.
    public var keptSpeakersKey: String { speakers != nil ? "data.speakers" : "data.actors" }

    enum CodingKeys: String, CodingKey {
        case path, layout, labels, emotions, intensity, actors, speakers, synthetic, sources
        case labelMap = "label_map"
    }

    // Emotions and intensities are coded by name (`Emotion` and `Intensity` code themselves by RAVDESS number).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        layout = try c.decode(DatasetLayout.self, forKey: .layout)
        labels = try c.decode(LabelKind.self, forKey: .labels)
        labelMap = try c.decodeIfPresent([String: String].self, forKey: .labelMap)
        sources = try c.decodeIfPresent([SourceSpec].self, forKey: .sources)
        emotions = try c.decodeIfPresent([String].self, forKey: .emotions).map { names in
            try names.map { name in
                guard let emotion = Emotion(name: name) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .emotions, in: c, debugDescription: "unknown emotion \(name)")
                }
                return emotion
            }
        }
        intensity = try c.decodeIfPresent(String.self, forKey: .intensity).map { name in
            guard let intensity = Intensity.allCases.first(where: { $0.name == name }) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .intensity, in: c, debugDescription: "unknown intensity \(name)")
            }
            return intensity
        }
        actors = try c.decodeIfPresent([Int].self, forKey: .actors)
        speakers = try c.decodeIfPresent([SpeakerID].self, forKey: .speakers)?.map(\.name)
        synthetic = try c.decodeIfPresent(SyntheticSpec.self, forKey: .synthetic)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(path, forKey: .path)
        try c.encode(layout, forKey: .layout)
        try c.encode(labels, forKey: .labels)
        try c.encodeIfPresent(labelMap, forKey: .labelMap)
        try c.encodeIfPresent(sources, forKey: .sources)
        try c.encodeIfPresent(emotions?.map(\.name), forKey: .emotions)
        try c.encodeIfPresent(intensity?.name, forKey: .intensity)
        try c.encodeIfPresent(actors, forKey: .actors)
        try c.encodeIfPresent(speakers, forKey: .speakers)
        try c.encodeIfPresent(synthetic, forKey: .synthetic)
    }
}

/// `audio:` decoding before features.
public struct AudioSpec: Codable, Equatable, Sendable {
    public var sampleRate: Int
    /// Seconds; shorter clips are padded, longer ones cropped.
    public var duration: Double
    public var trimDB: Double?

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate"
        case duration
        case trimDB = "trim_db"
    }
}

/// `features:` the spectrogram (librosa's parameter names).
public struct FeatureSpec: Codable, Equatable, Sendable {
    public var kind: Kind
    public var nFFT: Int
    public var hopLength: Int
    /// nil: `nFFT`.
    public var winLength: Int?
    public var window: Window
    public var center: Bool
    public var nMels: Int
    public var fmin: Double
    /// nil: sample_rate / 2.
    public var fmax: Double?
    public var power: Double
    public var db: DecibelSpec
    public var nMFCC: Int
    public var normalize: Normalize

    /// `features.kind`: a log-mel spectrogram or its MFCCs.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case logMel = "log_mel"
        case mfcc
    }

    /// `features.window`: the STFT window (the extractor has Hann only; `hamming` is refused at run time).
    public enum Window: String, Codable, CaseIterable, Sendable {
        case hann, hamming
    }

    /// `features.normalize`: zero mean and unit variance per utterance, over the training set, or not at all.
    public enum Normalize: String, Codable, CaseIterable, Sendable {
        case none, utterance, dataset
    }

    public struct DecibelSpec: Codable, Equatable, Sendable {
        public var ref: Reference
        public var topDB: Double?
        public var amin: Double

        /// `max` (the spectrogram's peak) or a fixed reference power.
        public enum Reference: Codable, Equatable, Sendable {
            case max
            case value(Double)

            public init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let value = try? container.decode(Double.self) {
                    self = .value(value)
                } else {
                    _ = try container.decode(String.self)
                    self = .max
                }
            }

            public func encode(to encoder: Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .max: try container.encode("max")
                case .value(let value): try container.encode(value)
                }
            }
        }

        enum CodingKeys: String, CodingKey {
            case ref, amin
            case topDB = "top_db"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, window, center, fmin, fmax, power, db, normalize
        case nFFT = "n_fft"
        case hopLength = "hop_length"
        case winLength = "win_length"
        case nMels = "n_mels"
        case nMFCC = "n_mfcc"
    }
}

/// `model:` the network.
public struct ModelSpec: Codable, Equatable, Sendable {
    public var arch: NetworkArchitecture
    /// 10, 18, 34 or 50.
    public var depth: Int
    public var width: Int
    /// `imagenet` (7×7/2 conv and max-pool) | `small` (3×3/1).
    public var stem: ResNet.Stem
    public var dropout: Double
    /// Absolute path of safetensors weights to start from.
    public var initWeights: String?

    enum CodingKeys: String, CodingKey {
        case arch, depth, width, stem, dropout
        case initWeights = "init"
    }
}

/// `lr_finder:` fastai's `lr_find`.
public struct LRFinderSpec: Codable, Equatable, Sendable {
    public var enabled: Bool
    public var startLR: Double
    public var endLR: Double
    public var numIt: Int
    public var stopDiv: Bool
    public var suggest: [LRSuggestionMethod]

    enum CodingKeys: String, CodingKey {
        case enabled, suggest
        case startLR = "start_lr"
        case endLR = "end_lr"
        case numIt = "num_it"
        case stopDiv = "stop_div"
    }
}

/// `train:` the training loop.
public struct TrainSpec: Codable, Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var schedule: Schedule
    /// A number, or the finder suggestion to train with.
    public var lr: LearningRateChoice
    public var optimizer: OptimizerSpec
    public var labelSmoothing: Double
    public var augment: AugmentSpec
    /// The weights the run keeps and reports.
    public var keep: Keep
    /// With `keep: average`: the number of last epochs whose weights are averaged.
    public var averageEpochs: Int
    /// `train.fine_tune`: freeze the pretrained body for the first epochs (nil: off).
    public var fineTune: FineTuneSpec? = nil

    /// `train.fine_tune`: fastai's fine-tune recipe (see docs/training.md).
    public struct FineTuneSpec: Codable, Equatable, Sendable {
        /// The first epochs of `train.epochs` that train only the head and BatchNorm.
        public var freezeEpochs: Int
        enum CodingKeys: String, CodingKey { case freezeEpochs = "freeze_epochs" }
    }

    /// `train.schedule`: the learning-rate schedule (fastai's `fit`, `fit_one_cycle`, `fit_flat_cos`).
    public enum Schedule: String, Codable, CaseIterable, Sendable {
        case fit
        case oneCycle = "one_cycle"
        case flatCos = "flat_cos"
    }

    /// `train.keep`: which weights a run keeps: the best epoch's by validation accuracy, the last epoch's, or the
    /// average of the last `average_epochs` epochs' weights.
    public enum Keep: String, Codable, CaseIterable, Sendable {
        case best, last, average
    }

    public struct OptimizerSpec: Codable, Equatable, Sendable {
        public var name: Name
        /// `train.optimizer.name`: AdamW (decoupled weight decay), Adam (L2 weight decay) or SGD with momentum.
        public enum Name: String, Codable, CaseIterable, Sendable {
            case adamw, adam, sgd
        }
        public var wd: Double
        /// SGD momentum, or Adam's β1.
        public var momentum: Double
        public var beta2: Double
        public var eps: Double
    }

    public struct AugmentSpec: Codable, Equatable, Sendable {
        /// SpecAugment masks (Training's own type: its keys are the spec's), nil: off.
        public var specAugment: Augmentation.SpecAugment?
        /// Largest roll as a fraction of the clip.
        public var timeShift: Double?
        public var noise: Noise?
        public var mixup: Mixup?
        /// Largest relative scaling of the mel axis's frequencies (VTLP-style), nil: off.
        public var freqWarp: Double?

        public struct Noise: Codable, Equatable, Sendable {
            public var snrDB: Double
            enum CodingKeys: String, CodingKey { case snrDB = "snr_db" }
        }

        public struct Mixup: Codable, Equatable, Sendable {
            public var alpha: Double
        }

        enum CodingKeys: String, CodingKey {
            case noise, mixup
            case specAugment = "spec_augment"
            case timeShift = "time_shift"
            case freqWarp = "freq_warp"
        }
    }

    enum CodingKeys: String, CodingKey {
        case epochs, schedule, lr, optimizer, augment, keep
        case batchSize = "batch_size"
        case labelSmoothing = "label_smoothing"
        case averageEpochs = "average_epochs"
        case fineTune = "fine_tune"
    }
}

/// `split:` how validation files are chosen. Only the keys of the chosen `kind` are set.
public struct SplitSpec: Codable, Equatable, Sendable {
    public var kind: Kind
    /// random, speakers (when `valid` is nil).
    public var validPct: Double?
    /// speakers: validation speakers (numbers written in the spec read as two digits: 9 → "09").
    public var valid: [String]?
    /// kfold_speakers: number of folds and the one to run (1…k; nil: all).
    public var k: Int?
    public var fold: Int?
    /// nil: the spec's seed.
    public var seed: Int?

    public init(
        kind: Kind, validPct: Double? = nil, valid: [String]? = nil, k: Int? = nil, fold: Int? = nil, seed: Int? = nil
    ) {
        self.kind = kind
        self.validPct = validPct
        self.valid = valid
        self.k = k
        self.fold = fold
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case kind, valid, k, fold, seed
        case validPct = "valid_pct"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        validPct = try c.decodeIfPresent(Double.self, forKey: .validPct)
        valid = try c.decodeIfPresent([SpeakerID].self, forKey: .valid)?.map(\.name)
        k = try c.decodeIfPresent(Int.self, forKey: .k)
        fold = try c.decodeIfPresent(Int.self, forKey: .fold)
        seed = try c.decodeIfPresent(Int.self, forKey: .seed)
    }

    /// `split.kind`: random files, whole speakers (named or a random fraction), one fold of k speaker folds,
    /// one `data.sources` corpus held out (leave-one-corpus-out), or the parts a CSV manifest's `split` column
    /// gives (`train`, `valid`, `test`), or no validation at all (`none`: every file trains, as the final model
    /// after a k-fold has chosen the recipe).
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case random, speakers
        case kfoldSpeakers = "kfold_speakers"
        case corpus
        case manifest
        /// `none`: no validation files (a Swift case named `none` would read as `Optional.none`).
        case noValidation = "none"
    }
}

/// A speaker as a spec writes it: text, or a number read as RAVDESS and EMO-DB write speakers (at least two
/// digits: 9 → "09", 1001 → "1001").
public struct SpeakerID: Codable, Equatable, Sendable {
    public var name: String

    public init(_ name: String) { self.name = name }

    /// The speaker id of the number `n`: at least two digits.
    public static func name(of n: Int) -> String { n >= 0 && n < 10 ? "0\(n)" : "\(n)" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Int.self) {
            name = Self.name(of: number)
        } else {
            name = try c.decode(String.self)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// `test:` a held-out test set; exactly one of actors, speakers, path and manifest is set.
public struct TestSpec: Codable, Equatable, Sendable {
    public var actors: [Int]?
    /// Held-out speakers of the training corpus.
    public var speakers: [String]?
    /// Another corpus: a folder (or manifest) read with ``layout`` and ``labelMap``.
    public var path: String?
    public var manifest: String?
    /// `test.path`'s layout (nil: `data.layout`).
    public var layout: DatasetLayout?
    public var labelMap: [String: String]?

    public init(
        actors: [Int]? = nil, speakers: [String]? = nil, path: String? = nil, manifest: String? = nil,
        layout: DatasetLayout? = nil, labelMap: [String: String]? = nil
    ) {
        self.actors = actors
        self.speakers = speakers
        self.path = path
        self.manifest = manifest
        self.layout = layout
        self.labelMap = labelMap
    }

    enum CodingKeys: String, CodingKey {
        case actors, speakers, path, manifest, layout
        case labelMap = "label_map"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actors = try c.decodeIfPresent([Int].self, forKey: .actors)
        speakers = try c.decodeIfPresent([SpeakerID].self, forKey: .speakers)?.map(\.name)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        manifest = try c.decodeIfPresent(String.self, forKey: .manifest)
        layout = try c.decodeIfPresent(DatasetLayout.self, forKey: .layout)
        labelMap = try c.decodeIfPresent([String: String].self, forKey: .labelMap)
    }

    /// The held-out speakers of the training corpus: `speakers`, or `actors` as two-digit ids.
    public var heldOutSpeakers: [String]? { speakers ?? actors?.map(SpeakerID.name(of:)) }
}
