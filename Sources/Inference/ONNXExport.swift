import Foundation
import NeuralNet
import Training

/// A model file as an ONNX model (opset 13): the network(s) with the model's normalisation, ending in softmax
/// probabilities (an ensemble: the `Mean` of its members' probabilities), and the class names and feature
/// parameters in `metadata_props` (docs/models.md).
///
/// Input `logmel`: `[batch, 1, rows, frames]` float32, the log-mel matrix (rows = ``FeatureParameters/featureCount``)
/// centre-cropped or zero-padded to the model's `frames`, before normalisation (the graph normalises, with
/// each member's own statistics). Output `probabilities`: `[batch, classes]` in `labels` order.
///
/// The protobuf is written by hand (``ProtobufWriter``): only the fields of `onnx.proto` used here.
public enum ONNXExport {
    public static let opset = 13
    /// ONNX IR version 7 is the one of opset 13.
    public static let irVersion = 7
    public static let inputName = "logmel"
    public static let outputName = "probabilities"

    /// The serialised `ModelProto` of `bundle`. O(parameters).
    public static func data(of bundle: ModelBundle) throws -> Data {
        var graph = ONNXGraph()
        let rows = bundle.features.featureCount, frames = bundle.audio.frames
        var outputs: [String] = []
        for (i, member) in bundle.members.enumerated() {
            let prefix = bundle.isEnsemble ? "members.\(i)." : ""
            let x = graph.normalize(inputName, member.normalization, prefix: prefix, rows: rows)
            let logits = graph.resnet(member.model, input: x, prefix: prefix)
            outputs.append(
                graph.node(
                    "Softmax", [logits], attributes: [.int("axis", 1)],
                    output: bundle.isEnsemble ? nil : outputName))
        }
        if bundle.isEnsemble { _ = graph.node("Mean", outputs, output: outputName) }

        var g = ProtobufWriter()
        for node in graph.nodes { g.message(1, node) }
        g.string(2, "ser")
        for tensor in graph.initializers { g.message(5, tensor) }
        g.message(11, valueInfo(inputName, dims: [.symbol("batch"), .size(1), .size(rows), .size(frames)]))
        g.message(12, valueInfo(outputName, dims: [.symbol("batch"), .size(bundle.labels.count)]))

        var model = ProtobufWriter()
        model.varint(1, UInt64(irVersion))
        model.string(2, "ser")
        model.string(3, bundle.toolVersion)
        model.message(7, g)
        var opsetID = ProtobufWriter()
        opsetID.string(1, "")
        opsetID.varint(2, UInt64(opset))
        model.message(8, opsetID)
        for (key, value) in try metadata(of: bundle).sorted(by: { $0.key < $1.key }) {
            var entry = ProtobufWriter()
            entry.string(1, key)
            entry.string(2, value)
            model.message(14, entry)
        }
        // Protobuf messages are limited to 2 GiB; ONNX Runtime refuses a larger file (external data is not
        // written here).
        guard model.bytes.count < Int(Int32.max) else { throw ONNXExportError.tooLarge(model.bytes.count) }
        return Data(model.bytes)
    }

    /// The `metadata_props` of the ONNX model: the model file's metadata (`labels`, `features`, `audio`,
    /// `architecture` or `members`, …) plus `input` and `output`, which describe the graph's tensors.
    public static func metadata(of bundle: ModelBundle) throws -> [String: String] {
        var meta = try bundle.metadata()
        meta["format"] = "ser-onnx"
        meta["format_version"] = "1"
        meta["model_format_version"] = try bundle.metadata()["format_version"]
        meta["input"] =
            "\(inputName): float32 [batch, 1, \(bundle.features.featureCount), \(bundle.audio.frames)], the log-mel matrix of `features` (decoded at audio.sample_rate, trimmed by audio.trim_db) centre-cropped or zero-padded to audio.frames, not normalised (the graph normalises)"
        meta["output"] = "\(outputName): float32 [batch, \(bundle.labels.count)], class probabilities in `labels` order"
        return meta
    }

    enum Dimension {
        case size(Int)
        case symbol(String)
    }

