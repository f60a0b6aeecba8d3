// Parses UTF-8 JSON text (RFC 8259) into a `JSONDocument` tape in one pass.
// Keeps key order and number lexemes, detects duplicate keys, validates UTF-8 and escapes,
// bounds nesting depth and number length. Every failure is a `JSONParseError` with a byte offset.

/// Parses JSON text into a ``JSONDocument``.
public struct JSONParser: Sendable {
    /// Limits that protect the parser (and everything after it) from hostile input.
    public struct Limits: Sendable, Hashable {
        /// Deepest allowed nesting of objects and arrays. Default 64 (a receipt needs 5).
        public var maximumDepth: Int
        /// Longest allowed number lexeme in characters. Default 64.
        public var maximumNumberLength: Int

        public init(maximumDepth: Int = 64, maximumNumberLength: Int = 64) {
            self.maximumDepth = maximumDepth
            self.maximumNumberLength = maximumNumberLength
        }
    }

    /// The limits in force.
    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses `bytes`. A leading UTF-8 byte-order mark is skipped (it is never hashed).
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONDocument {
        guard bytes.count < JSONToken.maximumInputLength else { throw JSONParseError(code: .inputTooLarge, byteOffset: 0) }
        let tape = try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> [JSONToken] in
            var state = ParserState(input: buffer, limits: limits)
            try state.parseDocument()
            return state.tape
        }
        return JSONDocument(bytes: bytes, tape: tape)
    }

    /// Parses the UTF-8 bytes of `text`.
    public func parse(_ text: String) throws(JSONParseError) -> JSONDocument {
        try parse(Array(text.utf8))
    }
}

private struct ParserState {
    let input: UnsafeBufferPointer<UInt8>
    let limits: JSONParser.Limits
    var position = 0
    var depth = 0
    var tape: [JSONToken] = []

    init(input: UnsafeBufferPointer<UInt8>, limits: JSONParser.Limits) {
        self.input = input
        self.limits = limits
        tape.reserveCapacity(max(16, input.count / 8))
    }

    func fail(_ code: JSONParseError.Code, _ at: Int) -> JSONParseError {
        JSONParseError(code: code, byteOffset: at)
    }

