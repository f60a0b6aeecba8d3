import EisalCore
import EisalTestSupport
import Testing

@Suite("JSON token tree")
struct JSONParserTests {
    @Test func keepsKeyOrderAndLexemes() throws {
        let doc = try JSONParser().parse(#"{"z": 10.50, "a": [1, "x", true, null], "m": {"k": -0.0}}"#)
        #expect(doc.root.members.map(\.key) == ["z", "a", "m"])
        #expect(doc.root["z"]?.numberLexeme == "10.50")
        #expect(doc.root["a"]?.elements.map(\.kind) == [.number, .string, .true, .null])
        #expect(doc.root["m"]?["k"]?.numberLexeme == "-0.0")
        #expect(String(decoding: doc.root["m"]!.rawBytes, as: UTF8.self) == #"{"k": -0.0}"#)
        #expect(doc.root["missing"] == nil)
    }

    @Test func unescapesStringsAndSurrogatePairs() throws {
        let doc = try JSONParser().parse(#"["\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t", "\u0627"]"#)
        #expect(doc.root.elements[0].string == "é😀\"\\/\u{8}\u{C}\n\r\t")
        #expect(doc.root.elements[1].string == "ا")
    }

    @Test func ownedValueRoundTrips() throws {
        let text = #"{"b":[1,2.50,{"c":"d\"e"}],"a":null,"t":true}"#
        let doc = try JSONParser().parse(text)
        #expect(JSONWriter().string(doc.root.value) == text)
    }

    @Test(arguments: [
        ("", JSONParseError.Code.emptyInput, 0),
        ("   ", .emptyInput, 3),
        (#"{"a": 1"#, .unexpectedEnd, 7),
        (#"{"a" 1}"#, .unexpectedCharacter, 5),
        (#"{"a": 1,}"#, .unexpectedCharacter, 8),
        (#"[1 2]"#, .unexpectedCharacter, 3),
        (#"{"a": 1, "a": 2}"#, .duplicateKey, 9),
        (#"{"a": 1, "\u0061": 2}"#, .duplicateKey, 9),
        (#"["\x"]"#, .invalidEscape, 2),
        (#"["\u12G4"]"#, .invalidUnicodeEscape, 6),
        (#"["\ud800"]"#, .invalidUnicodeEscape, 2),
        (#"["\udc00"]"#, .invalidUnicodeEscape, 2),
        (#"["\ud800\u0041"]"#, .invalidUnicodeEscape, 2),
        ("[01]", .unexpectedCharacter, 2),
        ("[-]", .invalidNumber, 1),
        ("[1.]", .invalidNumber, 1),
        ("[1e]", .invalidNumber, 1),
        ("[.5]", .unexpectedCharacter, 1),
        ("[tru]", .unexpectedCharacter, 4),
        ("[1] x", .trailingCharacters, 4),
        ("\"a\tb\"", .controlCharacterInString, 2),
    ])
    func reportsTypedErrorsWithOffsets(_ input: String, _ code: JSONParseError.Code, _ offset: Int) {
        #expect(throws: JSONParseError(code: code, byteOffset: offset)) { try JSONParser().parse(input) }
    }

    @Test func rejectsInvalidUTF8() {
        for bad: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect(throws: JSONParseError(code: .invalidUTF8, byteOffset: 1)) { try JSONParser().parse(bad) }
        }
        #expect(throws: JSONParseError(code: .unexpectedEnd, byteOffset: 3)) { try JSONParser().parse([0x22, 0xE2, 0x82]) }
    }

    @Test func boundsDepthAndNumberLength() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(code: .nestingTooDeep, byteOffset: 64)) { try JSONParser().parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser().parse(ok) }
        let shallow = JSONParser(limits: .init(maximumDepth: 3))
        #expect(throws: JSONParseError(code: .nestingTooDeep, byteOffset: 3)) { try shallow.parse("[[[[]]]]") }
        let huge = "[" + String(repeating: "9", count: 65) + "]"
        #expect(throws: JSONParseError(code: .numberTooLong, byteOffset: 1)) { try JSONParser().parse(huge) }
    }

    @Test func detectsDuplicatesInLargeObjects() {
        var members = (0 ..< 100).map { "\"k\($0)\": \($0)" }
        members.append("\"k7\": 0")
        #expect(throws: JSONParseError.self) { try JSONParser().parse("{" + members.joined(separator: ",") + "}") }
        members.removeLast()
        #expect(throws: Never.self) { try JSONParser().parse("{" + members.joined(separator: ",") + "}") }
    }

    /// The word-at-a-time string scan must stop exactly where the byte loop would: every special
    /// byte at every position of strings up to 40 bytes, also at the very end of the input.
    @Test func stringScanFindsEverySpecialByteAtEveryPosition() throws {
        for length in 0 ... 40 {
            for position in 0 ..< max(length, 1) where length > 0 {
                for special: [UInt8] in [[0x1F], [0x00], [0x09], [0x5C, 0x6E], [0x5C, 0x22], [0xC3, 0xA9], [0xD8, 0xA7], [0x7F], [0x20], [0x21], [0x23], [0x5B], [0x5D]] {
                    var body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    body.replaceSubrange(position ..< position + 1, with: special)
                    for trailing in [[UInt8](), Array(#"]"#.utf8)] {
                        let text = Array("[\"".utf8) + body + [0x22] + (trailing.isEmpty ? [0x5D] : Array(#", 1]"#.utf8))
                        if special[0] < 0x20 {
                            #expect(throws: JSONParseError(code: .controlCharacterInString, byteOffset: 2 + position)) { try JSONParser().parse(text) }
                        } else {
                            let expected = String(decoding: body, as: UTF8.self)
                                .replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"")
                            #expect(try JSONParser().parse(text).root.elements[0].string == expected, "length \(length), position \(position), \(special)")
                        }
                    }
                }
            }
        }
        // A string that runs to the end of the input, at every length.
        for length in 0 ... 20 {
            let text = Array("\"".utf8) + [UInt8](repeating: UInt8(ascii: "b"), count: length)
            #expect(throws: JSONParseError(code: .unexpectedEnd, byteOffset: text.count)) { try JSONParser().parse(text) }
        }
    }

    /// Duplicate keys are found whatever the one-word key filter says: random objects over a
    /// small key pool (keys sharing prefixes and lengths, some written with escapes) against a
    /// set of the decoded keys.
    @Test func duplicateKeysAgainstAReferenceSet() throws {
        var random = SeededRandom(seed: 2026)
        let pool = ["", "a", "b", "ab", "ba", "taxType", "taxTypf", "subType", "amount", "amounts", "internalCode", "internalCodf",
                    "itemData", "itemDatb", "k1", "k2", "k10", "aaaaaaaaX", "aaaaaaaaY", "aaaaaaaa", "é", "قيمة"]
        func written(_ key: String, escaped: Bool) -> String {
            guard escaped, let first = key.unicodeScalars.first, first.value < 0x10000 else { return key }
            return String(format: "\\u%04x", first.value) + String(key.unicodeScalars.dropFirst())
        }
        var duplicates = 0
        for _ in 0 ..< 3_000 {
            let count = Int.random(in: 1 ... 40, using: &random)
            var keys: [String] = []
            var text = "{"
            var firstDuplicateOffset: Int?
            for k in 0 ..< count {
                let key = pool.randomElement(using: &random)!
                if k > 0 { text += ", " }
                if firstDuplicateOffset == nil, keys.contains(key) { firstDuplicateOffset = text.utf8.count }
                text += "\"" + written(key, escaped: Int.random(in: 0 ..< 8, using: &random) == 0) + "\": \(k)"
                keys.append(key)
            }
            text += "}"
            if let offset = firstDuplicateOffset {
                duplicates += 1
                #expect(throws: JSONParseError(code: .duplicateKey, byteOffset: offset), "\(text)") { try JSONParser().parse(text) }
            } else {
                #expect(try JSONParser().parse(text).root.members.map(\.key) == keys)
            }
        }
        #expect(duplicates > 500)
    }
}
