import Audio
import Features
import Foundation
import NeuralNet
import Training

/// How audio becomes one example: decoding rate, clip length, silence trimming, crop.
public struct AudioSettings: Codable, Equatable, Sendable {
    /// Rate the audio is resampled to (Hz); equals the feature parameters' rate.
    public var sampleRate: Int
    /// Seconds per example (shorter clips are padded, longer ones centre-cropped).
    public var duration: Double
    /// Frames per example at the feature hop (the model's input width).
    public var frames: Int
    /// Leading/trailing silence quieter than this many dB below the peak is trimmed (nil: no trimming).
    public var trimDB: Double?
    /// Where an example is taken from a longer utterance at evaluation: `center` (the only one a model file may
    /// name).
    public var crop: CropMode

    enum CodingKeys: String, CodingKey {
        case duration, frames, crop
        case sampleRate = "sample_rate"
        case trimDB = "trim_db"
    }

    public init(sampleRate: Int, duration: Double, frames: Int, trimDB: Double?, crop: CropMode = .center) {
        self.sampleRate = sampleRate
        self.duration = duration
        self.frames = frames
        self.trimDB = trimDB
        self.crop = crop
    }

    /// Reads a model file's `audio`; a `crop` that is no ``CropMode`` is refused as ``validate(featureRate:)``
    /// refuses one other than `center`.
    /// - Throws: ``MetadataValueError`` for an unknown crop.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sampleRate = try c.decode(Int.self, forKey: .sampleRate)
        duration = try c.decode(Double.self, forKey: .duration)
        frames = try c.decode(Int.self, forKey: .frames)
        trimDB = try c.decodeIfPresent(Double.self, forKey: .trimDB)
        let text = try c.decode(String.self, forKey: .crop)
        guard let crop = CropMode(rawValue: text) else {
            throw MetadataValueError(key: "audio.crop", value: "\"\(text)\"", expected: "\"center\"")
        }
        self.crop = crop
    }

    /// Rates a model can be trained at (the spec's `audio.sample_rate`).
    public static let sampleRates = 4_000...192_000
    /// Seconds per example (the spec's `audio.duration`).
    public static let durations = 0.0...60.0
    /// Frames per example: 60 s at a hop of 128 samples and 192 kHz is 90,001 frames.
    public static let frameCounts = 1...100_000
    /// Silence trimming threshold in dB (the spec's `audio.trim_db`).
    public static let trimDBs = 0.0...120.0

    /// Checks every value against its range (docs/runner.md); `featureRate` is the features' rate, which
    /// the audio's must equal.
    /// - Throws: ``MetadataValueError`` naming the first field out of range.
    public func validate(featureRate: Int) throws {
        func fail(_ field: String, _ value: Any, _ expected: String) throws -> Never {
            throw MetadataValueError(key: "audio.\(field)", value: "\(value)", expected: expected)
        }
        let rates = Self.sampleRates, frameCounts = Self.frameCounts
        if !rates.contains(sampleRate) {
            try fail("sample_rate", sampleRate, "\(rates.lowerBound)…\(rates.upperBound) Hz")
        }
        if sampleRate != featureRate {
            try fail("sample_rate", sampleRate, "the features' sampleRate (\(featureRate))")
        }
        if !(duration > 0 && duration <= Self.durations.upperBound) {
            try fail("duration", duration, "0 < duration ≤ \(Self.durations.upperBound) s")
        }
        if !frameCounts.contains(frames) {
            try fail("frames", frames, "\(frameCounts.lowerBound)…\(frameCounts.upperBound)")
        }
        if let trimDB, !(trimDB > 0 && trimDB <= Self.trimDBs.upperBound) {
            try fail("trim_db", trimDB, "null or 0 < trim_db ≤ \(Self.trimDBs.upperBound)")
        }
        if crop != .center { try fail("crop", "\"\(crop.rawValue)\"", "\"center\"") }
    }

    /// Decodes a file as training and evaluation do: mono at `sampleRate` (librosa.load), then trimmed.
    public var decoder: AudioDecoder {
        let trim = trimDB
        return { path, rate in
            let samples = try AudioLoader.load(path, sampleRate: rate).samples
            return AudioSettings.trim(samples, topDB: trim)
        }
    }

    /// Trims silence like `librosa.effects.trim(top_db:)` (no-op for nil or when nothing would be left).
    public static func trim(_ samples: [Float], topDB: Double?) -> [Float] {
        guard let topDB, !samples.isEmpty else { return samples }
        let kept = trimSilence(samples, topDB: Float(topDB)).samples
        return kept.isEmpty ? samples : kept
    }
}

