// Canonical serialization of ETA documents.
// Source: ETA SDK /document-serialization-approach/ (steps 1–6) and /signature-creation/;
// receipt UUID: /receiptissuancefaq/ "How to generate receipt UUID?" (quoted by R-SERVE
// serialize.ts); decisions for unsettled inputs: shared/spec/serialization.md.
//
//   canonical(object) = for each member in received order:
//       "NAME" then: object → canonical(object); array → "NAME" before every element;
//       scalar → "value" (strings minimally escaped, numbers as their lexeme)
//
// The serializer walks the parsed tape and copies byte ranges of the received text, so the
// text it hashes is the text that was sent.

/// Which kind of root is being serialized; decides which members are special.
public enum CanonicalRoot: Sendable, Hashable {
    /// One receipt (an element of `receipts[]`): `header.uuid` follows the style.
    case receipt
    /// One invoice document: its root `signatures` member is left out.
    case document
    /// A whole submission wrapper: root `signatures` left out, each element of `receipts`
    /// treated as a receipt.
    case submission
}

/// Writes the canonical text of a parsed JSON value.
public struct CanonicalSerializer: Sendable {
    /// The style (``CanonicalStyle/eta`` unless reproducing a client's mistake).
    public var style: CanonicalStyle

    public init(style: CanonicalStyle = .eta) {
        self.style = style
        self.isETA = style == .eta
    }

    /// ETA's serializer, made once.
    public static let eta = CanonicalSerializer(style: .eta)

    /// `style == .eta`, decided once.
    let isETA: Bool

    /// Appends the canonical text of `node` (an object) to `out`.
    public func serialize(_ node: JSONNode, root: CanonicalRoot, into out: inout [UInt8]) {
        withCanonicalBytes(node, root: root) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the canonical text of `node`, without copying it into an array.
    public func withCanonicalBytes<R>(_ node: JSONNode, root: CanonicalRoot, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let capacity = initialCapacity ?? (node.byteRange.count + node.byteRange.count / 4 + 64)
        // Receipt-sized texts start on the stack; the sink moves to the heap only if it grows.
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: min(capacity, 32 * 1024)) { scratch in
            var sink = ByteSink(borrowing: scratch)
            sink.exactGrowth = initialCapacity != nil
            defer { sink.deallocate() }
            if isETA, !forceRecursiveWalk, node.kind == .object, writeETA(node, root: root, into: &sink) {
                // Written by the linear pass.
            } else {
                sink.count = 0
                var recorder = NoPathRecorder()
                write(node, root: root, into: &sink, recorder: &recorder)
            }
            return try body(UnsafeBufferPointer(start: sink.base, count: sink.count))
        }
    }

    /// Room one plain member needs when its name and value are both at most 32 bytes.
    static let memberReserve = 2 * (32 + 2 + 32)

    /// Tests set this to compare the linear ETA pass with the general walker.
    var forceRecursiveWalk = false
    /// Tests set a tiny first buffer, which then grows by exactly what each write asks for.
    var initialCapacity: Int?

