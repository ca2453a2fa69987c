import Foundation

/// Reads a state dict from safetensors or from a PyTorch `.pth` file (the zip format `torch.save` writes since
/// PyTorch 1.6): a stored (uncompressed) zip holding `<name>/data.pkl`, a pickle of the dict, and
/// `<name>/data/<key>`, each tensor's raw little-endian storage.
///
/// The pickle is interpreted, never executed: only the opcodes of protocol 2–4 that plain data uses, and only
/// the globals a tensor state dict names (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch._utils._rebuild_parameter`, `torch.*Storage`). Anything else (another global, a custom class, a
/// non-contiguous tensor, the pre-1.6 format) is refused with ``TorchCheckpointError``. A dict whose values are
/// not tensors but which holds a `state_dict` or `model` dict of tensors (timm's and many training scripts'
/// checkpoints) is read through that entry. Every offset and length is checked against the file.
public enum TorchCheckpoint {
    /// The tensors of a safetensors file or a `.pth` state dict, by name (told apart by content).
    public static func readStateDict(from url: URL) throws -> [String: Tensor] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError.io(path: url.path, reason: error.localizedDescription)
        }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try readPTH(data, path: url.path) }
        if data.starts(with: [0x80, 0x02, 0x8A, 0x0A]) {
            throw TorchCheckpointError.invalid(
                path: url.path,
                reason:
                    "it is PyTorch's legacy (pre-1.6) format; re-save it with torch.save(torch.load(path, weights_only=True), path) in a current PyTorch, or convert it to safetensors"
            )
        }
        let file = try SafeTensors.read(from: url)
        return Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// The tensors of a zip-format `.pth` file's bytes.
    public static func readPTH(_ data: Data, path: String) throws -> [String: Tensor] {
        let bytes = [UInt8](data)
        let zip = try ZipEntries(bytes, path: path)
        guard let pickleName = zip.names.filter({ $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }).min() else {
            throw TorchCheckpointError.invalid(path: path, reason: "the zip holds no data.pkl")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        var unpickler = Unpickler(bytes: try zip.contents(pickleName), path: path) { key in
            try zip.contents(prefix + "data/" + key)
        }
        let root = try unpickler.load()
        return try stateDict(root, path: path)
    }

    static func stateDict(_ root: PickleValue, path: String, depth: Int = 0) throws -> [String: Tensor] {
        guard case .dict(let dict) = root else {
            throw TorchCheckpointError.invalid(path: path, reason: "the pickle is not a dict of tensors")
        }
        var tensors: [String: Tensor] = [:]
        var nested: PickleValue?
        for (key, value) in dict.items {
            guard case .string(let name) = key else { continue }
            if case .tensor(let t) = value {
                tensors[name] = t
            } else if name == "state_dict" || name == "model", case .dict = value {
                nested = nested ?? value
            }
        }
        if tensors.isEmpty, let nested, depth < 4 { return try stateDict(nested, path: path, depth: depth + 1) }
        guard !tensors.isEmpty else {
            throw TorchCheckpointError.invalid(path: path, reason: "the pickled dict holds no tensors")
        }
        return tensors
    }
}

/// A `.pth` file ser does not read.
public enum TorchCheckpointError: Error, CustomStringConvertible, Equatable {
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let path, let reason):
            return
                "\(path): not a PyTorch state dict ser can read: \(reason) (or convert it to safetensors: safetensors.torch.save_file(torch.load(path, weights_only=True), 'weights.safetensors'))"
        }
    }
}

/// A pickled value (only what a tensor state dict contains). Dicts and lists are references, as in Python,
/// so a memoized container that is filled later is seen filled.
indirect enum PickleValue {
    final class Container {
        var items: [(PickleValue, PickleValue)] = []
        var list: [PickleValue] = []
        /// 1 + the deepest value put in it (see ``Unpickler/maximumDepth``).
        var depth = 1
        /// Set once it is inside another value; it may not change after that (pickle writes a container whole
        /// before its parent), so ``depth`` stays exact.
        var sealed = false
    }
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue], depth: Int)
    case list(Container)
    case dict(Container)
    case global(module: String, name: String)
    case storage(dtype: String, key: String, count: Int)
    case tensor(Tensor)
    case mark

    /// How deeply containers nest in this value (1 for a scalar). O(1).
    var depth: Int {
        switch self {
        case .tuple(_, let depth): return depth
        case .list(let c), .dict(let c): return c.depth
        default: return 1
        }
    }
}

