@testable import EisalCore
import Testing

@Suite("Linear ETA pass equals the general walker")
struct LinearPassTests {
    func both(_ node: JSONNode, _ root: CanonicalRoot) -> ([UInt8], [UInt8]) {
        var general = CanonicalSerializer(style: .eta)
        general.forceRecursiveWalk = true
        return (CanonicalSerializer(style: .eta).bytes(node, root: root), general.bytes(node, root: root))
    }

    @Test func agreeOnVariedAndHostileDocuments() throws {
        var documents: [JSONDocument] = [
            try JSONParser().parse(try Fixtures.bytes("invoice-v1.0.eta-sample.json")),
            try JSONParser().parse(try Fixtures.bytes("receipt-v1.2.eta-sample.submission.json")),
            try JSONParser().parse(SampleReceipt.text(uuid: String(repeating: "e", count: 64))),
            try JSONParser().parse(#"{"header": [1, {"uuid": "x"}], "a": [[[]], [{}], "\u0041\/\"", null, true], "signatures": {"uuid": 1}, "receipts": [{"header": {"uuid": "y", "z": [1]}}]}"#),
            try JSONParser(limits: .init(maximumDepth: 400)).parse(String(repeating: #"{"a":["#, count: 150) + "1" + String(repeating: "]}", count: 150)),
        ]
        for c in MalformedInputs.generate(count: 600) { if let d = try? JSONParser().parse(c.bytes) { documents.append(d) } }
        #expect(documents.count > 100)
        for document in documents {
            for root in [CanonicalRoot.receipt, .document, .submission] {
                let (linear, general) = both(document.root, root)
                #expect(linear == general, "\(String(decoding: document.bytes.prefix(60), as: UTF8.self)) as \(root)")
            }
        }
    }
}
