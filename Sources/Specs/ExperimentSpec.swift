import Foundation
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
    /// `ravdess` | `folders` | `csv`.
    public var layout: String
    /// `emotion` | `gender_emotion` | `intensity` | `gender`.
    public var labels: String
    /// Emotions kept (nil: all eight).
    public var emotions: [String]?
    /// `normal` | `strong` (nil: both).
    public var intensity: String?
    /// Actors kept, 1…24 (nil: all present).
    public var actors: [Int]?
    public var synthetic: SyntheticSpec?

    public struct SyntheticSpec: Codable, Equatable, Sendable {
        public var actors: Int
        public var seed: Int
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
    /// `log_mel` | `mfcc`.
    public var kind: String
    public var nFFT: Int
    public var hopLength: Int
    /// nil: `nFFT`.
    public var winLength: Int?
    /// `hann` | `hamming`.
    public var window: String
    public var center: Bool
    public var nMels: Int
    public var fmin: Double
    /// nil: sample_rate / 2.
    public var fmax: Double?
    public var power: Double
    public var db: DecibelSpec
    public var nMFCC: Int
    /// `none` | `utterance` | `dataset`.
    public var normalize: String

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
    /// `resnet`.
    public var arch: String
    /// 10, 18, 34 or 50.
    public var depth: Int
    public var width: Int
    /// `imagenet` (7×7/2 conv and max-pool) | `small` (3×3/1).
    public var stem: String
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
    /// Among `minimum`, `steep`, `valley`, `slide`.
    public var suggest: [String]

    enum CodingKeys: String, CodingKey {
        case enabled, suggest
        case startLR = "start_lr"
        case endLR = "end_lr"
        case numIt = "num_it"
        case stopDiv = "stop_div"
    }
}

/// A learning rate: a number, or the name of a finder suggestion.
public enum LearningRate: Codable, Equatable, Sendable {
    case value(Double)
    case suggestion(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .value(value)
        } else {
            self = .suggestion(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .value(let value): try container.encode(value)
        case .suggestion(let name): try container.encode(name)
        }
    }
}

/// `train:` the training loop.
public struct TrainSpec: Codable, Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    /// `fit` | `one_cycle` | `flat_cos`.
    public var schedule: String
    public var lr: LearningRate
    public var optimizer: OptimizerSpec
    public var labelSmoothing: Double
    public var augment: AugmentSpec
    /// `best` (validation accuracy) | `last` | `average`: the weights the run keeps and reports.
    public var keep: String
    /// With `keep: average`: the number of last epochs whose weights are averaged.
    public var averageEpochs: Int

    public struct OptimizerSpec: Codable, Equatable, Sendable {
        /// `adamw` | `adam` | `sgd`.
        public var name: String
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
    }
}

/// `split:` how validation files are chosen. Only the keys of the chosen `kind` are set.
public struct SplitSpec: Codable, Equatable, Sendable {
    /// `random` | `speakers` | `kfold_speakers`.
    public var kind: String
    /// random, speakers (when `valid` is nil).
    public var validPct: Double?
    /// speakers: validation actors.
    public var valid: [Int]?
    /// kfold_speakers: number of folds and the one to run (1…k; nil: all).
    public var k: Int?
    public var fold: Int?
    /// nil: the spec's seed.
    public var seed: Int?

    enum CodingKeys: String, CodingKey {
        case kind, valid, k, fold, seed
        case validPct = "valid_pct"
    }
}

/// `test:` a held-out test set; exactly one field is set.
public struct TestSpec: Codable, Equatable, Sendable {
    public var actors: [Int]?
    public var path: String?
    public var manifest: String?
}