    static func valueInfo(_ name: String, dims: [Dimension]) -> ProtobufWriter {
        var shape = ProtobufWriter()
        for dim in dims {
            var d = ProtobufWriter()
            switch dim {
            case .size(let n): d.varint(1, UInt64(n))
            case .symbol(let s): d.string(2, s)
            }
            shape.message(1, d)
        }
        var tensorType = ProtobufWriter()
        tensorType.varint(1, 1)  // FLOAT
        tensorType.message(2, shape)
        var type = ProtobufWriter()
        type.message(1, tensorType)
        var info = ProtobufWriter()
        info.string(1, name)
        info.message(2, type)
        return info
    }
}

/// The nodes and initializers of the graph being built, with unique value names.
struct ONNXGraph {
    enum Attribute {
        case int(String, Int)
        case ints(String, [Int])
        case float(String, Float)

        var proto: ProtobufWriter {
            var a = ProtobufWriter()
            switch self {
            case .int(let name, let value):
                a.string(1, name)
                a.varint(3, UInt64(bitPattern: Int64(value)))
                a.varint(20, 2)
            case .ints(let name, let values):
                a.string(1, name)
                for v in values { a.varint(8, UInt64(bitPattern: Int64(v))) }
                a.varint(20, 7)
            case .float(let name, let value):
                a.string(1, name)
                a.float(2, value)
                a.varint(20, 1)
            }
            return a
        }
    }

    var nodes: [ProtobufWriter] = []
    var initializers: [ProtobufWriter] = []
    private var counter = 0

    /// Adds a node; returns its output's name (`output`, or a fresh one).
    mutating func node(
        _ op: String, _ inputs: [String], attributes: [Attribute] = [], output: String? = nil
    ) -> String {
        counter += 1
        let out = output ?? "\(op.lowercased())_\(counter)"
        var n = ProtobufWriter()
        for input in inputs { n.string(1, input) }
        n.string(2, out)
        n.string(3, "\(op)_\(counter)")
        n.string(4, op)
        for a in attributes { n.message(5, a.proto) }
        nodes.append(n)
        return out
    }

