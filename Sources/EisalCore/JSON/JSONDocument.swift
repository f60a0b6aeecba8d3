// An order-preserving JSON token tree ("tape") over the exact bytes received.
// Objects keep their key order, numbers keep their lexeme (`10.50` stays `10.50`), and every
// value knows its byte range, so the canonical serializer and the receipt UUID work on what
// was sent, never on a re-encoded struct (see shared/spec/serialization.md).

/// The kind of a JSON value.
public enum JSONKind: UInt8, Sendable, Hashable {
    case object, array, string, number, `true`, `false`, null
    /// An object member name (only found on the tape, before its value).
    case key
}

/// One entry of the tape. Containers are followed by their children; `next` is the tape index
/// just past the whole subtree, so siblings can be skipped in O(1).
@usableFromInline
struct JSONToken: Sendable {
    /// `kind` (bits 0–2), `hasEscapes` (bit 3), `verbatim` (bit 4) and `count` (bits 5–31),
    /// packed so a token takes 16 bytes: the serializer streams the tape, so its size is
    /// memory traffic.
    @usableFromInline var bits: UInt32
    /// Byte offset where the value starts (strings and keys: just after the opening quote).
    @usableFromInline var start: UInt32
    /// Byte offset just past the value (strings and keys: the closing quote).
    @usableFromInline var end: UInt32
    /// Tape index just past this token's subtree.
    @usableFromInline var next: UInt32

    /// Inputs must be shorter than this (2^28 bytes), so no container can hold more members
    /// than `count` can record: every member but the last takes at least two bytes.
    static let maximumInputLength = 1 << 28

    @inline(__always)
    init(kind: JSONKind, hasEscapes: Bool, verbatim: Bool, count: UInt32, start: UInt32, end: UInt32, next: UInt32) {
        bits = UInt32(kind.rawValue) | (hasEscapes ? 8 : 0) | (verbatim ? 16 : 0) | count << 5
        self.start = start
        self.end = end
        self.next = next
    }

    /// What kind of value or key this token is.
    @inlinable var kind: JSONKind {
        @inline(__always) get { unsafeBitCast(UInt8(truncatingIfNeeded: bits & 7), to: JSONKind.self) }
    }

    /// Strings and keys: the text holds at least one backslash escape.
    @inlinable var hasEscapes: Bool {
        @inline(__always) get { bits & 8 != 0 }
    }

    /// The canonical serializer may copy the text as is: numbers, `true`, `false`, strings
    /// without escapes, and keys without escapes that are all ASCII (so upper-casing is bytewise).
    @inlinable var verbatim: Bool {
        @inline(__always) get { bits & 16 != 0 }
    }

    /// Containers: number of members or elements.
    @inlinable var count: UInt32 {
        @inline(__always) get { bits >> 5 }
        @inline(__always) set { bits = bits & 31 | newValue << 5 }
    }
}

/// A parsed JSON text: the bytes as received plus an order-preserving token tape.
///
/// Create one with ``JSONParser``. Navigate it with ``root`` (a ``JSONNode``).
public struct JSONDocument: Sendable {
    /// The input exactly as received (a leading UTF-8 byte-order mark included, if there was one).
    public let bytes: [UInt8]
    @usableFromInline let tape: [JSONToken]

    init(bytes: [UInt8], tape: [JSONToken]) {
        self.bytes = bytes
        self.tape = tape
    }

    /// The root value.
    public var root: JSONNode { JSONNode(document: self, index: 0) }
}

/// A value inside a ``JSONDocument``. Cheap to copy; it shares the document's storage.
public struct JSONNode: Sendable {
    /// The document this value belongs to.
    public let document: JSONDocument
    /// Index of the value on the tape.
    public let index: Int

    @inlinable var token: JSONToken { document.tape[index] }

    /// What kind of value this is.
    public var kind: JSONKind { token.kind }

    /// The byte range of the value in ``JSONDocument/bytes`` (strings include their quotes).
    public var byteRange: Range<Int> {
        let t = token
        switch t.kind {
        case .string, .key: return Int(t.start) - 1 ..< Int(t.end) + 1
        default: return Int(t.start) ..< Int(t.end)
        }
    }