/// The entries of a stored (uncompressed) zip file.
struct ZipEntries {
    let bytes: [UInt8]
    let path: String
    var entries: [String: (offset: Int, size: Int)] = [:]
    var names: [String] { Array(entries.keys) }

    init(_ bytes: [UInt8], path: String) throws {
        self.bytes = bytes
        self.path = path
        func bad(_ reason: String) -> TorchCheckpointError { .invalid(path: path, reason: "zip: " + reason) }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // The end-of-central-directory record: the last "PK\5\6" within 64 KiB + 22 bytes of the end.
        guard bytes.count >= 22 else { throw bad("file too short") }
        var end = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65_535) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 5, bytes[i + 3] == 6 {
                end = i
                break
            }
            i -= 1
        }
        guard end >= 0 else { throw bad("no end-of-central-directory record") }
        let count = u16(end + 10), directorySize = u32(end + 12), directoryOffset = u32(end + 16)
        guard count != 0xFFFF, directoryOffset != 0xFFFF_FFFF else {
            throw bad("zip64 archives (over 4 GiB) are not read")
        }
        guard directoryOffset + directorySize <= end else { throw bad("central directory outside the file") }
        var p = directoryOffset
        for _ in 0..<count {
            guard p + 46 <= end, u32(p) == 0x0201_4B50 else { throw bad("bad central directory entry at \(p)") }
            let method = u16(p + 10), size = u32(p + 20), uncompressed = u32(p + 24)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            let local = u32(p + 42)
            guard p + 46 + nameLength <= end else { throw bad("entry name outside the directory") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            guard method == 0, size == uncompressed else {
                throw bad("entry \(name) is compressed (method \(method)); torch.save writes stored entries")
            }
            guard local + 30 <= directoryOffset, u32(local) == 0x0403_4B50 else {
                throw bad("entry \(name) has no local header at \(local)")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + size <= directoryOffset else { throw bad("entry \(name) runs past the data") }
            entries[name] = (start, size)
            p += 46 + nameLength + extraLength + commentLength
        }
    }

    func contents(_ name: String) throws -> ArraySlice<UInt8> {
        guard let e = entries[name] else {
            throw TorchCheckpointError.invalid(path: path, reason: "the zip has no entry \(name)")
        }
        return bytes[e.offset..<(e.offset + e.size)]
    }
}

/// Interprets the pickle opcodes of a tensor state dict (see ``TorchCheckpoint``).
struct Unpickler {
    let bytes: ArraySlice<UInt8>
    let path: String
    let storage: (String) throws -> ArraySlice<UInt8>
    var position: Int
    var stack: [PickleValue] = []
    var memo: [Int: PickleValue] = [:]

    init(bytes: ArraySlice<UInt8>, path: String, storage: @escaping (String) throws -> ArraySlice<UInt8>) {
        self.bytes = bytes
        self.path = path
        self.storage = storage
        position = bytes.startIndex
    }

    static let storageTypes: [String: String] = [
        "FloatStorage": "F32", "DoubleStorage": "F64", "HalfStorage": "F16", "BFloat16Storage": "BF16",
        "LongStorage": "I64", "IntStorage": "I32",
    ]

    func bad(_ reason: String) -> TorchCheckpointError {
        .invalid(path: path, reason: "data.pkl byte \(position - bytes.startIndex): \(reason)")
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, bytes.endIndex - position >= n else { throw bad("truncated") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func integer(_ n: Int) throws -> Int {
        var v = 0
        for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
        return v
    }

    mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw bad("stack underflow") }
        return v
    }

