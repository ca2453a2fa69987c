import Datasets
import Features
import Foundation
import Inference
import NeuralNet
import Specs
import Training

/// How a resolved spec maps onto the training pipeline's own types: label scheme, split, augmentation,
/// batches, learning-rate policy and network (the feature parameters are the spec language's own,
/// `SpecFeatures.swift`). Pure functions of the spec; no I/O.
extension ExperimentSpec {
    /// The label scheme of `data.labels`, restricted to `data.emotions` when they are set (for
    /// `gender_emotion`, both genders of each kept emotion).
    public func labelScheme() -> LabelScheme {
        let kind = data.labels
        guard let emotions = data.emotions else { return LabelScheme(kind) }
        switch kind {
        case .emotion: return LabelScheme(.emotion, subset: emotions.map(\.name))
        case .genderEmotion:
            let names = LabelScheme.fixedClassNames(.genderEmotion) ?? []
            return LabelScheme(
                .genderEmotion, subset: names.filter { name in emotions.contains { name.hasSuffix("_" + $0.name) } })
        default: return LabelScheme(kind)
        }
    }

    /// The validation split of `split:` (`split.fold` counts from 1 in the spec, from 0 here).
    public func splitKind() throws -> SplitKind {
        let seed = UInt64(splitSeed)
        switch split.kind {
        case .random: return .random(validFraction: split.validPct ?? 0.2, seed: seed)
        case .noValidation: return .noValidation
        case .speakers:
            if let valid = split.valid { return .speakers(valid) }
            return .speakerFraction(split.validPct ?? 0.2, seed: seed)
        case .kfoldSpeakers:
            let k = split.k ?? 5
            guard let fold = split.fold else {
                throw UnsupportedValueError(
                    key: "split.fold", value: "null",
                    expected: "a fold 1…\(k) (the loader expands null into one run per fold)")
            }
            return .kFoldSpeakers(k: k, fold: fold - 1)
        case .corpus:
            // The items' corpora stand in for speakers (see ``splitsByCorpus``).
            guard let sources = data.sources, let fold = split.fold, sources.indices.contains(fold - 1) else {
                throw UnsupportedValueError(
                    key: "split.fold", value: split.fold.map(String.init) ?? "null",
                    expected: "one of data.sources, 1…\(data.sources?.count ?? 0)")
            }
            return .speakers([sources[fold - 1].corpusName])
        case .manifest:
            // The parts are the manifest's rows' (``RunData/manifestValid``), not the spec's.
            throw UnsupportedValueError(
                key: "split.kind", value: "manifest", expected: "a split the spec alone gives (manifest needs the data)"
            )
        }
    }

    /// Whether the split groups items by corpus (`split.kind: corpus`) rather than by speaker.
    public var splitsByCorpus: Bool { split.kind == .corpus }

    /// RAVDESS's speaker id of actor `n`: two digits, as the dataset layer writes it.
    public static func speakerName(_ actor: Int) -> String { SpeakerID.name(of: actor) }

    /// Training-time augmentation of `train.augment:`.
    public var augmentation: Augmentation {
        let a = train.augment
        return Augmentation(
            specAugment: a.specAugment,
            timeShift: a.timeShift ?? 0,
            noiseSNR: a.noise.map { $0.snrDB...$0.snrDB },
            noiseProbability: a.noise == nil ? 0 : 1,
            mixupAlpha: a.mixup?.alpha,
            frequencyWarp: a.freqWarp.map {
                .init(maxWarp: $0, fmin: features.fmin, fmax: fmaxHz)
            })
    }

    /// Whether `features.normalize` is `dataset` (statistics of the training split).
    public var usesDatasetNormalization: Bool { features.normalize == .dataset }

    /// The normalisation of `features.normalize` (`dataset` needs the training split's statistics).
    public func normalization(datasetStatistics: DatasetStatistics?) -> Normalization {
        switch features.normalize {
        case .none: return .none
        case .dataset: return datasetStatistics.map { .dataset($0) } ?? .utterance
        case .utterance: return .utterance
        }
    }

    /// The audio settings of `audio:` for the feature `parameters`: rate, clip in frames at the feature hop,
    /// trimming (what ``TrainingSetup`` trains on and the model file records).
    public func audioSettings(_ parameters: FeatureParameters) -> AudioSettings {
        AudioSettings(
            sampleRate: audio.sampleRate, duration: audio.duration, frames: exampleFrames(parameters),
            trimDB: audio.trimDB)
    }

    /// What a model trained on this spec sees of audio: its features, audio settings and normalisation (with
    /// `features.normalize: dataset`, `datasetStatistics` are the training split's; without them, none is
    /// applied).
    /// - Throws: ``UnsupportedValueError`` as ``featureParameters()`` does.
    public func modelFeatures(datasetStatistics: DatasetStatistics?) throws -> ModelFeatures {
        let parameters = try featureParameters()
        let normalization =
            usesDatasetNormalization && datasetStatistics == nil
            ? .none : normalization(datasetStatistics: datasetStatistics)
        return ModelFeatures(
            features: parameters, audio: audioSettings(parameters), normalization: normalization)
    }

    /// The learning-rate policy of `train.schedule` at `lr`.
    public func policy(lr: Double) -> LRPolicy {
        switch train.schedule {
        case .oneCycle: return .oneCycle(lrMax: lr)
        case .flatCos: return .flatCosine(lr: lr)
        case .fit: return .constant(lr: lr)
        }
    }

    /// The network architecture of `model:` for `classCount` classes.
    public func architecture(classCount: Int) throws -> ModelArchitecture {
        guard ResNet.Depth(rawValue: model.depth) != nil else {
            throw UnsupportedValueError(key: "model.depth", value: "\(model.depth)", expected: "10, 18, 34 or 50")
        }
        return ModelArchitecture(
            arch: model.arch, depth: model.depth, width: model.width, stem: model.stem, inputChannels: 1,
            classCount: classCount, dropout: model.dropout)
    }
}