    /// The value's JSON text exactly as received.
    public var rawBytes: ArraySlice<UInt8> { document.bytes[byteRange] }

    /// The decoded string, for strings; `nil` for other kinds.
    public var string: String? {
        let t = token
        guard t.kind == .string || t.kind == .key else { return nil }
        return document.decodedString(t)
    }

    /// The number exactly as written (`"10.50"`), for numbers; `nil` otherwise.
    public var numberLexeme: String? {
        let t = token
        guard t.kind == .number else { return nil }
        return String(decoding: document.bytes[Int(t.start) ..< Int(t.end)], as: UTF8.self)
    }

    /// `true`/`false` for booleans; `nil` otherwise.
    public var bool: Bool? {
        switch token.kind {
        case .true: true
        case .false: false
        default: nil
        }
    }

    /// Whether this is JSON `null`.
    public var isNull: Bool { token.kind == .null }

    /// Number of members (objects) or elements (arrays); 0 for scalars.
    public var count: Int {
        let t = token
        return t.kind == .object || t.kind == .array ? Int(t.count) : 0
    }

    /// The members of an object, in the order received; empty for other kinds.
    public var members: [(key: String, value: JSONNode)] {
        var result: [(key: String, value: JSONNode)] = []
        forEachMember { key, value in result.append((key, value)) }
        return result
    }

    /// Calls `body` with each member of an object in order (no allocation of a member list).
    public func forEachMember(_ body: (String, JSONNode) throws -> Void) rethrows {
        let tape = document.tape
        guard tape[index].kind == .object else { return }
        var i = index + 1
        for _ in 0 ..< tape[index].count {
            let key = document.decodedString(tape[i])
            try body(key, JSONNode(document: document, index: i + 1))
            i = Int(tape[i + 1].next)
        }
    }

    /// The elements of an array, in order; empty for other kinds.
    public var elements: [JSONNode] {
        let tape = document.tape
        guard tape[index].kind == .array else { return [] }
        var result: [JSONNode] = []
        result.reserveCapacity(Int(tape[index].count))
        var i = index + 1
        for _ in 0 ..< tape[index].count {
            result.append(JSONNode(document: document, index: i))
            i = Int(tape[i].next)
        }
        return result
    }

    /// The value of member `key` of an object, or `nil` (also for non-objects).
    public subscript(key: String) -> JSONNode? {
        var cursor = MemberCursor(self)
        return cursor.find(key)
    }
}

/// The tape index of the key of the member of one object (keys from `first`, object ending at
/// `end`) that `matches`, trying first the key at `hint` and then wrapping around; `hint` moves
/// past the match. Code that reads members in about the order they were written (a schema, a
/// model) so pays one comparison per lookup instead of a scan.
@inline(__always)
func findMember(tape: UnsafePointer<JSONToken>, first: Int, end: Int, hint: inout Int, where matches: (JSONToken) -> Bool) -> Int? {
    var found: Int?
    var i = hint
    while i < end {
        if matches(tape[i]) { found = i; break }
        i = Int(tape[i + 1].next)
    }
    if found == nil {
        i = first
        while i < hint {
            if matches(tape[i]) { found = i; break }
            i = Int(tape[i + 1].next)
        }
    }
    guard let key = found else { return nil }
    let next = Int(tape[key + 1].next)
    hint = next < end ? next : first
    return key
}

extension JSONToken {
    /// Whether this key's decoded text is `name` (`bytes`: the document's text).
    func keyEquals(_ name: UnsafeBufferPointer<UInt8>, in bytes: UnsafePointer<UInt8>) -> Bool {
        let length = Int(end &- start)
        guard hasEscapes else {
            return length == name.count && (length == 0 || memcmp(bytes + Int(start), name.baseAddress!, length) == 0)
        }
        var decoded: [UInt8] = []
        JSONEscapes.unescape(Array(UnsafeBufferPointer(start: bytes + Int(start), count: length))[...], into: &decoded)
        return decoded.elementsEqual(name)
    }

