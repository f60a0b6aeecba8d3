import Crypto
import EisalCore
import Foundation
import Testing

@Suite("Canonical serialization and UUID")
struct CanonicalSerializationTests {
    /// ETA's published worked example: https://sdk.invoicing.eta.gov.eg/files/one-doc.json and
    /// its canonical text https://sdk.invoicing.eta.gov.eg/files/one-doc-serialized.json.txt
    /// (copies in shared/spec/examples/). Byte for byte.
    @Test func etaPublishedInvoiceExampleMatchesByteForByte() throws {
        let document = try JSONParser().parse(try Fixtures.bytes("invoice-v1.0.eta-sample.json"))
        let expected = try Fixtures.bytes("invoice-v1.0.eta-sample.canonical.txt")
        let canonical = CanonicalSerializer().bytes(document.root, root: .document)
        #expect(canonical.count == expected.count)
        #expect(canonical == expected)
        #expect(Hex.lowercase(DocumentDigest.compute(document.root)) == Hex.lowercase(SHA256.hash(data: expected)))
    }

    /// ETA's SDK sample receipt v1.2 (shared/spec/examples/receipt-v1.2.eta-sample.submission.json):
    /// no published hash exists, so the text is checked against the rule piece by piece.
    @Test func etaSampleReceiptFollowsTheRule() throws {
        let document = try JSONParser().parse(try Fixtures.bytes("receipt-v1.2.eta-sample.submission.json"))
        let receipt = try #require(document.root["receipts"]?.elements.first)
        let text = ReceiptUUID.canonicalText(receipt)
        #expect(text.hasPrefix(#""HEADER""DATETIMEISSUED""2025-02-02T13:00:57Z""RECEIPTNUMBER""1234566""UUID""""PREVIOUSUUID""""#))
        #expect(text.contains(#""EXCHANGERATE""0""#))
        #expect(text.contains(#""COMPANYTRADENAME"" تويوتا مصر للتجارة ""#))
        #expect(text.contains(#""ITEMDATA""ITEMDATA""INTERNALCODE""8806092129306""#))
        #expect(text.contains(#""COMMERCIALDISCOUNTDATA""COMMERCIALDISCOUNTDATA""AMOUNT""0.512""DESCRIPTION""XYZ""COMMERCIALDISCOUNTDATA""AMOUNT""1""#))
        #expect(text.contains(#""VALUEDIFFERENCE""-5""#))
        #expect(text.hasSuffix(#""BENEFICIARY""AMOUNT""20.569""RATE""2.147""#))
        #expect(ReceiptUUID.compute(receipt) == ReceiptUUID.hexDigest(Array(text.utf8)))
    }

    @Test func receiptUUIDBlanksHeaderUUIDInPlace() throws {
        let blank = try JSONParser().parse(SampleReceipt.text()).root
        let filled = try JSONParser().parse(SampleReceipt.text(uuid: String(repeating: "f", count: 64))).root
        #expect(ReceiptUUID.compute(blank) == ReceiptUUID.compute(filled))
        #expect(ReceiptUUID.canonicalText(filled).contains(#""UUID""""PREVIOUSUUID""""#))
        #expect(ReceiptUUID.compute(blank).allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func whitespaceAndPrettyPrintingDoNotChangeTheUUID() throws {
        let pretty = try JSONParser().parse(SampleReceipt.text()).root
        let compact = try JSONParser().parse(JSONWriter().bytes(pretty.value)).root
        #expect(ReceiptUUID.compute(pretty) == ReceiptUUID.compute(compact))
    }

