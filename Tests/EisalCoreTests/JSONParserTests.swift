import EisalCore
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
}
