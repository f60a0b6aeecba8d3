// The walk of the canonical serialization over the parsed tape (spec/serialization.md): members
// in received order, names upper-cased invariantly, array names before every element, strings
// minimally escaped, numbers as their lexemes; byte ranges of the received text are copied where
// they are already canonical.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
