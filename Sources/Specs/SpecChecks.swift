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
        if data.path == nil && data.synthetic == nil {
            fail(
                "missing data.path: set data.path, data.synthetic (the built-in corpus), or the \(SpecLoader.dataEnvironmentVariable) environment variable, or put the corpus in \(SpecLoader.defaultDataPath)",
                "data")
        }
        if data.path != nil && data.synthetic != nil {
            fail("data.path and data.synthetic exclude each other; keep one", "data.synthetic")
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
        if let valid = split.valid, let actors = data.actors {
            let missing = valid.filter { !actors.contains($0) }
            if !missing.isEmpty {
                fail("split.valid actors \(missing) are not among data.actors", "split.valid")
            }
        }
        if let test = spec.test {
            let given = [test.actors != nil, test.path != nil, test.manifest != nil].filter { $0 }.count
            if given != 1 {
                fail("expected exactly one of test.actors, test.path, test.manifest, got \(given)", "test")
            }
            if let actors = test.actors, let valid = split.valid {
                let both = actors.filter { valid.contains($0) }
                if !both.isEmpty { fail("actors \(both) are in both test.actors and split.valid", "test.actors") }
            }
            for (value, key) in [(test.path, "test.path"), (test.manifest, "test.manifest")] {
                if checkPaths, let value, !fileManager.fileExists(atPath: value) {
                    fail("\(key) \(value) does not exist", key)
                }
            }
        }
        return errors
    }
}
