import Features
import Foundation
import Inference
import NeuralNet
import SndFile
import Training

/// Seed inputs written by the project's own writers, for the corpora in `tools/fuzz/<target>/corpus`.
///
/// Regenerate them with `SER_UPDATE_FUZZ_SEEDS=1 swift test --disable-swift-testing --filter FuzzSeedTests`.
public enum FuzzSeeds {
    /// The parent spec the fuzz workspace holds as `quickstart.yaml` (`experiments/quickstart.yaml` without
    /// comments), so seeds with `extends: quickstart.yaml` resolve.
    public static let parentSpec = """
        name: quickstart
        description: Built-in synthetic corpus, small ResNet, a few epochs of one-cycle; no download needed.
        seed: 1
        data:
          synthetic: {actors: 8, seed: 1}
          labels: emotion
        audio:
          sample_rate: 16000
          duration: 2.5
        features:
          n_fft: 512
          hop_length: 160
          n_mels: 64
        model:
          depth: 10
          width: 16
          stem: small
          dropout: 0.2
        lr_finder:
          num_it: 40
          suggest: [minimum, steep, valley]
        train:
          epochs: 8
          batch_size: 32
          schedule: one_cycle
          lr: minimum
        split:
          kind: speakers
          valid: [7, 8]

        """

    /// File name and bytes of each generated seed, by target.
    public static func make() throws -> [(target: FuzzTarget, name: String, bytes: Data)] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ser-fuzz-seeds-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ write: (URL) throws -> Void) throws -> Data {
            let url = folder.appendingPathComponent(name)
            try write(url)
            return try Data(contentsOf: url)
        }
        var seeds: [(target: FuzzTarget, name: String, bytes: Data)] = []

        // safetensors: an F32 matrix, an I64 counter, metadata.
        let tensors: [(name: String, tensor: Tensor)] = [
            ("weight", Tensor(shape: [2, 3], scalars: [0.5, -1, 2, 0, 0.25, 3])),
            ("bias", Tensor(shape: [2], scalars: [1, -1])),
            ("bn.num_batches_tracked", Tensor(shape: [], scalars: [7])),
        ]
        seeds.append(
            (
                .safetensors, "written.safetensors",
                try file("t.safetensors") { try SafeTensors.write(tensors, metadata: ["format": "test"], to: $0) }
            ))

        // model: the smallest ResNet a model file can hold (depth 10, width 1, two classes).
        let architecture = ModelArchitecture(depth: 10, width: 1, stem: .smallInput, classCount: 2, dropout: 0)
        var features = FeatureParameters()
        features.sampleRate = 16000
        let bundle = ModelBundle(
            architecture: architecture, features: features,
            audio: AudioSettings(sampleRate: 16000, duration: 1, frames: 101, trimDB: nil),
            normalization: .utterance, labels: ["calm", "happy"], labelScheme: "emotion",
            source: ModelSource(runID: 1, experiment: "fuzz"), toolVersion: "fuzz",
            model: try architecture.makeResNet(seed: 1))
        seeds.append((.model, "resnet10-width1.safetensors", try file("m.safetensors") { try bundle.save(to: $0) }))
        // model: the same network as a one-member ensemble file (format version 2: `members`, `members.0.` tensors;
        // two members would pass the seed size limit).
        let singleMetadata = try bundle.metadata()
        let memberKeys = ["architecture", "normalization", "source"]
        var ensembleMetadata = singleMetadata.filter { !memberKeys.contains($0.key) }
        ensembleMetadata["format_version"] = String(ModelBundle.ensembleFormatVersion)
        let member = memberKeys.map { "\"\($0)\":\(singleMetadata[$0] ?? "null")" }.joined(separator: ",")
        ensembleMetadata["members"] = "[{\(member)}]"
        let memberTensors = bundle.tensors().map { ("members.0." + $0.name, $0.tensor) }
        seeds.append(
            (
                .model, "ensemble1-resnet10-width1.safetensors",
                try file("e.safetensors") { try SafeTensors.write(memberTensors, metadata: ensembleMetadata, to: $0) }
            ))

        // audio: a few dozen samples of a chirp as WAV (16-bit mono, float stereo) and FLAC (16-bit mono).
        let mono = (0..<48).map { Float(sin(Double($0 * $0) * 0.05)) * 0.5 }
        let stereo = mono.flatMap { [$0, -$0] }
        seeds.append(
            (
                .audio, "pcm16-mono.wav",
                try file("a.wav") { try SoundFile.write(mono, sampleRate: 8000, to: $0.path, format: .wavPCM16) }
            ))
        seeds.append(
            (
                .audio, "float-stereo.wav",
                try file("b.wav") {
                    try SoundFile.write(stereo, channels: 2, sampleRate: 8000, to: $0.path, format: .wavFloat)
                }
            ))
        seeds.append(
            (
                .audio, "pcm16-mono-flac",
                try file("c.flac") { try SoundFile.write(mono, sampleRate: 8000, to: $0.path, format: .flac16) }
            ))
        return seeds
    }
}
