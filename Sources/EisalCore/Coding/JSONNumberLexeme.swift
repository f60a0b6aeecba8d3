// A decimal that remembers how it was written. Receipt amounts are decimals as written:
// `10.50` keeps its two decimals for hashing, and the value is exact (128-bit fixed point,
// or Foundation `Decimal` for lexemes that do not fit), never a binary `Double`.

import Foundation

/// A JSON number kept as its lexeme, with its exact decimal value.
public struct ETADecimal: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// The number as written in JSON, e.g. `"10.50"`.
    public let lexeme: String
    /// The exact value on 128-bit fixed point, for plain lexemes of at most 36 digits (all of
    /// ETA's numbers); `nil` for exponent forms and longer lexemes.
    let fixed: FixedDecimal?

    /// The exact value.
    public var value: Decimal {
        if let fixed { return fixed.decimal }
        return Decimal(string: lexeme, locale: Locale(identifier: "en_US_POSIX")) ?? 0
    }

    /// A decimal from a JSON number lexeme; `nil` if it is not one.
    public init?(lexeme: String) {
        guard ETADecimal.isJSONNumber(lexeme) else { return nil }
        self.init(validatedLexeme: lexeme)
        if fixed == nil, Decimal(string: lexeme, locale: Locale(identifier: "en_US_POSIX")) == nil { return nil }
    }

    /// A lexeme and its fixed-point value, computed by the caller.
    init(lexeme: String, fixed: FixedDecimal) {
        self.lexeme = lexeme
        self.fixed = fixed
    }

    /// A lexeme already known to be in the number grammar.
    init(validatedLexeme lexeme: String) {
        self.lexeme = lexeme
        self.fixed = FixedDecimal(plainLexeme: lexeme.utf8)
    }

    /// A decimal from a value, written in plain notation (no exponent), e.g. `Decimal(14)` → `14`.
    public init(_ value: Decimal) {
        self.init(validatedLexeme: ETADecimal.plainText(value))
    }

    /// A decimal with exactly `scale` decimals (rounded half away from zero), e.g. `14.00`.
    public init(_ value: Decimal, scale: Int) {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, scale, .plain)
        var text = ETADecimal.plainText(rounded)
        if scale > 0 {
            let decimals = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? -1
            if decimals < 0 { text += "." + String(repeating: "0", count: scale) } else if decimals < scale { text += String(repeating: "0", count: scale - decimals) }
        }
        self.init(validatedLexeme: text)
    }

    public init(integerLiteral value: Int) { self.init(Decimal(value)) }

    public init(stringLiteral value: String) {
        guard let d = ETADecimal(lexeme: value) else { preconditionFailure("not a JSON number: \(value)") }
        self = d
    }

    /// Number of digits after the decimal point as written (`10.50` → 2); exponent forms count
    /// their fraction digits only.
    public var decimalPlaces: Int {
        guard let dot = lexeme.firstIndex(of: ".") else { return 0 }
        let fraction = lexeme[lexeme.index(after: dot)...].prefix { $0.isNumber }
        return fraction.count
    }

    /// Whether the lexeme uses an exponent (`1e5`), which ETA's documents never do.
    public var hasExponent: Bool { lexeme.contains { $0 == "e" || $0 == "E" } }

    public var description: String { lexeme }

    public static func == (lhs: ETADecimal, rhs: ETADecimal) -> Bool { lhs.lexeme == rhs.lexeme }
    public func hash(into hasher: inout Hasher) { hasher.combine(lexeme) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let lexeme = try container.decode(JSONNumberLexeme.self).text
        guard let d = ETADecimal(lexeme: lexeme) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON number: \(lexeme)")
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(JSONNumberLexeme(text: lexeme))
    }

    static func plainText(_ value: Decimal) -> String {
        // Decimal.description never uses exponents and uses "." whatever the locale.
        value.description
    }

    static func isJSONNumber(_ s: String) -> Bool {
        var bytes = Array(s.utf8)[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            let n = bytes.prefix { $0 >= 48 && $0 <= 57 }.count
            bytes = bytes.dropFirst(n)
            return n
        }
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "0") { bytes = bytes.dropFirst() } else if digits() == 0 { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            if digits() == 0 { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }
}

/// The text of a JSON number. ``JSONNodeDecoder`` and ``JSONValueEncoder`` read and write it as
/// the raw lexeme; other coders see a string or a number.
public struct JSONNumberLexeme: Sendable, Hashable, Codable {
    public var text: String
    public init(text: String) { self.text = text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let decimal = try? container.decode(Decimal.self) {
            text = decimal.description
        } else {
            text = try container.decode(String.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Decimal(string: text) ?? 0)
    }
}