    /// ETA's style in one linear pass over the tape (the hot path of every receipt UUID). It
    /// writes exactly what the general walker writes with ``CanonicalStyle/eta``; a test
    /// compares the two on varied and hostile documents.
    /// Returns `false` (having written part of the text) when the document nests deeper than
    /// the pass supports; the caller then starts over with the general walker.
    func writeETA(_ node: JSONNode, root: CanonicalRoot, into result: inout ByteSink) -> Bool {
        node.document.bytes.withUnsafeBufferPointer { bytesBuffer in
            node.document.tape.withUnsafeBufferPointer { tapeBuffer in
                // A local copy lets the sink's pointer and count live in registers.
                var out = result
                defer { result = out }
                let walker = CanonicalWalker(bytes: bytesBuffer.baseAddress!, byteCount: bytesBuffer.count, tape: tapeBuffer.baseAddress!, style: .eta, isETA: true, recorder: NoPathRecorder())
                let tape = tapeBuffer.baseAddress!
                struct Frame {
                    var end: Int
                    var isArray: Bool
                    var name: Int // key token index written before each array element
                    var role: Role // role of this object, or of the elements of this array
                }
                // Nesting never exceeds the number of tokens; receipts need 5 levels.
                let capacity = min(tapeBuffer.count, 256)
                return withUnsafeTemporaryAllocation(of: Frame.self, capacity: capacity) { frames in
                let stack = frames.baseAddress!
                var depth = 0
                func push(_ frame: Frame) -> Bool {
                    guard depth < capacity else { return false }
                    stack[depth] = frame
                    depth += 1
                    return true
                }
                let rootRole: Role = switch root {
                case .receipt: .receipt
                case .document: .document
                case .submission: .submission
                }
                _ = push(Frame(end: Int(tape[node.index].next), isArray: false, name: 0, role: rootRole))
                var i = node.index + 1
                var lastKey = 0
                while true {
                    while depth > 0, i == stack[depth - 1].end { depth -= 1 }
                    guard depth > 0 else { break }
                    let frame = stack[depth - 1]
                    if !frame.isArray, frame.role == .plain {
                        // Hot loop: the members of a plain object, a key and its scalar value per
                        // step, until the object ends or a member holds a container.
                        let end = frame.end
                        var descended = false
                        while i < end {
                            lastKey = i
                            // Room for a short name and a short value (66 + 66 bytes) at once.
                            out.reserve(CanonicalSerializer.memberReserve)
                            let key = tape[i]
                            // A long name reserves (and may use up) room of its own: the value then reserves too.
                            let shortName = walker.writeVerbatimName(key, &out, reserved: true)
                            if !shortName { walker.writeName(key, &out) }
                            let value = tape[i + 1]
                            if value.verbatim {
                                walker.writeVerbatimValue(value, &out, reserved: shortName)
                            } else if value.kind == .object || value.kind == .array {
                                guard push(Frame(end: Int(value.next), isArray: value.kind == .array, name: lastKey, role: .plain)) else { return false }
                                descended = true
                            } else {
                                walker.writeScalar(i + 1, &out)
                            }
                            i += 2
                            if descended { break }
                        }
                        continue
                    }
                    let t = tape[i]
                    if frame.isArray {
                        let name = tape[frame.name]
                        if !walker.writeVerbatimName(name, &out) { walker.writeName(name, &out) }
                    }
                    switch t.kind {
                    case .key:
                        if frame.role != .plain {
                            let valueKind = tape[i + 1].kind
                            switch frame.role {
                            case .header where walker.keyIs(t, "uuid"):
                                walker.writeName(t, &out)
                                out.append(UInt8(ascii: "\""))
                                out.append(UInt8(ascii: "\""))
                                i = Int(tape[i + 1].next)
                                continue
                            case .submission where walker.keyIs(t, "signatures"), .document where walker.keyIs(t, "signatures"):
                                i = Int(tape[i + 1].next)
                                continue
                            default:
                                break
                            }
                            lastKey = i
                            if !walker.writeVerbatimName(t, &out) { walker.writeName(t, &out) }
                            i += 1
                            // The value's role depends on the key it belongs to.
                            let valueRole: Role
                            if frame.role == .receipt, valueKind == .object, walker.keyIs(t, "header") {
                                valueRole = .header
                            } else if frame.role == .submission, walker.keyIs(t, "receipts") {
                                valueRole = .receipt
                            } else {
                                valueRole = .plain
                            }
                            if valueKind == .object || valueKind == .array {
                                guard push(Frame(end: Int(tape[i].next), isArray: valueKind == .array, name: lastKey, role: valueRole)) else { return false }
                                i += 1
                            }
                            continue
                        }
                        lastKey = i
                        if !walker.writeVerbatimName(t, &out) { walker.writeName(t, &out) }
                        i += 1
                        // The member's value in the same step when it is a scalar (most members).
                        let value = tape[i]
                        switch value.kind {
                        case .object, .array:
                            guard push(Frame(end: Int(value.next), isArray: value.kind == .array, name: lastKey, role: .plain)) else { return false }
                        case _ where value.verbatim:
                            walker.writeVerbatimValue(value, &out)
                        default:
                            walker.writeScalar(i, &out)
                        }
                        i += 1
                    case .object, .array:
                        // An element of an array (members' containers are pushed with their key).
                        guard push(Frame(end: Int(t.next), isArray: t.kind == .array, name: frame.name, role: frame.role)) else { return false }
                        i += 1
                    case .number, .true, .false:
                        walker.writeQuotedCopy(Int(t.start), Int(t.end - t.start), &out)
                        i += 1
                    case .string where !t.hasEscapes:
                        walker.writeQuotedCopy(Int(t.start), Int(t.end - t.start), &out)
                        i += 1
                    default:
                        walker.writeScalar(i, &out)
                        i += 1
                    }
                }
                return true
                }
            }
        }
    }

