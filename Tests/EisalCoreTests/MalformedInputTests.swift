import EisalCore
import EisalTestSupport
import Testing

/// Generates malformed JSON from a valid receipt: truncations, deep nesting, invalid escapes,
/// invalid UTF-8, stray bytes and valid JSON with wrong types. Deterministic (seeded).
enum MalformedInputs {
    struct Case: Sendable {
        var label: String
        var bytes: [UInt8]
        /// Valid JSON with the wrong shape: must fail validation rather than parsing.
        var wellFormed: Bool
    }

    static func generate(count: Int, seed: UInt64 = 7) -> [Case] {
        var rng = SeededRandom(seed: seed)
        let base = Array(SampleReceipt.text().utf8)
        let compact = Array(base.filter { $0 != 0x0A })
        var cases: [Case] = []
        let kinds = 7
        var i = 0
        while cases.count < count {
            defer { i += 1 }
            switch i % kinds {
            case 0: // truncated text
                let cut = Int(rng.next() % UInt64(base.count - 1))
                cases.append(Case(label: "truncated at \(cut)", bytes: Array(base[..<cut]), wellFormed: false))
            case 1: // nesting beyond the limit
                let depth = 65 + Int(rng.next() % 5000)
                let open: UInt8 = rng.next() % 2 == 0 ? UInt8(ascii: "[") : UInt8(ascii: "{")
                var bytes = [UInt8](repeating: open, count: depth)
                if open == UInt8(ascii: "{") { bytes = Array(String(repeating: "{\"a\":", count: depth).utf8) }
                cases.append(Case(label: "depth \(depth)", bytes: bytes, wellFormed: false))
            case 2: // invalid escapes inside a string
                let escapes = ["\\x", "\\u12", "\\uZZZZ", "\\ud800", "\\udfff", "\\ud83d\\u0041", "\\", "\\'", "\\0"]
                let bad = escapes[Int(rng.next() % UInt64(escapes.count))]
                let text = SampleReceipt.text().replacingOccurrences(of: "Loyalty", with: "Loy\(bad)alty")
                cases.append(Case(label: "escape \(bad)", bytes: Array(text.utf8), wellFormed: false))
            case 3: // invalid UTF-8 inside a string
                let sequences: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xC3], [0xF0, 0x9F, 0x98]]
                let seq = sequences[Int(rng.next() % UInt64(sequences.count))]
                let marker = Array("Cups".utf8)
                var bytes = compact
                if let at = firstIndex(of: marker, in: bytes) { bytes.insert(contentsOf: seq, at: at + 2) }
                cases.append(Case(label: "utf8 \(seq)", bytes: bytes, wellFormed: false))
            case 4: // one byte replaced by a structural or random byte
                var bytes = compact
                let at = Int(rng.next() % UInt64(bytes.count))
                let choices: [UInt8] = [UInt8(ascii: "{"), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"), 0x00, 0x1F, UInt8(ascii: "\"")]
                let replacement = choices[Int(rng.next() % UInt64(choices.count))]
                guard bytes[at] != replacement else { continue }
                bytes[at] = replacement
                let parses = (try? JSONParser().parse(bytes)) != nil
                cases.append(Case(label: "byte \(at) → \(replacement)", bytes: bytes, wellFormed: parses))
            case 5: // huge or malformed numbers
                let numbers = [String(repeating: "9", count: 65 + Int(rng.next() % 1000)), "1e", "-", "01", "1.", ".5", "+1", "0x10", "NaN", "Infinity", "1e99999"]
                let number = numbers[Int(rng.next() % UInt64(numbers.count))]
                let text = SampleReceipt.text().replacingOccurrences(of: "\"totalSales\": 202.5", with: "\"totalSales\": \(number)")
                let parses = (try? JSONParser().parse(text)) != nil
                cases.append(Case(label: "number \(number.prefix(12))", bytes: Array(text.utf8), wellFormed: parses))
            default: // wrong types in well-formed JSON
                let paths = ["header", "header.uuid", "itemData", "itemData[0]", "itemData[0].quantity", "seller.rin", "buyer", "totalAmount", "documentType.typeVersion", "taxTotals[0]"]
                let values: [JSONValue] = [.null, .bool(true), .number("1"), .string("x"), .array([]), .object([])]
                let path = paths[Int(rng.next() % UInt64(paths.count))]
                let value = values[Int(rng.next() % UInt64(values.count))]
                let doc = try! JSONParser().parse(base).root.value.setting(steps(path), to: value)
                cases.append(Case(label: "\(path) = \(JSONWriter().string(value))", bytes: JSONWriter().bytes(doc), wellFormed: true))
            }
        }
        return cases
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0 ... haystack.count - needle.count where Array(haystack[i ..< i + needle.count]) == needle { return i }
        return nil
    }
}

@Suite("Hostile input")
struct MalformedInputTests {
    @Test func twoThousandMalformedInputsEachGiveATypedError() {
        let cases = MalformedInputs.generate(count: 2000)
        #expect(cases.count == 2000)
        var parseErrors = 0, validationErrors = 0
        for c in cases {
            do {
                let document = try JSONParser().parse(c.bytes)
                #expect(c.wellFormed, "\(c.label) parsed but should not")
                let errors = ReceiptValidator().validate(document.root, context: SampleReceipt.context).errors
                #expect(!errors.isEmpty, "\(c.label) passed validation")
                #expect(errors.allSatisfy { $0.code != nil && $0.propertyPath != nil })
                _ = ReceiptUUID.compute(document.root)
                validationErrors += 1
            } catch {
                #expect(!c.wellFormed, "\(c.label) failed to parse: \(error)")
                #expect(error.byteOffset >= 0 && error.byteOffset <= c.bytes.count)
                #expect(!error.message.isEmpty)
                parseErrors += 1
            }
        }
        #expect(parseErrors > 1000)
        #expect(validationErrors > 200)
    }
}
