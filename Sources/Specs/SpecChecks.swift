import Datasets
import Foundation

/// Checks that involve several keys (fmax against the sample rate, the chosen suggestion against those
/// computed, …) and that paths exist. Each error points at the key that has to change.
struct SpecChecks {
    var spec: ExperimentSpec
    var tree: SpecNode
    var checkPaths: Bool

    private func at(_ path: String) -> SourceLocation {
        var node = tree
        var best = tree.location
        for key in path.split(separator: ".").map(String.init) {
            guard let child = node[key] else { break }
            node = child
            best = child.location
        }
        return best
    }

    func errors() -> [SpecError] {
        var errors: [SpecError] = []
        func fail(_ message: String, _ path: String) { errors.append(SpecError(message, at: at(path))) }
        let fileManager = FileManager.default

        // Data.
        let data = spec.data
        if let sources = data.sources {
            if data.path != nil || data.synthetic != nil {
                fail("data.sources replaces data.path and data.synthetic; keep one", "data.sources")
            }
            var seen = Set<String>()
            for source in sources where !seen.insert(source.corpusName).inserted {
                fail(
                    "two data.sources are called '\(source.corpusName)'; give each a distinct name", "data.sources")
            }
            for (index, source) in sources.enumerated() {
                if checkPaths, !fileManager.fileExists(atPath: source.path) {
                    fail("data.sources[\(index)].path \(source.path) does not exist", "data.sources")
                }
                if let map = source.labelMap, source.layout.readsNames {
                    do {
                        let empty = DatasetListing(
                            source: "", root: "", layout: source.layout, detection: nil, files: [], problems: [],
                            ignoredFiles: 0, skipped: [])
                        _ = try LabelMap(map).apply(to: empty)
                    } catch {
                        fail("data.sources[\(index)].label_map: \(error)", "data.sources")
                    }
                }
            }
        }
        if spec.split.kind == .corpus {
            if let count = data.sources?.count {
                if let fold = spec.split.fold, fold > count {
                    fail(
                        "expected split.fold from 1 to the number of data.sources (\(count)), got \(fold)", "split.fold"
                    )
                }
            } else {
                fail("split.kind corpus holds out one of data.sources; list two or more corpora there", "split.kind")
            }
        }
        if data.path == nil && data.synthetic == nil && data.sources == nil {
            fail(
                "missing data.path: set data.path, data.synthetic (the built-in corpus), or the \(SpecLoader.dataEnvironmentVariable) environment variable, or put the corpus in \(SpecLoader.defaultDataPath)",
                "data")
        }
        if data.path != nil && data.synthetic != nil {
            fail("data.path and data.synthetic exclude each other; keep one", "data.synthetic")
        }
        if data.sources != nil, data.labelMap != nil {
            fail("data.label_map applies to data.path; give each of data.sources its own label_map", "data.label_map")
        }
        if checkPaths, let path = data.path, !fileManager.fileExists(atPath: path) {
            fail("data.path \(path) does not exist", "data.path")
        }
        if data.labels == .intensity, data.intensity != nil {
            fail("data.intensity keeps one intensity, so labels: intensity would have one class", "data.intensity")
        }

        // Features.
        let features = spec.features
        let nyquist = Double(spec.audio.sampleRate) / 2
        if let fmax = features.fmax, fmax > nyquist {
            fail(
                "expected at most \(SpecYAML.format(nyquist)) (audio.sample_rate / 2) for features.fmax, got \(SpecYAML.format(fmax))",
                "features.fmax")
        }
        if features.fmin >= (features.fmax ?? nyquist) {
            fail(
                "expected features.fmin below fmax (\(SpecYAML.format(features.fmax ?? nyquist))), got \(SpecYAML.format(features.fmin))",
                "features.fmin")
        }
        if let win = features.winLength, win > features.nFFT {
            fail("expected features.win_length ≤ n_fft (\(features.nFFT)), got \(win)", "features.win_length")
        }
        if features.kind == .mfcc, features.nMFCC > features.nMels {
            fail("expected features.n_mfcc ≤ n_mels (\(features.nMels)), got \(features.nMFCC)", "features.n_mfcc")
        }
        if features.nFFT > Int(spec.audio.duration * Double(spec.audio.sampleRate)) {
            fail(
                "features.n_fft (\(features.nFFT)) is longer than the clip (audio.duration × sample_rate)",
                "features.n_fft")
        }
        if let mask = spec.train.augment.specAugment, mask.freqWidth > features.nMels {
            fail(
                "expected train.augment.spec_augment.freq_width ≤ features.n_mels (\(features.nMels)), got \(mask.freqWidth)",
                "train.augment.spec_augment.freq_width")
        }

        if spec.train.keep == .average, spec.train.averageEpochs > spec.train.epochs {
            fail(
                "expected train.average_epochs ≤ train.epochs (\(spec.train.epochs)) to average the last epochs' weights, got \(spec.train.averageEpochs)",
                "train.average_epochs")
        }

        if spec.train.augment.freqWarp != nil, features.kind != .logMel {
            fail(
                "train.augment.freq_warp warps mel bands; it needs features.kind: log_mel, got \(features.kind.rawValue)",
                "train.augment.freq_warp")
        }

        // Model.
        if checkPaths, let weights = spec.model.initWeights, !fileManager.fileExists(atPath: weights) {
            fail("model.init \(weights) does not exist", "model.init")
        }
        if let fineTune = spec.train.fineTune {
            if spec.model.initWeights == nil {
                fail(
                    "train.fine_tune freezes a pretrained body, but model.init is null; set model.init to a checkpoint or remove train.fine_tune",
                    "train.fine_tune")
            }
            if fineTune.freezeEpochs > spec.train.epochs {
                fail(
                    "expected train.fine_tune.freeze_epochs ≤ train.epochs (\(spec.train.epochs)), got \(fineTune.freezeEpochs)",
                    "train.fine_tune.freeze_epochs")
            }
        }

        // Learning rates.
        let finder = spec.lrFinder
        if finder.endLR <= finder.startLR {
            fail(
                "expected lr_finder.end_lr above start_lr (\(SpecYAML.format(finder.startLR))), got \(SpecYAML.format(finder.endLR))",
                "lr_finder.end_lr")
        }
        if case .suggestion(let name) = spec.train.lr {
            if !finder.enabled {
                fail(
                    "train.lr is the suggestion '\(name.rawValue)' but lr_finder.enabled is false; give a number",
                    "train.lr")
            } else if !finder.suggest.contains(name) {
                fail(
                    "train.lr is the suggestion '\(name.rawValue)' but lr_finder.suggest does not compute it",
                    "train.lr")
            }
        }

        // Split and test set.
        let split = spec.split
        if split.kind == .kfoldSpeakers, let fold = split.fold, let k = split.k, fold > k {
            fail("expected split.fold from 1 to k (\(k)), got \(fold)", "split.fold")
        }
        if data.speakers != nil && data.actors != nil {
            fail("data.actors is RAVDESS's spelling of data.speakers; keep one of the two", "data.speakers")
        }
        if let valid = split.valid, let kept = data.keptSpeakers.map(Set.init) {
            let missing = valid.filter { !kept.contains($0) }
            if !missing.isEmpty {
                fail(
                    "split.valid speakers \(missing.joined(separator: ", ")) are not among \(data.keptSpeakersKey)",
                    "split.valid")
            }
        }
        if split.kind == .noValidation, spec.train.keep == .best {
            fail(
                "train.keep: best picks the epoch with the best validation accuracy, but split.kind: none has no validation files; use keep: last or keep: average",
                "train.keep")
        }
        if split.kind == .manifest, data.sources != nil || data.layout != .csv {
            fail(
                "split.kind manifest takes each file's part from a CSV manifest's split column; set data.layout: csv "
                    + "and data.path to the manifest (or choose another split.kind)", "split.kind")
        }
        if let test = spec.test {
            let given = [test.actors != nil, test.speakers != nil, test.path != nil, test.manifest != nil]
                .filter { $0 }.count
            if given != 1 {
                fail(
                    "expected exactly one of test.actors, test.speakers, test.path, test.manifest, got \(given)", "test"
                )
            }
            if let heldOut = test.heldOutSpeakers, let valid = split.valid {
                let both = heldOut.filter { valid.contains($0) }
                if !both.isEmpty {
                    let key = test.speakers != nil ? "test.speakers" : "test.actors"
                    fail("speakers \(both.joined(separator: ", ")) are in both \(key) and split.valid", key)
                }
            }
            if test.path == nil, test.layout != nil || test.labelMap != nil {
                fail(
                    "test.layout and test.label_map describe test.path; set test.path (or the \(SpecLoader.testDataEnvironmentVariable) environment variable) or remove them",
                    "test")
            }
            for (value, key) in [(test.path, "test.path"), (test.manifest, "test.manifest")] {
                if checkPaths, let value, !fileManager.fileExists(atPath: value) {
                    fail("\(key) \(value) does not exist", key)
                }
            }
        }
        if checkPaths { errors += corpusErrors() }
        // A built-in corpus's labels are known without reading it: check its label maps here.
        let maps: [(key: String, map: [String: String]?, layout: DatasetLayout?)] = [
            ("data.label_map", data.labelMap, data.layout),
            ("test.label_map", spec.test?.labelMap, spec.test.map { $0.layout ?? data.layout }),
        ]
        for (key, map, layout) in maps {
            guard let map, let layout, layout.readsNames else { continue }
            do {
                let empty = DatasetListing(
                    source: "", root: "", layout: layout, detection: nil, files: [], problems: [], ignoredFiles: 0,
                    skipped: [])
                _ = try LabelMap(map).apply(to: empty)
            } catch {
                fail("\(key): \(error)", key)
            }
        }
        return errors
    }