    /// The values above the topmost mark (which is removed).
    mutating func popMark() throws -> [PickleValue] {
        guard let m = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
            throw bad("no mark")
        }
        let items = Array(stack[(m + 1)...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func string(_ n: Int) throws -> PickleValue {
        .string(String(decoding: try take(n), as: UTF8.self))
    }

    mutating func line() throws -> String {
        guard let newline = bytes[position...].firstIndex(of: 0x0A) else { throw bad("unterminated GLOBAL") }
        let text = String(decoding: bytes[position..<newline], as: UTF8.self)
        position = newline + 1
        return text
    }

    mutating func load() throws -> PickleValue {
        while true {
            guard let op = try take(1).first else { throw bad("truncated") }
            switch op {
            case 0x80: _ = try take(1)  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E: return try pop()  // STOP
            case 0x7D: stack.append(.dict(.init()))  // EMPTY_DICT
            case 0x5D: stack.append(.list(.init()))  // EMPTY_LIST
            case 0x29: stack.append(.tuple([], depth: 1))  // EMPTY_TUPLE
            case 0x28: stack.append(.mark)  // MARK
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4B: stack.append(.int(try integer(1)))  // BININT1
            case 0x4D: stack.append(.int(try integer(2)))  // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try integer(4)))))  // BININT
            case 0x8A:  // LONG1
                let n = try integer(1)
                guard n <= 8 else { throw bad("integer of \(n) bytes") }
                var v = try integer(n)
                if n > 0 && n < 8 && v >> (8 * n - 1) & 1 == 1 { v -= 1 << (8 * n) }
                stack.append(.int(v))
            case 0x47:  // BINFLOAT (big-endian)
                let b = try take(8)
                stack.append(.float(Double(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case 0x58: stack.append(try string(try integer(4)))  // BINUNICODE
            case 0x8C: stack.append(try string(try integer(1)))  // SHORT_BINUNICODE
            case 0x43: stack.append(.bytes(Array(try take(try integer(1)))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try take(try integer(4)))))  // BINBYTES
            case 0x71: memo[try integer(1)] = stack.last  // BINPUT
            case 0x72: memo[try integer(4)] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let key = try integer(op == 0x68 ? 1 : 4)
                guard let v = memo[key] else { throw bad("memo \(key) is empty") }
                stack.append(v)
            case 0x74: stack.append(try tuple(try popMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1..3
                let n = Int(op - 0x84)
                guard stack.count >= n else { throw bad("stack underflow") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                stack.append(try tuple(items))
            case 0x63:  // GLOBAL
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw bad("STACK_GLOBAL without two strings")
                }
                stack.append(try global(module, name))
            case 0x51: stack.append(try persistent(try pop()))  // BINPERSID
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try reduce(callable, args))
            case 0x62: _ = try pop()  // BUILD: an OrderedDict's __dict__ (_metadata), ignored
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                guard case .dict(let d) = stack.last else { throw bad("SETITEM without a dict") }
                try nest(d, [value])
                d.items.append((key, value))
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0, case .dict(let d) = stack.last else { throw bad("SETITEMS without a dict") }
                try nest(d, items)
                for i in stride(from: 0, to: items.count, by: 2) { d.items.append((items[i], items[i + 1])) }
            case 0x61:  // APPEND
                let value = try pop()
                guard case .list(let l) = stack.last else { throw bad("APPEND without a list") }
                try nest(l, [value])
                l.list.append(value)
            case 0x65:  // APPENDS
                let items = try popMark()
                guard case .list(let l) = stack.last else { throw bad("APPENDS without a list") }
                try nest(l, items)
                l.list.append(contentsOf: items)
            default:
                throw bad(
                    "pickle opcode 0x\(String(op, radix: 16)) is outside the subset of a plain tensor state dict")
            }
        }
    }

    /// Containers nest at most this deep (a state dict needs 4: dict, tensor arguments, shape); deeper
    /// nesting is refused so that no value is too deep to free without exhausting the stack.
    static let maximumDepth = 32

    func tuple(_ items: [PickleValue]) throws -> PickleValue {
        seal(items)
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= Self.maximumDepth else { throw bad("values nest deeper than \(Self.maximumDepth)") }
        return .tuple(items, depth: depth)
    }

    func seal(_ items: [PickleValue]) {
        for item in items {
            switch item {
            case .list(let c), .dict(let c): c.sealed = true
            default: break
            }
        }
    }

    /// Records that `items` go into `container`, which must not be inside another value yet.
    func nest(_ container: PickleValue.Container, _ items: [PickleValue]) throws {
        guard !container.sealed else { throw bad("a list or dict changed after it was put inside another") }
        seal(items)
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= Self.maximumDepth else { throw bad("values nest deeper than \(Self.maximumDepth)") }
        container.depth = max(container.depth, depth)
    }

    func global(_ module: String, _ name: String) throws -> PickleValue {
        let allowed =
            (module == "collections" && name == "OrderedDict")
            || (module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter"))
            || (module == "torch" && Self.storageTypes[name] != nil)
        guard allowed else {
            throw bad("it names \(module).\(name); only plain tensor state dicts are read (no code is run)")
        }
        return .global(module: module, name: name)
    }

    /// `('storage', torch.FloatStorage, key, location, count)`.
    func persistent(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let t, _) = id, t.count == 5, case .string("storage") = t[0],
            case .global("torch", let type) = t[1], let dtype = Self.storageTypes[type], case .string(let key) = t[2],
            case .int(let count) = t[4], count >= 0
        else { throw bad("a persistent id that is not a tensor storage") }
        return .storage(dtype: dtype, key: key, count: count)
    }

    func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable, case .tuple(let a, _) = args else {
            throw bad("REDUCE of something other than an allowed global")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"): return .dict(.init())
        case (_, "_rebuild_parameter"):
            guard let first = a.first, case .tensor = first else { throw bad("_rebuild_parameter without a tensor") }
            return first
        case (_, "_rebuild_tensor_v2"):
            guard a.count >= 4, case .storage(let dtype, let key, let count) = a[0], case .int(let offset) = a[1],
                case .tuple(let sizeItems, _) = a[2], case .tuple(let strideItems, _) = a[3]
            else { throw bad("_rebuild_tensor_v2 with unexpected arguments") }
            let shape = try sizeItems.map { item -> Int in
                guard case .int(let v) = item, v >= 0 else { throw bad("a tensor size that is not an integer") }
                return v
            }
            let strides = try strideItems.map { item -> Int in
                guard case .int(let v) = item else { throw bad("a tensor stride that is not an integer") }
                return v
            }
            var elements = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product <= count else { throw bad("tensor of shape \(shape) exceeds its storage") }
                elements = product
            }
            var expected = [Int](repeating: 1, count: shape.count)
            for i in stride(from: shape.count - 2, through: 0, by: -1) { expected[i] = expected[i + 1] * shape[i + 1] }
            guard strides.count == shape.count else {
                throw bad("tensor strides \(strides) do not match its shape \(shape)")
            }
            guard elements <= 1 || zip(zip(strides, expected), shape).allSatisfy({ $0.0 == $0.1 || $1 == 1 }) else {
                throw bad("a non-contiguous tensor (strides \(strides), shape \(shape))")
            }
            guard offset >= 0, offset <= count - elements, let size = SafeTensors.elementSize(dtype) else {
                throw bad("tensor offset \(offset) outside its storage of \(count)")
            }
            let raw = try storage(key)
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, raw.count >= bytes else {
                throw bad("storage \(key) has \(raw.count) bytes, fewer than \(count) × \(size)")
            }
            var t = Tensor(uninitializedShape: shape)
            let p = t.mutablePointer
            raw.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                SafeTensors.decode(dtype, count: elements, from: base + offset * size, into: p)
            }
            return .tensor(t)
        default:
            throw bad("REDUCE of \(module).\(name)")
        }
    }
}