    /// The canonical text of `node` as bytes.
    public func bytes(_ node: JSONNode, root: CanonicalRoot) -> [UInt8] {
        withCanonicalBytes(node, root: root) { Array($0) }
    }

    /// The canonical text of `node` plus, for each written name and value, the output offset
    /// and the property path it belongs to (used to locate the first difference between two texts).
    public func bytesWithPaths(_ node: JSONNode, root: CanonicalRoot) -> (bytes: [UInt8], marks: [CanonicalMark]) {
        var sink = ByteSink(capacity: node.byteRange.count + 64)
        defer { sink.deallocate() }
        var recorder = PathRecorder()
        write(node, root: root, into: &sink, recorder: &recorder)
        return (Array(UnsafeBufferPointer(start: sink.base, count: sink.count)), recorder.marks)
    }

    func write<R: PathRecording>(_ node: JSONNode, root: CanonicalRoot, into sink: inout ByteSink, recorder: inout R) {
        let role: Role = switch root {
        case .receipt: .receipt
        case .document: .document
        case .submission: .submission
        }
        node.document.bytes.withUnsafeBufferPointer { bytes in
            node.document.tape.withUnsafeBufferPointer { tape in
                var walker = CanonicalWalker(bytes: bytes.baseAddress!, byteCount: bytes.count, tape: tape.baseAddress!, style: style, isETA: isETA, recorder: recorder)
                if tape[node.index].kind == .object {
                    walker.writeMembers(node.index, role: role, &sink)
                } else {
                    walker.writeScalar(node.index, &sink)
                }
                recorder = walker.recorder
            }
        }
    }
}

/// A position in canonical text and the property path written there.
public struct CanonicalMark: Sendable, Hashable {
    /// Offset in the canonical text where this name or value starts.
    public var offset: Int
    /// Property path, e.g. `header.uuid` or `itemData[1].quantity`.
    public var path: String
}

/// Growable output buffer written through a raw pointer (the serializer's hot path).
struct ByteSink {
    var base: UnsafeMutablePointer<UInt8>
    var count = 0
    var capacity: Int
    /// Whether `base` was allocated here (a borrowed buffer is never freed by the sink).
    var ownsBase: Bool
    /// Grow to exactly the room asked for (tests: any write that did not ask is then caught).
    var exactGrowth = false

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        ownsBase = true
    }

    /// Starts in `buffer` (e.g. a temporary stack allocation); grows into the heap if needed.
    init(borrowing buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
        capacity = buffer.count
        ownsBase = false
    }

    func deallocate() { if ownsBase { base.deallocate() } }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    mutating func grow(_ needed: Int) {
        let newCapacity = exactGrowth ? needed : max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        if ownsBase { base.deallocate() }
        base = newBase
        capacity = newCapacity
        ownsBase = true
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, _ length: Int) {
        reserve(length)
        (base + count).update(from: source, count: length)
        count += length
    }

    mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { if let p = $0.baseAddress { append(p, $0.count) } }
    }
}

/// Receives the property path of each written name (only the explainer records them).
protocol PathRecording {
    static var records: Bool { get }
    mutating func push(_ component: String)
    mutating func pop()
    mutating func mark(_ offset: Int)
}

struct NoPathRecorder: PathRecording {
    static var records: Bool { false }
    @inline(__always) mutating func push(_ component: String) {}
    @inline(__always) mutating func pop() {}
    @inline(__always) mutating func mark(_ offset: Int) {}
}

struct PathRecorder: PathRecording {
    var marks: [CanonicalMark] = []
    var stack: [String] = []

    static var records: Bool { true }
    mutating func push(_ component: String) { stack.append(component) }
    mutating func pop() { stack.removeLast() }
    mutating func mark(_ offset: Int) {
        var path = ""
        for component in stack {
            if component.hasPrefix("[") || path.isEmpty { path += component } else { path += "." + component }
        }
        marks.append(CanonicalMark(offset: offset, path: path))
    }
}

enum Role {
    case plain, receipt, header, submission, document
}

