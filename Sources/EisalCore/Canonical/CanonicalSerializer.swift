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
    }

    /// Appends the canonical text of `node` (an object) to `out`.
    public func serialize(_ node: JSONNode, root: CanonicalRoot, into out: inout [UInt8]) {
        var walker = CanonicalWalker(document: node.document, style: style, recorder: nil)
        walker.writeRoot(node.index, root: root, into: &out)
    }

    /// The canonical text of `node` as bytes.
    public func bytes(_ node: JSONNode, root: CanonicalRoot) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(node.byteRange.count)
        serialize(node, root: root, into: &out)
        return out
    }

    /// The canonical text of `node` plus, for each written name and value, the output offset
    /// and the property path it belongs to (used to locate the first difference between two texts).
    public func bytesWithPaths(_ node: JSONNode, root: CanonicalRoot) -> (bytes: [UInt8], marks: [CanonicalMark]) {
        let recorder = PathRecorder()
        var walker = CanonicalWalker(document: node.document, style: style, recorder: recorder)
        var out: [UInt8] = []
        walker.writeRoot(node.index, root: root, into: &out)
        return (out, recorder.marks)
    }
}

/// A position in canonical text and the property path written there.
public struct CanonicalMark: Sendable, Hashable {
    /// Offset in the canonical text where this name or value starts.
    public var offset: Int
    /// Property path, e.g. `header.uuid` or `itemData[1].quantity`.
    public var path: String
}

final class PathRecorder {
    var marks: [CanonicalMark] = []
    var stack: [String] = []
    var path: String {
        var result = ""
        for component in stack {
            if component.hasPrefix("[") || result.isEmpty { result += component } else { result += "." + component }
        }
        return result
    }
    func mark(_ offset: Int) { marks.append(CanonicalMark(offset: offset, path: path)) }
}

private enum Role {
    case plain, receipt, header, submission, document
}

private struct CanonicalWalker {
    let document: JSONDocument
    let style: CanonicalStyle
    let recorder: PathRecorder?

    init(document: JSONDocument, style: CanonicalStyle, recorder: PathRecorder?) {
        self.document = document
        self.style = style
        self.recorder = recorder
    }

    mutating func writeRoot(_ index: Int, root: CanonicalRoot, into out: inout [UInt8]) {
        let role: Role = switch root {
        case .receipt: .receipt
        case .document: .document
        case .submission: .submission
        }
        document.bytes.withUnsafeBufferPointer { bytes in
            document.tape.withUnsafeBufferPointer { tape in
                let context = Context(bytes: bytes, tape: tape)
                if tape[index].kind == .object {
                    writeMembers(index, role: role, context, &out)
                } else {
                    writeScalar(index, context, &out)
                }
            }
        }
    }

    struct Context {
        let bytes: UnsafeBufferPointer<UInt8>
        let tape: UnsafeBufferPointer<JSONToken>

        @inline(__always)
        func keyIs(_ t: JSONToken, _ name: StaticString) -> Bool {
            guard !t.hasEscapes, Int(t.end - t.start) == name.utf8CodeUnitCount else { return false }
            return memcmp(bytes.baseAddress! + Int(t.start), name.utf8Start, name.utf8CodeUnitCount) == 0
        }

        func decodedKey(_ t: JSONToken) -> String {
            let slice = UnsafeBufferPointer(rebasing: bytes[Int(t.start) ..< Int(t.end)])
            if !t.hasEscapes { return String(decoding: slice, as: UTF8.self) }
            var out: [UInt8] = []
            JSONEscapes.unescape(Array(slice)[...], into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Tape indices of the key tokens of an object, in the order the style writes them.
    func memberKeys(_ index: Int, _ c: Context) -> [Int] {
        var keys: [Int] = []
        keys.reserveCapacity(Int(c.tape[index].count))
        var i = index + 1
        for _ in 0 ..< c.tape[index].count {
            keys.append(i)
            i = Int(c.tape[i + 1].next)
        }
        if style.memberOrder == .sorted {
            keys.sort { c.decodedKey(c.tape[$0]).utf8.lexicographicallyPrecedes(c.decodedKey(c.tape[$1]).utf8) }
        }
        return keys
    }

    mutating func writeMembers(_ index: Int, role: Role, _ c: Context, _ out: inout [UInt8]) {
        if style.memberOrder == .sorted || recorder != nil || role != .plain {
            for key in memberKeys(index, c) { writeMember(key, parentRole: role, c, &out) }
            return
        }
        // Hot path: plain objects in received order.
        var i = index + 1
        for _ in 0 ..< c.tape[index].count {
            writeMember(i, parentRole: .plain, c, &out)
            i = Int(c.tape[i + 1].next)
        }
    }

    @inline(__always)
    mutating func writeMember(_ keyIndex: Int, parentRole: Role, _ c: Context, _ out: inout [UInt8]) {
        let keyToken = c.tape[keyIndex]
        let valueIndex = keyIndex + 1
        var childRole = Role.plain
        var blankValue = false
        switch parentRole {
        case .plain:
            break
        case .receipt:
            if c.keyIs(keyToken, "header"), c.tape[valueIndex].kind == .object { childRole = .header }
        case .header:
            if c.keyIs(keyToken, "uuid") {
                switch style.headerUUID {
                case .blank: blankValue = true
                case .removed: return
                case .keptWithValue: break
                }
            } else if !style.omittedHeaderMembers.isEmpty, style.omittedHeaderMembers.contains(c.decodedKey(keyToken)) {
                return
            }
        case .submission:
            if c.keyIs(keyToken, "signatures") { return }
            if c.keyIs(keyToken, "receipts") { childRole = .receipt }
        case .document:
            if c.keyIs(keyToken, "signatures") { return }
        }
        recorder?.stack.append(c.decodedKey(keyToken))
        defer { if recorder != nil { recorder!.stack.removeLast() } }
        recorder?.mark(out.count)
        if style.arrays != .nameBeforeEachElementOnly || c.tape[valueIndex].kind != .array {
            writeName(keyToken, c, &out)
        }
        if blankValue {
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: "\""))
            return
        }
        writeValue(valueIndex, name: keyToken, role: childRole, c, &out)
    }

