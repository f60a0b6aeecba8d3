@testable import EisalCore
import Testing

@Suite("Linear ETA pass equals the general walker")
struct LinearPassTests {
    func both(_ node: JSONNode, _ root: CanonicalRoot) -> ([UInt8], [UInt8]) {
        var general = CanonicalSerializer(style: .eta)
        general.forceRecursiveWalk = true
        let linear = CanonicalSerializer(style: .eta).bytes(node, root: root)
        // The same pass starting from a one-byte buffer: every write must make room for itself
        // (word copies write past the value; debug builds check the room before each).
        var growing = CanonicalSerializer(style: .eta)
        growing.initialCapacity = 1
        #expect(growing.bytes(node, root: root) == linear)
        return (linear, general.bytes(node, root: root))
    }

    @Test func agreeOnVariedAndHostileDocuments() throws {
        var documents: [JSONDocument] = [
            try JSONParser().parse(try Fixtures.bytes("invoice-v1.0.eta-sample.json")),
            try JSONParser().parse(try Fixtures.bytes("receipt-v1.2.eta-sample.submission.json")),
            try JSONParser().parse(SampleReceipt.text(uuid: String(repeating: "e", count: 64))),
            try JSONParser().parse(#"{"header": [1, {"uuid": "x"}], "a": [[[]], [{}], "\u0041\/\"", null, true], "signatures": {"uuid": 1}, "receipts": [{"header": {"uuid": "y", "z": [1]}}]}"#),
            try JSONParser(limits: .init(maximumDepth: 400)).parse(String(repeating: #"{"a":["#, count: 150) + "1" + String(repeating: "]}", count: 150)),
        ]
        documents += try Self.edgeLengthDocuments().map { try JSONParser().parse($0) }
        for c in MalformedInputs.generate(count: 600) { if let d = try? JSONParser().parse(c.bytes) { documents.append(d) } }
        #expect(documents.count > 100)
        for document in documents {
            for root in [CanonicalRoot.receipt, .document, .submission] {
                let (linear, general) = both(document.root, root)
                #expect(linear == general, "\(String(decoding: document.bytes.prefix(60), as: UTF8.self)) as \(root)")
            }
        }
    }

    @Test func upperCasesOnlyLettersAToZ() throws {
        let text = #"{"az`{~@[_09az-long-name-of-26":"az","b":12.50,"ÿé":"é"}"#
        let expected = #""AZ`{~@[_09AZ-LONG-NAME-OF-26""az""B""12.50""ŸÉ""é""#
        let (linear, general) = both(try JSONParser().parse(Array(text.utf8)).root, .document)
        #expect(String(decoding: linear, as: UTF8.self) == expected)
        #expect(linear == general)
    }

    /// Names and values of every length around the word-copy bounds (16 and 32 bytes), with every
    /// ASCII character class, non-ASCII and escaped names, and members ending the text (so fewer
    /// than 32 bytes follow them).
    static func edgeLengthDocuments() -> [[UInt8]] {
        let alphabet = Array("aZz09_`{~@[^|}-. AzÀ")
        var documents: [[UInt8]] = []
        for length in 0 ... 40 {
            var name = ""
            for k in 0 ..< length { name.append(alphabet[(k * 7 + length) % (alphabet.count - 1)]) }
            let value = String(repeating: "v", count: length)
            let number = length == 0 ? "0" : "1" + String(repeating: "0", count: min(length, 30))
            let escapedName = name.isEmpty ? "\\u0061" : "\\u00e9" + name
            documents.append(Array(#"{"\#(name)":"\#(value)","x\#(name)":\#(number),"\#(escapedName)":[true,{"\#(name)é":"\#(value)"}],"\#(name)y":"\#(value)"}"#.utf8))
            documents.append(Array(#"{"header":{"uuid":"u","\#(name)":"\#(value)"},"\#(name)":[\#(number),"\#(value)"]}"#.utf8))
        }
        // Canonical text several times longer than the input (a long array name repeated before
        // every element): the output buffer grows many times while members are written.
        let objects = Array(repeating: #"{"k":1,"a-32-byte-long-member-name-xx":"value-of-32-bytes-long-xxxxxxxxx"}"#, count: 400).joined(separator: ",")
        documents.append(Array(#"{"aVeryLongArrayNameOfMoreThan32Bytes":[\#(objects)],"n":[\#(Array(repeating: "1", count: 2000).joined(separator: ","))]}"#.utf8))
        // Names longer than the room reserved for a whole short member, before short values.
        let long = String(repeating: "n", count: 200)
        documents.append(Array(#"{"a":[{"\#(long)":1,"\#(long)é":"v","b":"\#(long)"}]}"#.utf8))
        return documents
    }
}
