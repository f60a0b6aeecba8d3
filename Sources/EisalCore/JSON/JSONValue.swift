// An owned, order-preserving JSON value for building documents (the SDK's receipt builder, the
// platform's responses). Numbers are kept as lexemes so `10.50` is written as `10.50`.

/// An owned JSON value whose objects keep member order and whose numbers keep their text.
public indirect enum JSONValue: Sendable, Hashable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number exactly as it is to be written, e.g. `"10.50"`. Must be a valid JSON number.
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(a), .array(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case let .object(members):
            hasher.combine(0)
            for (k, v) in members { hasher.combine(k); hasher.combine(v) }
        case let .array(elements): hasher.combine(1); hasher.combine(elements)
        case let .string(s): hasher.combine(2); hasher.combine(s)
        case let .number(n): hasher.combine(3); hasher.combine(n)
        case let .bool(b): hasher.combine(4); hasher.combine(b)
        case .null: hasher.combine(5)
        }
    }

    /// The value of member `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }
}

extension JSONNode {
    /// An owned copy of this value (keeps order and number lexemes).
    public var value: JSONValue {
        switch kind {
        case .object: return .object(members.map { ($0.key, $0.value.value) })
        case .array: return .array(elements.map(\.value))
        case .string, .key: return .string(string ?? "")
        case .number: return .number(numberLexeme ?? "0")
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .null: return .null
        }
    }
}

/// Writes ``JSONValue``s as JSON text.
public struct JSONWriter: Sendable {
    /// Indent nested values with this many spaces; `nil` writes compact text.
    public var indent: Int?

    public init(indent: Int? = nil) {
        self.indent = indent
    }

    /// The UTF-8 text of `value`.
    public func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, level: 0, into: &out)
        return out
    }

    /// The text of `value`.
    public func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    func newline(_ level: Int, _ out: inout [UInt8]) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }

    func write(_ value: JSONValue, level: Int, into out: inout [UInt8]) {
        switch value {
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, member)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                writeString(key, &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(member, level: level + 1, into: &out)
            }
            if !members.isEmpty { newline(level, &out) }
            out.append(UInt8(ascii: "}"))
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                write(element, level: level + 1, into: &out)
            }
            if !elements.isEmpty { newline(level, &out) }
            out.append(UInt8(ascii: "]"))
        case let .string(s): writeString(s, &out)
        case let .number(lexeme): out.append(contentsOf: lexeme.utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }

    func writeString(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        JSONEscapes.appendMinimallyEscaped(s.utf8, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}