/// Where a model came from.
public struct ModelSource: Codable, Equatable, Sendable {
    public var runID: Int64?
    public var runName: String?
    public var experiment: String?
    public var specHash: String?
    /// The epoch (1-based) whose weights these are, and the metric that chose it.
    public var epoch: Int?
    public var selectedBy: String?

    enum CodingKeys: String, CodingKey {
        case experiment, epoch
        case runID = "run_id"
        case runName = "run_name"
        case specHash = "spec_hash"
        case selectedBy = "selected_by"
    }

    public init(
        runID: Int64? = nil, runName: String? = nil, experiment: String? = nil, specHash: String? = nil,
        epoch: Int? = nil, selectedBy: String? = nil
    ) {
        self.runID = runID
        self.runName = runName
        self.experiment = experiment
        self.specHash = specHash
        self.epoch = epoch
        self.selectedBy = selectedBy
    }
}

/// A trained model with everything needed to use it: one safetensors file whose `__metadata__` holds the
/// architecture, feature parameters, audio settings, normalisation, label names, source run and tool version
/// (each a JSON string; see docs/runner.md), and whose tensors are the network's `stateDict`.
///
/// `classify` applies exactly the preprocessing of evaluation during training (decode at the model's rate,
/// trim, log-mel, centre crop/pad to the model's frames, normalisation), so its probabilities equal the ones
/// the run recorded for the same files.
public struct ModelBundle {
    /// `__metadata__["format"]` of a model file.
    public static let format = "ser-model"
    /// The newest `format_version` this `ser` reads.
    public static let formatVersion = 2

    /// The version of a file holding one network; ensembles need ``ensembleFormatVersion``, so every file an
    /// older `ser` could read is still written as version 1.
    public static let singleFormatVersion = 1
    /// A file holding several networks (an ensemble): metadata `members`, tensors `members.<i>.<name>`.
    public static let ensembleFormatVersion = 2
    /// How many networks an ensemble file may hold.
    public static let memberCounts = 1...64

    /// One network of the file with what is particular to it (a fold's own dataset statistics, its run).
    public struct Member {
        public var architecture: ModelArchitecture
        public var normalization: Normalization
        public var source: ModelSource
        public var model: ResNet

        public init(architecture: ModelArchitecture, normalization: Normalization, source: ModelSource, model: ResNet) {
            self.architecture = architecture
            self.normalization = normalization
            self.source = source
            self.model = model
        }
    }

    /// The networks whose probabilities are averaged (one for a single model). Never empty.
    public var members: [Member]
    public var features: FeatureParameters
    public var audio: AudioSettings
    /// Class names in output order.
    public var labels: [String]
    /// The label scheme the classes came from (e.g. `emotion`, `gender_emotion`).
    public var labelScheme: String
    public var toolVersion: String

    /// The first member's architecture (the only one of a single model).
    public var architecture: ModelArchitecture {
        get { members[0].architecture }
        set { members[0].architecture = newValue }
    }
    /// The first member's normalisation.
    public var normalization: Normalization {
        get { members[0].normalization }
        set { members[0].normalization = newValue }
    }
    /// The first member's source run.
    public var source: ModelSource {
        get { members[0].source }
        set { members[0].source = newValue }
    }
    /// The first member's network.
    public var model: ResNet {
        get { members[0].model }
        set { members[0].model = newValue }
    }
    /// Whether the file holds more than one network.
    public var isEnsemble: Bool { members.count > 1 }