struct CanonicalWalker<Recorder: PathRecording> {
    let bytes: UnsafePointer<UInt8>
    /// Input bytes readable from `bytes` (16-byte block copies never read past it).
    let byteCount: Int
    let tape: UnsafePointer<JSONToken>
    let style: CanonicalStyle
    let isETA: Bool
    var recorder: Recorder

    /// `isETA` is `style == .eta`, passed by callers that know it (the comparison includes a set).
    init(bytes: UnsafePointer<UInt8>, byteCount: Int, tape: UnsafePointer<JSONToken>, style: CanonicalStyle, isETA: Bool, recorder: Recorder) {
        self.bytes = bytes
        self.byteCount = byteCount
        self.tape = tape
        self.style = style
        self.isETA = isETA
        self.recorder = recorder
    }

    @inline(__always)
    func keyIs(_ t: JSONToken, _ name: StaticString) -> Bool {
        guard !t.hasEscapes, Int(t.end - t.start) == name.utf8CodeUnitCount else { return false }
        return memcmp(bytes + Int(t.start), name.utf8Start, name.utf8CodeUnitCount) == 0
    }

    func decoded(_ t: JSONToken) -> [UInt8] {
        let slice = Array(UnsafeBufferPointer(start: bytes + Int(t.start), count: Int(t.end - t.start)))
        guard t.hasEscapes else { return slice }
        var out: [UInt8] = []
        JSONEscapes.unescape(slice[...], into: &out)
        return out
    }

    func decodedKey(_ t: JSONToken) -> String { String(decoding: decoded(t), as: UTF8.self) }

    mutating func writeMembers(_ index: Int, role: Role, _ out: inout ByteSink) {
        let count = Int(tape[index].count)
        if style.memberOrder == .sorted {
            var keys: [Int] = []
            var i = index + 1
            for _ in 0 ..< count {
                keys.append(i)
                i = Int(tape[i + 1].next)
            }
            keys.sort { decoded(tape[$0]).lexicographicallyPrecedes(decoded(tape[$1])) }
            for key in keys { writeMember(key, parentRole: role, &out) }
            return
        }
        var i = index + 1
        for _ in 0 ..< count {
            writeMember(i, parentRole: role, &out)
            i = Int(tape[i + 1].next)
        }
    }