    /// What the kind is called in error messages ("a string", "an object", …).
    var kindDescription: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string, .key: "a string"
        case .number: "a number"
        case .true, .false: "a boolean"
        case .null: "null"
        }
    }
}

/// Finds members of one object by name, trying first the member after the previous match: code
/// that reads members in about the order they were written (a schema, a model) pays one
/// comparison per lookup instead of a scan.
struct MemberCursor {
    let node: JSONNode
    /// Tape index of the first key (the object's first member), and just past the object.
    let first: Int, end: Int
    /// Tape index of the key to try first.
    var hint: Int

    init(_ node: JSONNode) {
        self.node = node
        let t = node.document.tape[node.index]
        first = node.index + 1
        end = t.kind == .object ? Int(t.next) : first
        hint = first
    }

    /// The value of member `key`, or `nil` (also for non-objects).
    mutating func find(_ key: String) -> JSONNode? {
        guard first < end else { return nil }
        var wanted = key
        let document = node.document
        var hint = self.hint
        let found: Int? = wanted.withUTF8 { name in
            document.tape.withUnsafeBufferPointer { tape in
                document.bytes.withUnsafeBufferPointer { bytes in
                    findMember(tape: tape.baseAddress!, first: first, end: end, hint: &hint) { $0.keyEquals(name, in: bytes.baseAddress!) }
                }
            }
        }
        self.hint = hint
        return found.map { JSONNode(document: document, index: $0 + 1) }
    }
}

extension JSONNode {
    /// A short description of the kind for error messages ("a string", "an object", …).
    public var kindDescription: String { token.kindDescription }
}

extension JSONDocument {
    /// The decoded text of a string or key token.
    @usableFromInline
    func decodedString(_ t: JSONToken) -> String {
        let range = Int(t.start) ..< Int(t.end)
        if !t.hasEscapes { return String(decoding: bytes[range], as: UTF8.self) }
        var out: [UInt8] = []
        JSONEscapes.unescape(bytes[range], into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The decoded UTF-8 bytes of a string or key token, appended to `out`.
    @usableFromInline
    func appendDecodedBytes(_ t: JSONToken, to out: inout [UInt8]) {
        let range = Int(t.start) ..< Int(t.end)
        if t.hasEscapes { JSONEscapes.unescape(bytes[range], into: &out) } else { out.append(contentsOf: bytes[range]) }
    }

}

/// JSON string escaping and unescaping, shared by the parser, the writer and the serializer.
public enum JSONEscapes {
    /// Decodes the body of a valid JSON string (between the quotes) into UTF-8 bytes.
    /// The input must already have been validated by ``JSONParser``.
    public static func unescape(_ body: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var i = body.startIndex
        let end = body.endIndex
        while i < end {
            let b = body[i]
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(hexValue(body, i))
                i += 4
                if scalar >= 0xD800, scalar < 0xDC00 {
                    // Validated: a low surrogate escape follows.
                    let low = UInt32(hexValue(body, i + 2))
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e) // " \ /
            }
        }
    }

    static func hexValue(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt16 {
        var v: UInt16 = 0
        for k in 0 ..< 4 { v = v << 4 | UInt16(hexDigit(bytes[at + k]) ?? 0) }
        return v
    }

    /// The value of a hex digit, or `nil`.
    @inlinable
    public static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0 ..< 0x80:
            out.append(UInt8(scalar))
        case 0x80 ..< 0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800 ..< 0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Appends decoded UTF-8 text with minimal JSON escaping: `\"`, `\\`, `\b \f \n \r \t`,
    /// other control characters as `\u00XX`; everything else literally.
    @inlinable
    public static func appendMinimallyEscaped<C: Collection<UInt8>>(_ text: C, to out: inout [UInt8]) {
        // Most text written (UUIDs, numbers, codes, names) needs no escape: scanned, then copied
        // at once rather than appended byte by byte.
        let copied = text.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true { return }
        for b in text {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0 ..< 0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