    /// Writes a member's value; for arrays, `role` applies to the elements.
    mutating func writeValue(_ index: Int, name: JSONToken, role: Role, _ c: Context, _ out: inout [UInt8]) {
        let t = c.tape[index]
        switch t.kind {
        case .object:
            writeMembers(index, role: role, c, &out)
        case .array:
            var i = index + 1
            for n in 0 ..< t.count {
                recorder?.stack.append("[\(n)]")
                recorder?.mark(out.count)
                if style.arrays != .nameOnce { writeName(name, c, &out) }
                if c.tape[i].kind == .object {
                    writeMembers(i, role: role, c, &out)
                } else {
                    writeValue(i, name: name, role: role, c, &out)
                }
                if recorder != nil { recorder!.stack.removeLast() }
                i = Int(c.tape[i].next)
            }
        default:
            writeScalar(index, c, &out)
        }
    }

    @inline(__always)
    func writeName(_ t: JSONToken, _ c: Context, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let start = Int(t.start), end = Int(t.end)
        if !t.hasEscapes {
            var ascii = true
            for k in start ..< end where c.bytes[k] >= 0x80 { ascii = false; break }
            if ascii {
                if style.names == .upperCased {
                    for k in start ..< end {
                        let b = c.bytes[k]
                        out.append(b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") ? b - 32 : b)
                    }
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: c.bytes[start ..< end]))
                }
                out.append(UInt8(ascii: "\""))
                return
            }
        }
        var name = c.decodedKey(t)
        if style.names == .upperCased { name = CanonicalText.invariantUpperCased(name) }
        writeText(Array(name.utf8), &out)
        out.append(UInt8(ascii: "\""))
    }

    func writeText(_ decoded: [UInt8], _ out: inout [UInt8]) {
        switch style.strings {
        case .minimallyEscaped: JSONEscapes.appendMinimallyEscaped(decoded, to: &out)
        case .raw: out.append(contentsOf: decoded)
        }
    }

    func writeScalar(_ index: Int, _ c: Context, _ out: inout [UInt8]) {
        let t = c.tape[index]
        out.append(UInt8(ascii: "\""))
        let start = Int(t.start), end = Int(t.end)
        switch t.kind {
        case .string:
            if t.hasEscapes {
                var decoded: [UInt8] = []
                JSONEscapes.unescape(Array(c.bytes[start ..< end])[...], into: &decoded)
                writeText(decoded, &out)
            } else {
                // Unescaped JSON string text is already its own minimal escaping.
                out.append(contentsOf: UnsafeBufferPointer(rebasing: c.bytes[start ..< end]))
            }
        case .number:
            let lexeme = UnsafeBufferPointer(rebasing: c.bytes[start ..< end])
            switch style.numbers {
            case .asWritten: out.append(contentsOf: lexeme)
            case .shortestDouble: out.append(contentsOf: CanonicalText.shortestDouble(String(decoding: lexeme, as: UTF8.self)).utf8)
            case .pythonFloat: out.append(contentsOf: CanonicalText.pythonFloat(String(decoding: lexeme, as: UTF8.self)).utf8)
            }
        case .true, .false:
            out.append(contentsOf: UnsafeBufferPointer(rebasing: c.bytes[start ..< end]))
        case .null:
            // Decision (serialization.md is silent): null is written as an empty value, as the
            // widely used .NET signer (Json.NET JValue null → "") does. Validation rejects null.
            break
        case .object, .array, .key:
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

    /// A number lexeme as Python's `repr(float(lexeme))` would print it (`14.00` → `14.0`).
    public static func pythonFloat(_ lexeme: String) -> String {
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