    @inline(__always)
    mutating func writeMember(_ keyIndex: Int, parentRole: Role, _ out: inout ByteSink) {
        let keyToken = tape[keyIndex]
        let valueIndex = keyIndex + 1
        var childRole = Role.plain
        var blankValue = false
        switch parentRole {
        case .plain:
            break
        case .receipt:
            if keyIs(keyToken, "header"), tape[valueIndex].kind == .object { childRole = .header }
        case .header:
            if keyIs(keyToken, "uuid") {
                switch style.headerUUID {
                case .blank: blankValue = true
                case .removed: return
                case .keptWithValue: break
                }
            } else if !style.omittedHeaderMembers.isEmpty, style.omittedHeaderMembers.contains(decodedKey(keyToken)) {
                return
            }
        case .submission:
            if keyIs(keyToken, "signatures") { return }
            if keyIs(keyToken, "receipts") { childRole = .receipt }
        case .document:
            if keyIs(keyToken, "signatures") { return }
        }
        if Recorder.records {
            let key = decodedKey(keyToken)
            recorder.push(key)
        }
        recorder.mark(out.count)
        if isETA || style.arrays != .nameBeforeEachElementOnly || tape[valueIndex].kind != .array {
            writeName(keyToken, &out)
        }
        if blankValue {
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: "\""))
        } else {
            writeValue(valueIndex, name: keyToken, role: childRole, &out)
        }
        recorder.pop()
    }

    /// Writes a member's value; for arrays, `role` applies to the elements.
    mutating func writeValue(_ index: Int, name: JSONToken, role: Role, _ out: inout ByteSink) {
        let t = tape[index]
        switch t.kind {
        case .object:
            writeMembers(index, role: role, &out)
        case .array:
            var i = index + 1
            for n in 0 ..< Int(t.count) {
                if Recorder.records { recorder.push("[\(n)]") }
                recorder.mark(out.count)
                if isETA || style.arrays != .nameOnce { writeName(name, &out) }
                if tape[i].kind == .object {
                    writeMembers(i, role: role, &out)
                } else {
                    writeValue(i, name: name, role: role, &out)
                }
                recorder.pop()
                i = Int(tape[i].next)
            }
        default:
            writeScalar(index, &out)
        }
    }

    @inline(__always)
    func writeName(_ t: JSONToken, _ out: inout ByteSink) {
        if (isETA || style.names == .upperCased), writeVerbatimName(t, &out) { return }
        let start = Int(t.start), length = Int(t.end - t.start)
        if !t.hasEscapes, isETA || style.names == .upperCased {
            // Copy while upper-casing ASCII, 8 bytes at a time (SWAR); fall back when any byte
            // is non-ASCII.
            out.reserve(length + 2 + 8)
            let mark = out.count
            let dst = out.base + mark
            dst[0] = UInt8(ascii: "\"")
            var k = 0
            var high = false
            while k < length, start + k + 8 <= byteCount {
                let x = UInt64(littleEndian: UnsafeRawPointer(bytes + start + k).loadUnaligned(as: UInt64.self))
                let valid = length - k
                let mask: UInt64 = valid >= 8 ? ~0 : (1 << (UInt64(valid) * 8)) - 1
                if x & mask & 0x8080_8080_8080_8080 != 0 { high = true; break }
                UnsafeMutableRawPointer(dst + 1 + k).storeBytes(of: Self.upperASCII(x).littleEndian, as: UInt64.self)
                k += 8
            }
            if !high {
                while k < length {
                    let b = bytes[start + k]
                    if b >= 0x80 { high = true; break }
                    dst[k + 1] = b &- 97 < 26 ? b &- 32 : b
                    k += 1
                }
            }
            if !high {
                dst[length + 1] = UInt8(ascii: "\"")
                out.count = mark + length + 2
                return
            }
        } else if !t.hasEscapes {
            var ascii = true
            for k in 0 ..< length where bytes[start + k] >= 0x80 { ascii = false; break }
            if ascii {
                out.append(UInt8(ascii: "\""))
                out.append(bytes + start, length)
                out.append(UInt8(ascii: "\""))
                return
            }
        }
        writeNameSlowly(t, &out)
    }

    /// Escaped or non-ASCII names: decode, map, re-escape (kept out of line so the fast path inlines).
    @inline(never)
    func writeNameSlowly(_ t: JSONToken, _ out: inout ByteSink) {
        var name = decodedKey(t)
        if isETA || style.names == .upperCased { name = CanonicalText.invariantUpperCased(name) }
        out.append(UInt8(ascii: "\""))
        writeText(Array(name.utf8), &out)
        out.append(UInt8(ascii: "\""))
    }

    /// ETA's form of a ``JSONToken/verbatim`` name (unescaped ASCII) of at most 32 bytes (nearly
    /// every name), copied and upper-cased a word at a time; `false` when the name needs more.
    @inline(__always)
    func writeVerbatimName(_ t: JSONToken, _ out: inout ByteSink, reserved: Bool = false) -> Bool {
        let start = Int(t.start), length = Int(t.end &- t.start)
        guard t.verbatim, length <= 32, start &+ 32 <= byteCount else { return false }
        writeWords(start, length, upperCased: true, &out, reserved: reserved)
        return true
    }

    /// `"` + bytes `start..<start+length` (at most 32, with 32 readable) + `"`, copied as two or
    /// four words, upper-cased when asked (names: ASCII only). Bytes past the text are copied too,
    /// then overwritten or left past `count`. `reserved`: the caller made room for this write.
    @inline(__always)
    func writeWords(_ start: Int, _ length: Int, upperCased: Bool, _ out: inout ByteSink, reserved: Bool) {
        if !reserved { out.reserve(length &+ 2 &+ 32) }
        assert(out.capacity &- out.count >= 34, "room for the quote, four words and the closing quote")
        let source = UnsafeRawPointer(bytes + start)
        let dst = out.base + out.count
        dst[0] = UInt8(ascii: "\"")
        let target = UnsafeMutableRawPointer(dst + 1)
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            let w = source.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            return upperCased ? Self.upperNameWord(w) : w
        }
        target.storeBytes(of: word(0), as: UInt64.self)
        target.storeBytes(of: word(8), toByteOffset: 8, as: UInt64.self)
        if length > 16 {
            target.storeBytes(of: word(16), toByteOffset: 16, as: UInt64.self)
            target.storeBytes(of: word(24), toByteOffset: 24, as: UInt64.self)
        }
        dst[length &+ 1] = UInt8(ascii: "\"")
        out.count &+= length &+ 2
    }

    /// Eight bytes of a verbatim (all-ASCII) name with `a`–`z` upper-cased. Bytes past the name
    /// may be anything: an ASCII byte never carries into the next, and a carry out of a byte past
    /// the name only reaches later bytes, which are past the name as well (little-endian).
    @inline(__always)
    static func upperNameWord(_ x: UInt64) -> UInt64 {
        let atLeastA = x &+ 0x1F1F_1F1F_1F1F_1F1F
        let aboveZ = x &+ 0x0505_0505_0505_0505
        return x &- ((atLeastA & ~aboveZ & 0x8080_8080_8080_8080) >> 2)
    }

    /// `"` + the text of a ``JSONToken/verbatim`` value + `"`.
    @inline(__always)
    func writeVerbatimValue(_ t: JSONToken, _ out: inout ByteSink, reserved: Bool = false) {
        writeQuotedCopy(Int(t.start), Int(t.end &- t.start), &out, reserved: reserved)
    }

    /// Eight ASCII bytes with `a`–`z` upper-cased (SWAR; bytes ≥ 0x80 must not be present).
    @inline(__always)
    static func upperASCII(_ x: UInt64) -> UInt64 {
        let heptets = x & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = heptets &+ 0x1F1F_1F1F_1F1F_1F1F
        let aboveZ = heptets &+ 0x0505_0505_0505_0505
        let isLower = atLeastA & ~aboveZ & 0x8080_8080_8080_8080
        return x &- (isLower >> 2)
    }

    /// `"` + input bytes `start..<start+length` + `"`; values up to 32 bytes are copied as words.
    /// `reserved` (short values only): the caller made room for this write.
    @inline(__always)
    func writeQuotedCopy(_ start: Int, _ length: Int, _ out: inout ByteSink, reserved: Bool = false) {
        if length <= 32, start &+ 32 <= byteCount {
            writeWords(start, length, upperCased: false, &out, reserved: reserved)
            return
        }
        out.reserve(length + 2)
        let dst = out.base + out.count
        dst[0] = UInt8(ascii: "\"")
        (dst + 1).update(from: bytes + start, count: length)
        dst[length + 1] = UInt8(ascii: "\"")
        out.count += length + 2
    }

    /// Writes escaped JSON string text (`start..<start+length`, validated by the parser) as its
    /// decoded value with minimal escaping, without building the decoded string: `\/` and
    /// `\uXXXX` become the character itself unless it must stay escaped.
    func transcodeEscaped(_ start: Int, _ length: Int, _ out: inout ByteSink) {
        out.reserve(length + 8)
        var k = start
        let end = start + length
        var run = k
        while k < end {
            guard bytes[k] == UInt8(ascii: "\\") else { k += 1; continue }
            if k > run { out.append(bytes + run, k - run) }
            let e = bytes[k + 1]
            switch e {
            case UInt8(ascii: "/"):
                out.append(e)
                k += 2
            case UInt8(ascii: "u"):
                var scalar = UInt32(hex4(k + 2))
                k += 6
                if scalar >= 0xD800, scalar < 0xDC00 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(hex4(k + 2)) - 0xDC00)
                    k += 6
                }
                if scalar < 0x80 {
                    var one: [UInt8] = []
                    JSONEscapes.appendMinimallyEscaped(CollectionOfOne(UInt8(scalar)), to: &one)
                    out.append(contentsOf: one)
                } else {
                    var utf8: [UInt8] = []
                    JSONEscapes.appendUTF8(scalar, to: &utf8)
                    out.append(contentsOf: utf8)
                }
            default: // \" \\ \b \f \n \r \t are already minimal
                out.append(bytes + k, 2)
                k += 2
            }
            run = k
        }
        if end > run { out.append(bytes + run, end - run) }
    }

    func hex4(_ at: Int) -> UInt16 {
        var v: UInt16 = 0
        for k in 0 ..< 4 { v = v << 4 | UInt16(JSONEscapes.hexDigit(bytes[at + k]) ?? 0) }
        return v
    }

    func writeText(_ decoded: [UInt8], _ out: inout ByteSink) {
        var escaped: [UInt8] = []
        switch style.strings {
        case .minimallyEscaped: JSONEscapes.appendMinimallyEscaped(decoded, to: &escaped)
        case .raw: escaped = decoded
        }
        out.append(contentsOf: escaped)
    }

    func writeScalar(_ index: Int, _ out: inout ByteSink) {
        let t = tape[index]
        let start = Int(t.start), length = Int(t.end - t.start)
        switch t.kind {
        case .string where !t.hasEscapes, .number where isETA || style.numbers == .asWritten, .true, .false:
            // Unescaped JSON string text is already its own minimal escaping; numbers and
            // literals are written as received.
            writeQuotedCopy(start, length, &out)
            return
        default:
            break
        }
        out.append(UInt8(ascii: "\""))
        switch t.kind {
        case .string where style.strings == .minimallyEscaped:
            transcodeEscaped(start, length, &out)
        case .string:
            writeText(decoded(t), &out)
        case .number:
            let lexeme = String(decoding: UnsafeBufferPointer(start: bytes + start, count: length), as: UTF8.self)
            let text = style.numbers == .shortestDouble ? CanonicalText.shortestDouble(lexeme) : CanonicalText.pythonFloat(lexeme)
            out.append(contentsOf: Array(text.utf8))
        case .null:
            // Decision (serialization.md is silent): null is written as an empty value, as the
            // widely used .NET signer (Json.NET JValue null → "") does. Validation rejects null.
            break
        default:
            break
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Text helpers of the canonical form.
public enum CanonicalText {
    /// Culture-invariant upper case with simple (one-to-one) case mapping, as .NET's
    /// `ToUpperInvariant`: `ß` stays `ß` rather than becoming `SS`.
    public static func invariantUpperCased(_ s: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            let mapped = scalar.properties.uppercaseMapping.unicodeScalars
            if mapped.count == 1, let single = mapped.first { scalars.append(single) } else { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// Decimal digits and exponent of the shortest round-trip form of a double:
    /// value = 0.d1d2…dk × 10^exponent.
    static func shortestDigits(_ value: Double) -> (digits: String, exponent: Int) {
        // Swift's description is the shortest round-trip representation.
        var text = Swift.abs(value).description
        var exponentPart = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponentPart = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var exponent = integer.count + exponentPart
        while digits.hasPrefix("0"), digits.count > 1 { digits.removeFirst(); exponent -= 1 }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        if digits == "0" { exponent = 1 }
        return (digits, exponent)
    }

    /// A number lexeme as JavaScript's `Number.prototype.toString` (and .NET Core's
    /// `double.ToString()`) would print it after parsing it as a double.
    public static func shortestDouble(_ lexeme: String) -> String {
        guard let value = Double(lexeme), value.isFinite else { return lexeme }
        if value == 0 { return "0" }
        let (digits, n) = shortestDigits(value)
        let k = digits.count
        let sign = value < 0 ? "-" : ""
        if k <= n, n <= 21 { return sign + digits + String(repeating: "0", count: n - k) }
        if n > 0, n <= 21 {
            let i = digits.index(digits.startIndex, offsetBy: n)
            return sign + digits[..<i] + "." + digits[i...]
        }
        if n > -6, n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + digits }
        let e = n - 1
        let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
        return sign + mantissa + "e" + (e >= 0 ? "+" : "-") + String(Swift.abs(e))
    }

    /// A number lexeme as Python prints it after `json.loads`: a lexeme with a fraction or an
    /// exponent becomes a `float` and prints as `repr(float(lexeme))` (`14.00` → `14.0`); an
    /// integer lexeme becomes an `int` and prints unchanged (`2` → `2`, `-0` → `0`).
    public static func pythonFloat(_ lexeme: String) -> String {
        if !lexeme.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            return lexeme.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "0") } ? "0" : lexeme
        }
        guard let value = Double(lexeme), value.isFinite else { return lexeme }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, n) = shortestDigits(value)
        let sign = value < 0 ? "-" : ""
        let decimalExponent = n - 1
        if decimalExponent >= -4, decimalExponent < 16 {
            if n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + digits }
            if digits.count <= n { return sign + digits + String(repeating: "0", count: n - digits.count) + ".0" }
            let i = digits.index(digits.startIndex, offsetBy: n)
            return sign + digits[..<i] + "." + digits[i...]
        }
        let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
        let e = decimalExponent
        return sign + mantissa + "e" + (e >= 0 ? "+" : "-") + (Swift.abs(e) < 10 ? "0" : "") + String(Swift.abs(e))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