    public init(
        architecture: ModelArchitecture, features: FeatureParameters, audio: AudioSettings,
        normalization: Normalization, labels: [String], labelScheme: String, source: ModelSource,
        toolVersion: String, model: ResNet
    ) {
        self.members = [
            Member(architecture: architecture, normalization: normalization, source: source, model: model)
        ]
        self.features = features
        self.audio = audio
        self.labels = labels
        self.labelScheme = labelScheme
        self.toolVersion = toolVersion
    }

    /// An ensemble of `bundles`, whose probabilities are averaged: they must agree on labels, label scheme,
    /// feature parameters and audio settings (architectures and normalisations may differ).
    /// - Throws: ``EnsembleError`` naming the first member (by `names[i]`) that differs from the first.
    public init(ensembleOf bundles: [ModelBundle], names: [String]) throws {
        guard let first = bundles.first else { throw EnsembleError.empty }
        let members = bundles.flatMap(\.members)
        guard Self.memberCounts.contains(members.count) else {
            throw EnsembleError.tooMany(members.count, Self.memberCounts.upperBound)
        }
        for (i, bundle) in bundles.enumerated().dropFirst() {
            let name = i < names.count ? names[i] : "#\(i)"
            let firstName = names.first ?? "#0"
            if bundle.labels != first.labels {
                throw EnsembleError.differs(name, "classes", "\(bundle.labels)", firstName, "\(first.labels)")
            }
            if bundle.features != first.features {
                throw EnsembleError.differs(
                    name, "feature parameters", bundle.features.canonicalJSON, firstName, first.features.canonicalJSON)
            }
            if bundle.audio != first.audio {
                throw EnsembleError.differs(
                    name, "audio settings", (try? Self.json(bundle.audio)) ?? "?", firstName,
                    (try? Self.json(first.audio)) ?? "?")
            }
        }
        self.members = members
        self.features = first.features
        self.audio = first.audio
        self.labels = first.labels
        self.labelScheme = first.labelScheme
        self.toolVersion = first.toolVersion
    }

    // MARK: File format

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// What the `members` metadata of an ensemble file says of each network.
    struct MemberMetadata: Codable {
        var architecture: ModelArchitecture
        var normalization: Normalization
        var source: ModelSource
    }