    /// Adds a float32 initializer named `name`; returns the name.
    mutating func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
        var t = ProtobufWriter()
        for d in shape { t.varint(1, UInt64(d)) }
        t.varint(2, 1)  // FLOAT
        t.string(8, name)
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        t.bytes(9, raw)
        initializers.append(t)
        return name
    }

    mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        constant(name, tensor.scalars, shape: tensor.shape)
    }

    /// `x` normalised as ``Normalization/apply(_:rows:frames:)`` does (statistics in float32 here).
    mutating func normalize(_ x: String, _ normalization: Normalization, prefix: String, rows: Int) -> String {
        func standardise(axes: [Int]) -> String {
            let mean = node("ReduceMean", [x], attributes: [.ints("axes", axes), .int("keepdims", 1)])
            let centred = node("Sub", [x, mean])
            let variance = node(
                "ReduceMean", [node("Mul", [centred, centred])], attributes: [.ints("axes", axes), .int("keepdims", 1)])
            let std = node("Sqrt", [variance])
            // A deviation below 1e-8 only centres, as in ser.
            let tiny = node("Less", [std, constant(prefix + "normalization.tiny", [1e-8], shape: [])])
            let scale = node("Where", [tiny, constant(prefix + "normalization.one", [1], shape: []), std])
            return node("Div", [centred, scale])
        }
        switch normalization {
        case .none: return x
        case .utterance: return standardise(axes: [1, 2, 3])
        case .perBand: return standardise(axes: [3])
        case .dataset(let s):
            let shape = s.mean.count == 1 ? [] : [1, 1, rows, 1]
            let mean = constant(prefix + "normalization.mean", s.mean, shape: shape)
            let scale = constant(
                prefix + "normalization.scale", s.std.map { $0 < 1e-8 ? 1 : 1 / $0 }, shape: shape)
            return node("Mul", [node("Sub", [x, mean]), scale])
        }
    }

    mutating func conv(_ x: String, _ conv: Conv2d, name: String) -> String {
        var inputs = [x, constant(name + ".weight", conv.weight.value)]
        if let bias = conv.bias { inputs.append(constant(name + ".bias", bias.value)) }
        let p = conv.padding
        return node(
            "Conv", inputs,
            attributes: [
                .ints("kernel_shape", [conv.kernelSize.height, conv.kernelSize.width]),
                .ints("strides", [conv.stride.height, conv.stride.width]),
                .ints("pads", [p.height, p.width, p.height, p.width]),
            ])
    }

    mutating func batchNorm(_ x: String, _ bn: BatchNorm2d, name: String) -> String {
        node(
            "BatchNormalization",
            [
                x, constant(name + ".weight", bn.weight.value), constant(name + ".bias", bn.bias.value),
                constant(name + ".running_mean", bn.runningMean), constant(name + ".running_var", bn.runningVariance),
            ], attributes: [.float("epsilon", bn.epsilon)])
    }

    /// The logits of `model` for `input`; initializers are named like its state dict, under `prefix`.
    mutating func resnet(_ model: ResNet, input: String, prefix: String) -> String {
        var x = node(
            "Relu", [batchNorm(conv(input, model.conv1, name: prefix + "conv1"), model.bn1, name: prefix + "bn1")])
        if let pool = model.maxPool {
            x = node(
                "MaxPool", [x],
                attributes: [
                    .ints("kernel_shape", [pool.kernelSize, pool.kernelSize]),
                    .ints("strides", [pool.stride, pool.stride]),
                    .ints("pads", Array(repeating: pool.padding, count: 4)),
                ])
        }
        for (s, stage) in model.layers.enumerated() {
            for (b, block) in stage.enumerated() {
                let name = prefix + "layer\(s + 1).\(b)"
                var y: String
                let shortcut: Shortcut
                if let basic = block.basic {
                    y = node(
                        "Relu", [batchNorm(conv(x, basic.conv1, name: name + ".conv1"), basic.bn1, name: name + ".bn1")]
                    )
                    y = batchNorm(conv(y, basic.conv2, name: name + ".conv2"), basic.bn2, name: name + ".bn2")
                    shortcut = basic.shortcut
                } else {
                    let neck = block.bottleneck!
                    y = node(
                        "Relu", [batchNorm(conv(x, neck.conv1, name: name + ".conv1"), neck.bn1, name: name + ".bn1")])
                    y = node(
                        "Relu", [batchNorm(conv(y, neck.conv2, name: name + ".conv2"), neck.bn2, name: name + ".bn2")])
                    y = batchNorm(conv(y, neck.conv3, name: name + ".conv3"), neck.bn3, name: name + ".bn3")
                    shortcut = neck.shortcut
                }
                var identity = x
                if let down = shortcut.downsample {
                    identity = batchNorm(
                        conv(x, down.conv, name: name + ".downsample.0"), down.bn, name: name + ".downsample.1")
                }
                x = node("Relu", [node("Add", [y, identity])])
            }
        }
        let pooled = node("Flatten", [node("GlobalAveragePool", [x])], attributes: [.int("axis", 1)])
        var inputs = [pooled, constant(prefix + "fc.weight", model.fc.weight.value)]
        if let bias = model.fc.bias { inputs.append(constant(prefix + "fc.bias", bias.value)) }
        return node("Gemm", inputs, attributes: [.int("transB", 1)])
    }
}

/// Protocol-buffer encoding of the few wire types ONNX needs: varints, 32-bit floats and length-delimited
/// fields (strings, bytes, nested messages).
struct ProtobufWriter {
    var bytes: [UInt8] = []

    private mutating func raw(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        raw(value)
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, 2)
        raw(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }

    mutating func message(_ field: Int, _ message: ProtobufWriter) { bytes(field, message.bytes) }
}

/// A model that cannot be written as one ONNX file.
public enum ONNXExportError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The serialised model's size in bytes.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .tooLarge(let bytes):
            return
                "the ONNX model would be \(bytes) bytes, more than the 2 GiB a protobuf file holds; export fewer ensemble members or a narrower model"
        }
    }

    public var errorDescription: String? { description }
}