    mutating func parseDocument() throws(JSONParseError) {
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { position = 3 }
        skipWhitespace()
        guard position < input.count else { throw fail(.emptyInput, position) }
        try parseValue()
        skipWhitespace()
        if position < input.count { throw fail(.trailingCharacters, position) }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) {
        guard position < input.count else { throw fail(.unexpectedEnd, position) }
        switch input[position] {
        case UInt8(ascii: "{"): try parseObject()
        case UInt8(ascii: "["): try parseArray()
        case UInt8(ascii: "\""): try parseString(kind: .string)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): try parseNumber()
        case UInt8(ascii: "t"): try parseLiteral("true", .true)
        case UInt8(ascii: "f"): try parseLiteral("false", .false)
        case UInt8(ascii: "n"): try parseLiteral("null", .null)
        default: throw fail(.unexpectedCharacter, position)
        }
    }

    mutating func parseLiteral(_ word: StaticString, _ kind: JSONKind) throws(JSONParseError) {
        let start = position
        let length = word.utf8CodeUnitCount
        for k in 0 ..< length {
            guard position < input.count else { throw fail(.unexpectedEnd, position) }
            guard input[position] == word.utf8Start[k] else { throw fail(.unexpectedCharacter, position) }
            position += 1
        }
        let index = UInt32(tape.count)
        tape.append(JSONToken(kind: kind, hasEscapes: false, verbatim: kind != .null, count: 0, start: UInt32(start), end: UInt32(position), next: index + 1))
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > limits.maximumDepth { throw fail(.nestingTooDeep, position) }
    }

    mutating func parseObject() throws(JSONParseError) {
        try enter()
        let start = position
        let index = tape.count
        tape.append(JSONToken(kind: .object, hasEscapes: false, verbatim: false, count: 0, start: UInt32(start), end: 0, next: 0))
        position += 1
        var count: UInt32 = 0
        // One bit per key seen in this object (a one-word Bloom filter over plain keys): a key
        // whose bit is clear cannot be a duplicate, and is not compared with the others.
        var seenKeys: UInt64 = 0
        var escapedKeySeen = false
        skipWhitespace()
        guard position < input.count else { throw fail(.unexpectedEnd, position) }
        if input[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                guard position < input.count else { throw fail(.unexpectedEnd, position) }
                guard input[position] == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter, position) }
                let keyOffset = position
                try parseString(kind: .key)
                let key = tape[tape.count - 1]
                // An escaped key may spell a plain one (`\u0061` is `a`): objects with one are
                // always compared in full.
                escapedKeySeen = escapedKeySeen || key.hasEscapes
                let bit = keyFilterBit(key)
                if escapedKeySeen || seenKeys & bit != 0 {
                    try checkDuplicate(objectIndex: index, newKey: tape.count - 1, memberCount: Int(count), at: keyOffset)
                }
                seenKeys |= bit
                skipWhitespace()
                guard position < input.count else { throw fail(.unexpectedEnd, position) }
                guard input[position] == UInt8(ascii: ":") else { throw fail(.unexpectedCharacter, position) }
                position += 1
                skipWhitespace()
                try parseValue()
                count += 1
                skipWhitespace()
                guard position < input.count else { throw fail(.unexpectedEnd, position) }
                let c = input[position]
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw fail(.unexpectedCharacter, position - 1)
            }
        }
        tape[index].count = count
        tape[index].end = UInt32(position)
        tape[index].next = UInt32(tape.count)
        depth -= 1
    }

    /// The filter bit of a key: a hash of its length and its first (up to) 8 raw bytes.
    @inline(__always)
    func keyFilterBit(_ key: JSONToken) -> UInt64 {
        let start = Int(key.start), length = Int(key.end - key.start)
        var word: UInt64 = 0
        if start + 8 <= input.count {
            word = UInt64(littleEndian: UnsafeRawPointer(input.baseAddress! + start).loadUnaligned(as: UInt64.self))
            if length < 8 { word &= (1 << (UInt64(length) * 8)) &- 1 }
        } else {
            for k in 0 ..< min(length, 8) { word |= UInt64(input[start + k]) << (UInt64(k) * 8) }
        }
        return 1 << (((word ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }

    /// Compares the new key with the earlier keys of the same object. Objects in ETA documents
    /// are small; large hostile objects switch to a hash set so this stays linear.
    mutating func checkDuplicate(objectIndex: Int, newKey: Int, memberCount: Int, at offset: Int) throws(JSONParseError) {
        guard memberCount > 0 else { return }
        let newToken = tape[newKey]
        if memberCount <= 32 {
            var i = objectIndex + 1
            for _ in 0 ..< memberCount {
                if keysEqual(tape[i], newToken) { throw fail(.duplicateKey, offset) }
                i = Int(tape[i + 1].next)
            }
            return
        }
        // Large object: collect decoded keys once per check would be quadratic; instead keep a
        // set keyed by the object's tape index, rebuilt only when the object changes.
        if largeObjectIndex != objectIndex {
            largeObjectIndex = objectIndex
            largeObjectKeys = []
            var i = objectIndex + 1
            for _ in 0 ..< memberCount {
                largeObjectKeys.insert(decodedKey(tape[i]))
                i = Int(tape[i + 1].next)
            }
        }
        if !largeObjectKeys.insert(decodedKey(newToken)).inserted { throw fail(.duplicateKey, offset) }
    }

    var largeObjectIndex = -1
    var largeObjectKeys: Set<[UInt8]> = []

    func decodedKey(_ t: JSONToken) -> [UInt8] {
        let body = Array(input[Int(t.start) ..< Int(t.end)])
        guard t.hasEscapes else { return body }
        var out: [UInt8] = []
        JSONEscapes.unescape(body[...], into: &out)
        return out
    }

    func keysEqual(_ a: JSONToken, _ b: JSONToken) -> Bool {
        if a.hasEscapes || b.hasEscapes { return decodedKey(a) == decodedKey(b) }
        let length = Int(a.end - a.start)
        guard length == Int(b.end - b.start) else { return false }
        guard length > 0 else { return true }
        return memcmp(input.baseAddress! + Int(a.start), input.baseAddress! + Int(b.start), length) == 0
    }

    mutating func parseArray() throws(JSONParseError) {
        try enter()
        let start = position
        let index = tape.count
        tape.append(JSONToken(kind: .array, hasEscapes: false, verbatim: false, count: 0, start: UInt32(start), end: 0, next: 0))
        position += 1
        var count: UInt32 = 0
        skipWhitespace()
        guard position < input.count else { throw fail(.unexpectedEnd, position) }
        if input[position] == UInt8(ascii: "]") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                try parseValue()
                count += 1
                skipWhitespace()
                guard position < input.count else { throw fail(.unexpectedEnd, position) }
                let c = input[position]
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "]") { break }
                throw fail(.unexpectedCharacter, position - 1)
            }
        }
        tape[index].count = count
        tape[index].end = UInt32(position)
        tape[index].next = UInt32(tape.count)
        depth -= 1
    }

    mutating func parseString(kind: JSONKind) throws(JSONParseError) {
        position += 1 // opening quote
        let start = position
        var escaped = false
        var nonASCII = false
        let n = input.count
        while true {
            // Fast path over plain ASCII, 8 bytes at a time: stops at the first byte that is a
            // quote, a backslash, a control character or non-ASCII (the lowest flagged byte of
            // these bit tricks is always exact), then the byte loop below looks at it.
            let base = input.baseAddress!
            while position + 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
                let flagged = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (w &- ones &* 0x20) | w) & highs
                if flagged != 0 {
                    position += flagged.trailingZeroBitCount >> 3
                    break
                }
                position += 8
            }
            while position < n {
                let b = input[position]
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
                position += 1
            }
            guard position < n else { throw fail(.unexpectedEnd, position) }
            let b = input[position]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw fail(.controlCharacterInString, position) }
            if b == UInt8(ascii: "\\") {
                escaped = true
                try parseEscape()
            } else {
                nonASCII = true
                try validateUTF8Sequence()
            }
        }
        let index = UInt32(tape.count)
        tape.append(JSONToken(kind: kind, hasEscapes: escaped, verbatim: !escaped && !(kind == .key && nonASCII), count: 0, start: UInt32(start), end: UInt32(position), next: index + 1))
        position += 1 // closing quote
    }

    mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard position < input.count else { throw fail(.unexpectedEnd, position) }
        switch input[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            let unit = try readHex4()
            if unit >= 0xDC00, unit < 0xE000 { throw fail(.invalidUnicodeEscape, escapeStart) }
            if unit >= 0xD800, unit < 0xDC00 {
                guard position + 1 < input.count else { throw fail(.unexpectedEnd, position) }
                guard input[position] == UInt8(ascii: "\\"), input[position + 1] == UInt8(ascii: "u") else {
                    throw fail(.invalidUnicodeEscape, escapeStart)
                }
                position += 2
                let low = try readHex4()
                guard low >= 0xDC00, low < 0xE000 else { throw fail(.invalidUnicodeEscape, escapeStart) }
            }
        default:
            throw fail(.invalidEscape, escapeStart)
        }
    }

    mutating func readHex4() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0 ..< 4 {
            guard position < input.count else { throw fail(.unexpectedEnd, position) }
            guard let d = JSONEscapes.hexDigit(input[position]) else { throw fail(.invalidUnicodeEscape, position) }
            value = value << 4 | UInt16(d)
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence at `position` (RFC 3629: no overlongs,
    /// no surrogates, nothing above U+10FFFF) and steps over it.
    mutating func validateUTF8Sequence() throws(JSONParseError) {
        let start = position
        let b0 = input[position]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2 ... 0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1 ... 0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw fail(.invalidUTF8, start)
        }
        guard position + length <= input.count else { throw fail(.unexpectedEnd, input.count) }
        let b1 = input[position + 1]
        guard b1 >= lower, b1 <= upper else { throw fail(.invalidUTF8, start) }
        for k in 2 ..< max(2, length) {
            let b = input[position + k]
            guard b >= 0x80, b <= 0xBF else { throw fail(.invalidUTF8, start) }
        }
        position += length
    }

    mutating func parseNumber() throws(JSONParseError) {
        let start = position
        let n = input.count
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard position < n else { throw fail(.unexpectedEnd, position) }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if input[position] == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(input[position]) {
            while position < n, isDigit(input[position]) { position += 1 }
        } else {
            throw fail(.invalidNumber, start)
        }
        if position < n, input[position] == UInt8(ascii: ".") {
            position += 1
            guard position < n else { throw fail(.unexpectedEnd, position) }
            guard isDigit(input[position]) else { throw fail(.invalidNumber, start) }
            while position < n, isDigit(input[position]) { position += 1 }
        }
        if position < n, input[position] == UInt8(ascii: "e") || input[position] == UInt8(ascii: "E") {
            position += 1
            if position < n, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") { position += 1 }
            guard position < n else { throw fail(.unexpectedEnd, position) }
            guard isDigit(input[position]) else { throw fail(.invalidNumber, start) }
            while position < n, isDigit(input[position]) { position += 1 }
        }
        if position - start > limits.maximumNumberLength { throw fail(.numberTooLong, start) }
        let index = UInt32(tape.count)
        tape.append(JSONToken(kind: .number, hasEscapes: false, verbatim: true, count: 0, start: UInt32(start), end: UInt32(position), next: index + 1))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