    /// The corpus's speakers, or nil when they cannot be listed here (the run reports why).
    private func corpusSpeakers() -> (source: String, speakers: Set<String>, listing: DatasetListing?)? {
        if let synthetic = spec.data.synthetic {
            return (
                "the synthetic corpus", Self.syntheticSpeakers(actors: synthetic.actors, layout: spec.data.layout), nil
            )
        }
        guard let path = spec.data.path, FileManager.default.fileExists(atPath: path),
            let listing = try? DatasetListing.make(path, layout: spec.data.layout)
        else { return nil }
        return (path, Set(listing.files.compactMap(\.speaker)), listing)
    }

    /// The speakers of the synthetic corpus of `actors` actors written in `layout` (the names of
    /// `SynthUtteranceID.relativePath(in:)`: actor n speaks as the layout's speaker n, cycling).
    static func syntheticSpeakers(actors: Int, layout: DatasetLayout) -> Set<String> {
        let numbers = (1...max(actors, 1)).map(SpeakerID.name(of:))
        switch layout {
        case .ravdess, .csv: return Set(numbers)
        case .folders: return []
        case .cremad: return Set((1...max(actors, 1)).map { String(1000 + $0) })
        case .tess, .savee, .emodb:
            let speakers = layout.knownSpeakers ?? []
            return Set(speakers.prefix(min(actors, speakers.count)))
        }
    }