    /// `members` of an ensemble file: each entry decoded on its own, so an error names its index.
    struct MemberList: Decodable {
        var entries: [MemberMetadata]
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            entries = []
            while !c.isAtEnd {
                let i = entries.count
                guard i < ModelBundle.memberCounts.upperBound else {
                    throw MetadataValueError(
                        key: "members", value: "more than \(i) entries",
                        expected:
                            "\(ModelBundle.memberCounts.lowerBound)…\(ModelBundle.memberCounts.upperBound) networks")
                }
                do {
                    entries.append(try c.decode(MemberMetadata.self))
                } catch let error as MetadataValueError {
                    throw MetadataValueError(
                        key: "members[\(i)].\(error.key)", value: error.value, expected: error.expected)
                }
            }
        }
    }

    /// The name of member `index`'s tensor `name` in an ensemble file.
    static func memberTensorName(_ index: Int, _ name: String) -> String { "members.\(index).\(name)" }

    /// The `__metadata__` strings of the file: version 1 for one network, version 2 (with `members`) for an
    /// ensemble.
    public func metadata() throws -> [String: String] {
        var meta = [
            "format": Self.format,
            "format_version": String(isEnsemble ? Self.ensembleFormatVersion : Self.singleFormatVersion),
            "features": features.canonicalJSON,
            "audio": try Self.json(audio),
            "labels": try Self.json(labels),
            "label_scheme": labelScheme,
            "tool_version": toolVersion,
        ]
        if isEnsemble {
            meta["members"] = try Self.json(
                members.map {
                    MemberMetadata(architecture: $0.architecture, normalization: $0.normalization, source: $0.source)
                })
        } else {
            meta["architecture"] = try Self.json(architecture)
            meta["normalization"] = try Self.json(normalization)
            meta["source"] = try Self.json(source)
        }
        return meta
    }

    /// The tensors of the file: the network's state dict, or every member's under `members.<i>.`.
    public func tensors() -> [(name: String, tensor: Tensor)] {
        guard isEnsemble else { return model.stateDict }
        return members.enumerated().flatMap { i, member in
            member.model.stateDict.map { (Self.memberTensorName(i, $0.name), $0.tensor) }
        }
    }

    /// Writes the model file (atomically).
    public func save(to url: URL) throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SafeTensors.write(tensors(), metadata: try metadata(), to: url)
    }

    /// Reads a model file written by `save(to:)` (a run's weights or `ser export`'s output, one network or an
    /// ensemble).
    /// - Throws: `ModelFileError` naming the file and the missing or malformed metadata key.
    public static func load(from url: URL) throws -> ModelBundle {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelFileError(path: path, problem: "no such file")
        }
        let file: (tensors: [(name: String, tensor: Tensor)], metadata: [String: String])
        do {
            file = try SafeTensors.read(from: url)
        } catch {
            throw ModelFileError(path: path, problem: "not a safetensors file (\(error))")
        }
        let meta = file.metadata
        guard meta["format"] == format else {
            throw ModelFileError(
                path: path,
                problem:
                    "not a ser model file: its metadata has no format '\(format)' (checkpoints are not model files; use a run's weights or `ser export`)"
            )
        }
        guard let version = meta["format_version"].flatMap(Int.init), version >= 1, version <= formatVersion else {
            throw ModelFileError(
                path: path,
                problem:
                    "model format version \(meta["format_version"] ?? "?") is not one this ser reads (1…\(formatVersion))"
            )
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let text = meta[key] else {
                throw ModelFileError(path: path, problem: "metadata key '\(key)' is missing")
            }
            do {
                return try JSONDecoder().decode(T.self, from: Data(text.utf8))
            } catch let error as MetadataValueError {
                throw ModelFileError(path: path, problem: error.description)
            } catch {
                throw ModelFileError(path: path, problem: "metadata key '\(key)' is not valid JSON for it: \(error)")
            }
        }
        let features = try decode(FeatureParameters.self, "features")
        let audio = try decode(AudioSettings.self, "audio")
        let labels = try decode([String].self, "labels")
        let ensemble = version >= ensembleFormatVersion
        let entries: [MemberMetadata]
        if ensemble {
            entries = try decode(MemberList.self, "members").entries
            guard memberCounts.contains(entries.count) else {
                throw ModelFileError(
                    path: path,
                    problem:
                        "metadata \"members\" has \(entries.count) entries; expected \(memberCounts.lowerBound)…\(memberCounts.upperBound) networks"
                )
            }
        } else {
            entries = [
                MemberMetadata(
                    architecture: try decode(ModelArchitecture.self, "architecture"),
                    normalization: try decode(Normalization.self, "normalization"),
                    source: try decode(ModelSource.self, "source"))
            ]
        }
        for (i, entry) in entries.enumerated() {
            do {
                try validate(
                    architecture: entry.architecture, features: features, audio: audio,
                    normalization: entry.normalization, labels: labels)
            } catch let error as MetadataValueError {
                let key =
                    ensemble && !error.key.hasPrefix("features.") && !error.key.hasPrefix("audio.")
                        && error.key != "labels" ? "members[\(i)].\(error.key)" : error.key
                throw ModelFileError(
                    path: path,
                    problem: MetadataValueError(key: key, value: error.value, expected: error.expected).description)
            }
        }
        // Every name and shape is compared before any network is built, so a file cannot make ser build a
        // network larger than its own tensors.
        var expected: [(name: String, shape: [Int])] = []
        for (i, entry) in entries.enumerated() {
            let shapes = try entry.architecture.stateShapes()
            expected += ensemble ? shapes.map { (memberTensorName(i, $0.name), $0.shape) } : shapes
        }
        let tensors = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var problems = ModelStateError()
        for (name, shape) in expected {
            guard let t = tensors[name] else {
                problems.missing.append(name)
                continue
            }
            if t.shape != shape && !(t.count == 1 && shape.reduce(1, *) == 1) {
                problems.mismatched.append(.init(name: name, expected: shape, found: t.shape))
            }
        }
        let known = Set(expected.map(\.name))
        problems.unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
        if !problems.missing.isEmpty || !problems.unexpected.isEmpty || !problems.mismatched.isEmpty {
            throw ModelFileError(
                path: path, problem: "weights do not fit the architecture in its metadata: \(problems)")
        }
        var members: [Member] = []
        for (i, entry) in entries.enumerated() {
            var model = try entry.architecture.makeResNet(seed: 0)
            let prefix = ensemble ? memberTensorName(i, "") : ""
            let own =
                ensemble
                ? Dictionary(
                    tensors.compactMap { name, t in
                        name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), t) : nil
                    },
                    uniquingKeysWith: { a, _ in a })
                : tensors
            do {
                try model.loadStateDict(own)
            } catch {
                throw ModelFileError(
                    path: path, problem: "weights do not fit the architecture in its metadata: \(error)")
            }
            members.append(
                Member(
                    architecture: entry.architecture, normalization: entry.normalization, source: entry.source,
                    model: model))
        }
        var bundle = ModelBundle(
            architecture: entries[0].architecture, features: features, audio: audio,
            normalization: entries[0].normalization, labels: labels, labelScheme: meta["label_scheme"] ?? "",
            source: entries[0].source, toolVersion: meta["tool_version"] ?? "", model: members[0].model)
        bundle.members = members
        return bundle
    }

    /// Checks the metadata of a model file against the ranges in docs/runner.md.
    /// - Throws: ``MetadataValueError`` naming the first key out of range.
    static func validate(
        architecture: ModelArchitecture, features: FeatureParameters, audio: AudioSettings,
        normalization: Normalization, labels: [String]
    ) throws {
        try architecture.validate()
        do {
            try features.validate()
        } catch let error as FeatureParameterError {
            throw MetadataValueError(key: "features.\(error.key)", value: error.value, expected: error.expected)
        }
        try audio.validate(featureRate: features.sampleRate)
        if let name = labels.first(where: { $0.isEmpty }) ?? Self.firstDuplicate(labels) {
            throw MetadataValueError(
                key: "labels", value: "\(labels) (\"\(name)\" is empty or repeated)",
                expected: "distinct, non-empty class names")
        }
        if labels.count != architecture.classCount {
            throw MetadataValueError(
                key: "labels", value: "\(labels.count) names",
                expected: "one per class (architecture.class_count \(architecture.classCount))")
        }
        if case .dataset(let statistics) = normalization {
            let rows = features.featureCount
            let counts = statistics.mean.count == statistics.std.count ? statistics.mean.count : -1
            guard counts == 1 || counts == rows else {
                throw MetadataValueError(
                    key: "normalization.dataset",
                    value: "\(statistics.mean.count) means and \(statistics.std.count) deviations",
                    expected: "1 or \(rows) (one per feature row) of each")
            }
            if let i = statistics.mean.firstIndex(where: { !$0.isFinite }) {
                throw MetadataValueError(
                    key: "normalization.dataset.mean", value: "\(statistics.mean[i]) at index \(i)",
                    expected: "finite numbers")
            }
            if let i = statistics.std.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw MetadataValueError(
                    key: "normalization.dataset.std", value: "\(statistics.std[i]) at index \(i)",
                    expected: "finite numbers ≥ 0")
            }
        }
    }

    static func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    // MARK: Classification

    /// The extractor of the model's feature parameters.
    public func extractor() throws -> LogMelExtractor { try LogMelExtractor(features) }

    /// Features of mono `samples` at `sampleRate` (resampled to the model's rate like `librosa.load`, then
    /// trimmed), before crop and normalisation: `rows × frames`.
    public func featureMatrix(samples: [Float], sampleRate: Int, extractor: LogMelExtractor) throws -> FeatureMatrix {
        let x = try AudioLoader.resample(samples, from: sampleRate, to: features.sampleRate)
        return try extractor.features(of: AudioSettings.trim(x, topDB: audio.trimDB)).checkedFinite(path: "samples")
    }

    /// Class probabilities (in `labels` order) for feature matrices from `featureMatrix`, in batches of
    /// `batchSize`, with evaluation's crop and normalisation. One forward pass per batch.
    /// - Throws: ``NonFiniteOutputError`` for the first matrix whose features or probabilities are not all
    ///   finite.
    public mutating func classify(matrices: [FeatureMatrix], batchSize: Int = 32) throws -> [[Double]] {
        try probabilityResults(matrices: matrices, batchSize: batchSize).map { try $0.get() }
    }

    /// ``classify(matrices:batchSize:)`` item by item: each matrix's probabilities, or
    /// ``NonFiniteOutputError`` (naming `names[i]`, else `#i`) when its features or its probabilities hold
    /// NaN or infinity. Such a matrix is left out of the batches, so it cannot affect the others.
    public mutating func probabilityResults(
        matrices: [FeatureMatrix], names: [String]? = nil, batchSize: Int = 32
    ) -> [Result<[Double], any Error>] {
        func name(_ i: Int) -> String { names.map { $0[i] } ?? "#\(i)" }
        var results: [Result<[Double], any Error>] = matrices.indices.map {
            .failure(NonFiniteOutputError(item: name($0), stage: .features))
        }
        let finite = matrices.indices.filter { matrices[$0].firstNonFinite == nil }
        guard !finite.isEmpty else { return results }
        var probabilities: [[Double]] = []
        for start in stride(from: 0, to: finite.count, by: batchSize) {
            let group = finite[start..<min(start + batchSize, finite.count)].map { matrices[$0] }
            // An ensemble's probabilities are the mean of its members' (each with its own normalisation).
            var sum: [[Double]] = []
            for m in members.indices {
                let input = modelInput(group, normalization: members[m].normalization)
                let p = softmaxRows(members[m].model.forward(input, training: false))
                sum = sum.isEmpty ? p : zip(sum, p).map { zip($0, $1).map(+) }
            }
            let count = Double(members.count)
            probabilities += members.count == 1 ? sum : sum.map { $0.map { $0 / count } }
        }
        for (k, i) in finite.enumerated() {
            let p = probabilities[k]
            results[i] =
                p.allSatisfy(\.isFinite)
                ? .success(p) : .failure(NonFiniteOutputError(item: name(i), stage: .probabilities))
        }
        return results
    }

    /// `matrices` as the network's input, `[n, 1, rows, frames]`: each centre-cropped or padded to the model's
    /// frames (``FeatureMatrix/fitted(toFrames:mode:)``, the crop of evaluation batches) and normalised
    /// (with `normalization`, by default the first member's; `.none` gives the ONNX graph's input), exactly
    /// as evaluation batches are built during training (``ModelFeatures/input(_:)``). O(n·rows·frames).
    public func modelInput(_ matrices: [FeatureMatrix], normalization: Normalization? = nil) -> Tensor {
        var pipeline = modelFeatures
        if let normalization { pipeline.normalization = normalization }
        return pipeline.input(matrices)
    }

    /// Class probabilities for mono `samples` at `sampleRate`.
    public mutating func classify(samples: [Float], sampleRate: Int) throws -> [Double] {
        let matrix = try featureMatrix(samples: samples, sampleRate: sampleRate, extractor: try extractor())
        return try classify(matrices: [matrix])[0]
    }

    /// Class probabilities for the audio file at `path` (decoded as in training).
    public mutating func classify(file path: String) throws -> [Double] {
        try classify(files: [path])[0]
    }

    /// Class probabilities for each file, decoding and extracting on `threads` threads, averaged over `views`
    /// test-time views (``probabilityResults(matrices:names:views:)``).
    /// - Throws: the first file's decoding error (naming the file).
    public mutating func classify(
        files: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount, views: Int = 1
    ) throws -> [[Double]] {
        let matrices = try featureMatrices(files: files, threads: threads)
        return try probabilityResults(matrices: matrices, names: files, views: views).map { try $0.get() }
    }

    /// Each matrix's probabilities: with one view, ``probabilityResults(matrices:names:batchSize:)``; with more
    /// (`predict --tta`, `eval --tta`), the mean over its ``testTimeViews(of:count:)`` (an error when any view
    /// fails).
    public mutating func probabilityResults(
        matrices: [FeatureMatrix], names: [String], views: Int
    ) -> [Result<[Double], any Error>] {
        guard views > 1 else { return probabilityResults(matrices: matrices, names: names) }
        let expanded = matrices.flatMap { testTimeViews(of: $0, count: views) }
        let results = probabilityResults(
            matrices: expanded, names: names.flatMap { Array(repeating: $0, count: views) })
        return matrices.indices.map { i in
            Result {
                let group = try results[(i * views)..<((i + 1) * views)].map { try $0.get() }
                return group.dropFirst().reduce(group[0]) { zip($0, $1).map(+) }.map { $0 / Double(views) }
            }
        }
    }

    /// Features of each file (decoded at the model's rate and trimmed), before crop and normalisation.
    /// - Throws: the first file's decoding error (naming the file).
    public func featureMatrices(
        files: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> [FeatureMatrix] {
        try featureResults(files: files, threads: threads).map { try $0.get() }
    }

    /// ``featureMatrices(files:threads:)`` file by file: each file's features, or why it could not be
    /// read, so that one bad file does not hide the others' results.
    /// - Throws: only when the model's feature parameters are invalid.
    public func featureResults(
        files: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> [Result<FeatureMatrix, any Error>] {
        let extractor = try extractor()
        let pipeline = modelFeatures
        let slots = MatrixSlots(count: files.count)
        ParallelWork.forEach(count: files.count, threads: threads) { i in
            do {
                slots.set(i, .success(try pipeline.matrix(file: files[i], extractor: extractor)))
            } catch {
                slots.set(i, .failure(error))
            }
        }
        return slots.values()
    }

    /// Index of the most probable class (first on ties).
    public static func argmax(_ probabilities: [Double]) -> Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
    }
}

