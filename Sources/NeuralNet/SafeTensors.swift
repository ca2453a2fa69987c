import Foundation
import OutputFiles

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}` padded with
/// spaces to a multiple of 8 bytes, then the raw little-endian tensor bytes in header order.
///
/// Tensors are F32, except names ending in `num_batches_tracked`, which are stored as I64 like
/// PyTorch's, so a saved model loads with `model.load_state_dict(safetensors.torch.load_file(path))`.
/// Reading accepts F32, F64, F16, BF16, I64 and I32 and converts to Float32.
public enum SafeTensors {
    /// Writes through ``OutputFile`` (temporary file, then rename): never over a folder, device or link; an
    /// existing regular file only with `existing: .replace` (the default, for ser's own run files); never over
    /// a `protected` file.
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to url: URL,
        existing: ExistingFile = .replace, protected: [ProtectedFile] = []
    ) throws {
        try OutputFile.write(
            try data(tensors, metadata: metadata), to: url.path, existing: existing, protected: protected)
    }

    /// The bytes of the safetensors file ``write(_:metadata:to:existing:protected:)`` writes.
    /// - Throws: ``SafeTensorsError/duplicateName(_:)``.
    public static func data(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws
        -> Data
    {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var names = Set<String>()
        for (name, t) in tensors {
            guard names.insert(name).inserted else { throw SafeTensorsError.duplicateName(name) }
            let isInt = name.hasSuffix("num_batches_tracked")
            let bytes = t.count * (isInt ? 8 : 4)
            header[name] = [
                "dtype": isInt ? "I64" : "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes],
            ]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (name, t) in tensors {
            if name.hasSuffix("num_batches_tracked") {
                for v in t.scalars { withUnsafeBytes(of: Int64(v).littleEndian) { data.append(contentsOf: $0) } }
            } else {
                t.withUnsafeBufferPointer {
                    data.append(
                        UnsafeBufferPointer(
                            start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self),
                            count: $0.count * 4))
                }
            }
        }
        return data
    }

    /// Tensors in file order (by data offset) and the `__metadata__` strings.
    ///
    /// Any bytes are safe to read: every length, shape and offset is checked (with overflow-checked
    /// arithmetic) before use, and a tensor is only allocated once its bytes are known to be in the file,
    /// so a header cannot make the reader allocate more than the file's size justifies.
    /// - Throws: ``SafeTensorsError/invalidHeader(path:reason:)`` naming the entry and what is wrong.
    public static func read(from url: URL) throws -> (
        tensors: [(name: String, tensor: Tensor)], metadata: [String: String]
    ) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError.io(path: url.path, reason: error.localizedDescription)
        }
        func bad(_ reason: String) -> SafeTensorsError { .invalidHeader(path: url.path, reason: reason) }
        guard data.count >= 8 else { throw bad("file is \(data.count) bytes, shorter than the 8-byte header length") }
        let declaredLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declaredLength <= UInt64(data.count - 8) else {
            throw bad("header length \(declaredLength) exceeds the \(data.count - 8) bytes after it")
        }
        let headerLength = Int(declaredLength)
        let start = data.startIndex + 8
        guard
            let header = try? JSONSerialization.jsonObject(with: data.subdata(in: start..<(start + headerLength)))
                as? [String: Any]
        else {
            throw bad("header is not a JSON object")
        }
        // Bytes of tensor data after the header; every tensor must lie inside them.
        let payload = data.count - 8 - headerLength
        var metadata: [String: String] = [:]
        var entries: [(name: String, tensor: Tensor, begin: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else {
                    throw bad("__metadata__ is not an object of strings")
                }
                metadata = strings
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = integers(info["shape"]), let offsets = integers(info["data_offsets"]), offsets.count == 2
            else {
                throw bad(
                    "entry '\(name)' lacks dtype, shape or data_offsets (shape and offsets are lists of integers)")
            }
            guard let size = elementSize(dtype) else {
                throw bad("entry '\(name)' has dtype \(dtype); expected F32, F64, F16, BF16, I64 or I32")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("entry '\(name)' has shape \(shape); dimensions must not be negative")
            }
            // The element count and byte length, refused on overflow or when larger than the data present.
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= payload else {
                    throw bad(
                        "entry '\(name)' has shape \(shape), more elements than the file's \(payload) data bytes hold")
                }
                count = product
            }
            let bytes = count * size  // count ≤ payload and size ≤ 8: no overflow
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, end >= begin, end <= payload, end - begin == bytes else {
                throw bad(
                    "entry '\(name)' has data_offsets \(offsets); expected \(bytes) bytes (shape \(shape) × \(size)) within the \(payload) data bytes"
                )
            }
            var t = Tensor(uninitializedShape: shape)
            let p = t.mutablePointer
            data.withUnsafeBytes { raw in
                guard let first = raw.baseAddress else { return }
                decode(dtype, count: count, from: first + 8 + headerLength + begin, into: p)
            }
            entries.append((name, t, begin))
        }
        entries.sort { $0.begin < $1.begin }
        return (entries.map { ($0.name, $0.tensor) }, metadata)
    }

    /// Bytes per element of a dtype this reader converts, or nil.
    static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32": return 4
        case "F64", "I64": return 8
        case "F16", "BF16": return 2
        default: return nil
        }
    }

    /// A JSON list of whole numbers below 2^53 in magnitude (exact in a Double, far beyond any real
    /// shape or offset), or nil.
    static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var result: [Int] = []
        for item in list {
            guard let number = item as? NSNumber else { return nil }
            let x = number.doubleValue
            guard x.isFinite, abs(x) < 0x1p53, x.rounded() == x else { return nil }
            result.append(Int(x))
        }
        return result
    }

    /// Converts `count` little-endian elements of `dtype` at `src` to Float32.
    static func decode(_ dtype: String, count: Int, from src: UnsafeRawPointer, into p: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            switch dtype {
            case "F32":
                p[i] = Float(
                    bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            case "I32":
                p[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            case "F64":
                p[i] = Float(
                    Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            case "I64":
                p[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            case "BF16":
                p[i] = Float(
                    bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                        << 16)
            default:
                p[i] = Float(
                    Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                )
            }
        }
    }
}

/// A safetensors file that cannot be written or parsed.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case io(path: String, reason: String)
    case invalidHeader(path: String, reason: String)
    case duplicateName(String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .invalidHeader(let path, let reason): return "\(path): not a valid safetensors file: \(reason)"
        case .duplicateName(let name): return "tensor name '\(name)' appears twice"
        }
    }
}

extension Layer {
    /// Saves weights and running statistics (``stateDict``) as safetensors.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(stateDict, metadata: metadata, to: url)
    }

    /// Loads weights and running statistics saved by ``save(to:metadata:)`` (or by PyTorch's
    /// `safetensors.torch.save_file(model.state_dict(), path)` for the same architecture).
    public mutating func load(from url: URL) throws {
        let file = try SafeTensors.read(from: url)
        try loadStateDict(Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    }
}
