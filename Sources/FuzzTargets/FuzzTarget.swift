import Audio
import Datasets
import Foundation
import Inference
import Live
import NeuralNet
import SndFile
import Specs
import Yams

/// The code paths that read files a user (or an attacker) hands to `ser`, one per fuzz target.
///
/// ``run(_:)`` is the whole body of a harness: `tools/fuzz` calls it from `LLVMFuzzerTestOneInput`, and
/// `FuzzTargetsTests` feeds it every committed corpus file. An error thrown by the code under test is the
/// expected answer to bad input and is dropped; a finding is a trap (`precondition`, `!`, an out-of-range
/// index, a failed allocation), a hang, or a sanitizer report. Inputs are written to files inside a private
/// temporary folder (``FuzzWorkspace``), never elsewhere.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// YAML text → validated spec: `SpecLoader.load(yaml:file:)` with `extends`, sweeps and validation.
    case spec
    /// `TorchCheckpoint.readStateDict(from:)` on a file (a spec's `model.init`): `SafeTensors.read(from:)`, or
    /// the zip and pickle reader of a PyTorch `.pth` when the file starts like a zip.
    case safetensors
    /// `ModelBundle.load(from:)`: a model file's safetensors, metadata and weights.
    case model
    /// `AudioLoader.load` (FLAC signature, `FLACReader`, libsndfile) and `SoundFile.info` on a file.
    case audio
    /// `PCMDecoder` on a raw stream cut into chunks; the first two bytes choose format, channels and chunk size.
    case pcm
    /// A CSV manifest: `Dataset.load(_:layout: .csv)`.
    case csv

    /// Feeds one input to the target.
    /// - Returns: whether the code under test accepted the input (threw no error).
    @discardableResult
    public func run(_ input: UnsafeRawBufferPointer) -> Bool {
        do {
            switch self {
            case .spec: try Self.spec(input)
            case .safetensors:
                _ = try TorchCheckpoint.readStateDict(from: FuzzWorkspace.shared.write(input, to: "input.safetensors"))
            case .model: _ = try ModelBundle.load(from: FuzzWorkspace.shared.write(input, to: "model.safetensors"))
            case .audio: try Self.audio(input)
            case .pcm: try Self.pcm(input)
            case .csv:
                _ = try Dataset.load(FuzzWorkspace.shared.write(input, to: "csv/manifest.csv").path, layout: .csv)
            }
            return true
        } catch {
            return false
        }
    }

    /// Feeds one input to the target.
    /// - Returns: whether the code under test accepted the input (threw no error).
    @discardableResult
    public func run(_ input: [UInt8]) -> Bool { input.withUnsafeBytes { run($0) } }

    /// An input the harness skips without running the code under test.
    struct Skipped: Error {}

    // MARK: - Targets

    private static func spec(_ input: UnsafeRawBufferPointer) throws {
        // `ser` reads a spec as UTF-8 and refuses anything else before parsing.
        guard let text = String(data: Data(input), encoding: .utf8), !extendsLeavesWorkspace(text) else {
            throw Skipped()
        }
        let workspace = FuzzWorkspace.shared.specFolder
        let loader = SpecLoader(environment: [:], workingDirectory: workspace, checkPaths: true)
        _ = try loader.load(yaml: text, file: workspace + "/fuzz.yaml")
    }

    /// Whether `extends:` names a file outside the workspace (an absolute path, `~` or a `..` component).
    /// Such inputs are skipped, so the fuzzer reads no file but the workspace's own parent spec.
    ///
    /// The loader parses with `Yams.compose` and looks the top-level key up by its text, so this does the
    /// same. A key can only spell `extends` if the text contains `extends` or a YAML escape (`\`), so other
    /// inputs are not parsed twice.
    static func extendsLeavesWorkspace(_ text: String) -> Bool {
        guard text.contains("extends") || text.contains("\\") else { return false }
        guard case .mapping(let mapping)? = try? Yams.compose(yaml: text) else { return false }
        for (key, value) in mapping {
            guard case .scalar(let key) = key, key.string == "extends", case .scalar(let path) = value else { continue }
            let name = path.string
            if name.hasPrefix("/") || name.hasPrefix("~") || name.split(separator: "/").contains("..") { return true }
        }
        return false
    }

    private static func audio(_ input: UnsafeRawBufferPointer) throws {
        let path = FuzzWorkspace.shared.write(input, to: "input.audio").path
        // What `ser` does with an audio file: read its header with libsndfile (`ser data`'s scan), and decode
        // it (`run`, `predict`, `features`, `listen --file`): native FLAC with libFLAC, the rest with libsndfile.
        let info = Result { try SoundFile.info(path) }
        _ = try AudioLoader.load(path, sampleRate: nil)
        _ = try info.get()
    }

    private static func pcm(_ input: UnsafeRawBufferPointer) throws {
        guard input.count >= 2 else { throw Skipped() }
        let format: PCMFormat = input[0] & 1 == 0 ? .s16le : .f32le
        let channels = Int(input[0] >> 1 & 7) + 1
        let chunk = Int(input[1]) + 1
        let stream = UnsafeRawBufferPointer(rebasing: input[2...])
        var decoder = PCMDecoder(format: format, channels: channels)
        var output: [Float] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + chunk)
            try decoder.decode(UnsafeRawBufferPointer(rebasing: stream[offset..<end]), appendingTo: &output)
            offset = end
        }
        // Every whole frame comes out once, in mono; the rest waits in `pending`.
        precondition(output.count == stream.count / decoder.frameBytes, "frames lost or repeated")
        precondition(decoder.pending.count == stream.count % decoder.frameBytes, "wrong carry-over")
        try decoder.finish()
    }
}

/// A private temporary folder for the inputs of one process, removed when the process exits normally.
///
/// `spec/` holds one parent spec (`quickstart.yaml`) for `extends`; `csv/` holds empty files that
/// manifest rows can name (`a.wav`, a RAVDESS name, `sub/b.flac`).
public final class FuzzWorkspace {
    public static let shared = FuzzWorkspace()

    public let folder: URL
    var specFolder: String { folder.appendingPathComponent("spec").path }

    private init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ser-fuzz-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)", isDirectory: true)
        let files = [
            "spec/quickstart.yaml": FuzzSeeds.parentSpec,
            "csv/a.wav": "", "csv/03-01-05-01-02-01-12.wav": "", "csv/sub/b.flac": "",
        ]
        do {
            for (name, text) in files {
                let url = folder.appendingPathComponent(name)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        } catch {
            fatalError("cannot set up the fuzz workspace \(folder.path): \(error)")
        }
        atexit { try? FileManager.default.removeItem(at: FuzzWorkspace.shared.folder) }
    }

    /// Writes `bytes` to `name` inside the workspace (replacing it) and returns its URL.
    func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        do {
            try Data(bytes).write(to: url)
        } catch {
            fatalError("cannot write the fuzz input \(url.path): \(error)")
        }
        return url
    }
}