/// Per-index results written from several threads.
final class MatrixSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<FeatureMatrix, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<FeatureMatrix, Error>) { lock.withLock { slots[i] = r } }
    func values() -> [Result<FeatureMatrix, Error>] {
        lock.withLock { slots.map { $0 ?? .failure(ModelFileError(path: "?", problem: "not processed")) } }
    }
}

/// Features or class probabilities that hold NaN or infinity: refused, never printed, counted or stored.
public struct NonFiniteOutputError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public enum Stage: String, Sendable {
        case features, probabilities
    }
    /// The file (or `#index`) concerned.
    public var item: String
    public var stage: Stage
    public init(item: String, stage: Stage) {
        self.item = item
        self.stage = stage
    }
    public var description: String {
        switch stage {
        case .features:
            return "\(item): its features hold NaN or infinity; expected finite audio samples within ±1000"
        case .probabilities:
            return
                "\(item): the model's probabilities hold NaN or infinity; its weights or the input are out of range"
        }
    }
    public var errorDescription: String? { description }
}

/// A model file that cannot be used, naming the file and what is wrong with it.
public struct ModelFileError: Error, CustomStringConvertible, LocalizedError {
    public var path: String
    public var problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }
}

/// Models that cannot be averaged into one ensemble, naming the member that differs.
public enum EnsembleError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case empty
    /// More networks than a model file may hold.
    case tooMany(Int, Int)
    /// Member, what differs, its value, the first member, its value.
    case differs(String, String, String, String, String)

    public var description: String {
        switch self {
        case .empty: return "an ensemble needs at least one model; name runs or an experiment with finished runs"
        case .tooMany(let count, let limit):
            return "an ensemble of \(count) networks is more than a model file holds (\(limit)); name fewer runs"
        case .differs(let member, let what, let value, let first, let firstValue):
            return
                "\(member) cannot join an ensemble with \(first): its \(what) differ (\(value) vs \(firstValue)); members must share classes, feature parameters and audio settings"
        }
    }

    public var errorDescription: String? { description }
}