    @Test(arguments: [
        ("number lexeme 10.5 → 10.50", #""unitPrice": 10.5"#, #""unitPrice": 10.50"#),
        ("number lexeme 2 → 2.0", #""quantity": 2,"#, #""quantity": 2.0,"#),
        ("string value", #""receiptNumber": "R-1""#, #""receiptNumber": "R-2""#),
        ("escaped quote", #"Coffee \"beans\""#, #"Coffee 'beans'"#),
        ("key order", #""currency": "EGP",\#n    "exchangeRate": 0"#, #""exchangeRate": 0, "currency": "EGP""#),
        ("previousUUID", #""previousUUID": """#, #""previousUUID": "\#(String(repeating: "a", count: 64))""#),
    ])
    func anyChangeChangesTheUUID(_ name: String, _ original: String, _ replacement: String) throws {
        let text = SampleReceipt.text()
        #expect(text.contains(original), "fixture lacks \(original)")
        let changed = text.replacingOccurrences(of: original, with: replacement)
        let a = ReceiptUUID.compute(try JSONParser().parse(text).root)
        let b = ReceiptUUID.compute(try JSONParser().parse(changed).root)
        #expect(a != b, "\(name) did not change the UUID")
    }

    @Test func numbersAreHashedAsTheirLexeme() throws {
        let doc = try JSONParser().parse(#"{"a": 10.50, "b": 14.00, "c": 0.0, "d": 12, "e": -0.5}"#)
        let text = String(decoding: CanonicalSerializer().bytes(doc.root, root: .document), as: UTF8.self)
        #expect(text == #""A""10.50""B""14.00""C""0.0""D""12""E""-0.5""#)
    }

    @Test func stringsAreDecodedThenMinimallyEscaped() throws {
        let doc = try JSONParser().parse(#"{"s": "a\"b\\c\/d\u0627\n\t\u0001 \ud83d\ude00 é"}"#)
        let text = String(decoding: CanonicalSerializer().bytes(doc.root, root: .document), as: UTF8.self)
        #expect(text == "\"S\"\"a\\\"b\\\\c/dا\\n\\t\\u0001 😀 é\"")
    }

    @Test func arraysRepeatTheirNameAndEmptyContainersWriteTheNameAlone() throws {
        let doc = try JSONParser().parse(#"{"list": [{"x": 1}, {"x": 2}], "empty": [], "obj": {}, "nums": [1, 2], "nested": [[1], [2]]}"#)
        let text = String(decoding: CanonicalSerializer().bytes(doc.root, root: .document), as: UTF8.self)
        #expect(text == #""LIST""LIST""X""1""LIST""X""2""EMPTY""OBJ""NUMS""NUMS""1""NUMS""2""NESTED""NESTED""NESTED""1""NESTED""NESTED""2""#)
    }

    @Test func namesAreUpperCasedWithInvariantSimpleMapping() throws {
        let doc = try JSONParser().parse(#"{"straße": "x", "internalCode": "y", "\u0069d": "z"}"#)
        let text = String(decoding: CanonicalSerializer().bytes(doc.root, root: .document), as: UTF8.self)
        #expect(text == #""STRAßE""x""INTERNALCODE""y""ID""z""#)
    }

    @Test func literalsAndNull() throws {
        let doc = try JSONParser().parse(#"{"t": true, "f": false, "n": null}"#)
        let text = String(decoding: CanonicalSerializer().bytes(doc.root, root: .document), as: UTF8.self)
        #expect(text == #""T""true""F""false""N""""#)
    }

    @Test func documentDigestLeavesSignaturesOut() throws {
        let signed = try JSONParser().parse(#"{"a": "1", "signatures": [{"signatureType": "I", "value": "abc"}]}"#)
        let unsigned = try JSONParser().parse(#"{"a": "1"}"#)
        #expect(DocumentDigest.compute(signed.root) == DocumentDigest.compute(unsigned.root))
    }

    @Test func byteOrderMarkIsNeverHashed() throws {
        let text = Array(SampleReceipt.text().utf8)
        let withBOM = [0xEF, 0xBB, 0xBF] + text
        #expect(ReceiptUUID.compute(try JSONParser().parse(withBOM).root) == ReceiptUUID.compute(try JSONParser().parse(text).root))
    }

    @Test func uuidComparisonIgnoresCase() {
        let computed = String(repeating: "ab", count: 32)
        #expect(ReceiptUUID.matches(claimed: computed.uppercased(), computed: computed))
        #expect(!ReceiptUUID.matches(claimed: String(repeating: "cd", count: 32), computed: computed))
    }
}