    /// Speakers named by `split.valid` and `test` that the corpus lacks, and a `data.label_map` that does not
    /// fit it. Lists the corpus folder (file names only).
    private func corpusErrors() -> [SpecError] {
        var errors: [SpecError] = []
        let needsSpeakers =
            spec.split.valid != nil || spec.test?.heldOutSpeakers != nil || spec.data.keptSpeakers != nil
        let hasMap = spec.data.labelMap.map { !$0.isEmpty } ?? false
        let byManifest = spec.split.kind == .manifest && spec.data.layout == .csv
        guard needsSpeakers || hasMap || byManifest, let corpus = corpusSpeakers() else { return errors }
        func describe(_ speakers: Set<String>) -> String {
            guard !speakers.isEmpty else { return "it has no speaker ids" }
            let sorted = speakers.sorted()
            return "its speakers: "
                + (sorted.count <= 12
                    ? sorted.joined(separator: ", ")
                    : sorted.prefix(10).joined(separator: ", ") + " … \(sorted.last!) (\(sorted.count))")
        }
        let named: [(String, [String]?)] = [
            (spec.data.keptSpeakersKey, spec.data.keptSpeakers),
            ("split.valid", spec.split.valid),
            (spec.test?.speakers != nil ? "test.speakers" : "test.actors", spec.test?.heldOutSpeakers),
        ]
        for (key, wanted) in named {
            guard let wanted else { continue }
            let missing = wanted.filter { !corpus.speakers.contains($0) }
            if !missing.isEmpty {
                errors.append(
                    SpecError(
                        "\(key) names speaker\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) "
                            + "not in \(corpus.source) (\(describe(corpus.speakers)))", at: at(key)))
            }
        }
        if byManifest, let listing = corpus.listing {
            do {
                _ = try SplitPart.parts(of: listing.files, source: listing.source)
            } catch {
                errors.append(SpecError("split.kind manifest: \(error)", at: at("split.kind")))
            }
        }
        if let map = spec.data.labelMap, !spec.data.layout.readsNames, let listing = corpus.listing {
            do {
                _ = try LabelMap(map).apply(to: listing)
            } catch {
                errors.append(SpecError("data.label_map: \(error)", at: at("data.label_map")))
            }
        }
        return errors
    }
}
