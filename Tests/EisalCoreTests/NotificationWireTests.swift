import EisalCore
import EisalTestSupport
import Testing

/// The notification bodies are written straight to bytes on the hot path; they must be exactly
/// what the Codable wire types encode to, escapes included.
@Suite("Notification wire types")
struct NotificationWireTests {
    static let awkward = ["R-1", "قبض \"٢\"", "back\\slash", "tab\tnew\nline\u{1}", "emoji 🧾", "</script>", ""]

    @Test func aMessageWrittenDirectlyIsItsEncoding() throws {
        var random = SeededRandom(seed: 16)
        for k in 0 ..< 200 {
            let pick = { Self.awkward[Int(random.next() % UInt64(Self.awkward.count))] }
            let message = NotificationMessage(type: k % 2 == 0 ? "receipt-validated" : "document-cancelled", uuid: pick(), submissionUUID: pick(), longId: pick(),
                                              receiptNumber: k % 3 == 0 ? nil : pick(), internalId: k % 3 == 0 ? pick() : nil, status: pick())
            let encoded = JSONWriter().bytes(try JSONValueEncoder().encode(message))
            #expect(message.jsonBytes() == encoded, "\(String(decoding: encoded, as: UTF8.self))")
            // And it reads back as the same message.
            #expect(try JSONNodeDecoder().decode(NotificationMessage.self, from: try JSONParser().parse(message.jsonBytes()).root) == message)
        }
    }

    /// Text copied at once (contiguous, nothing to escape) and text escaped byte by byte agree,
    /// for every ASCII byte alone and within text, and for non-ASCII text.
    @Test func escapingTheSameTextContiguouslyOrNotGivesTheSameBytes() {
        var texts = (0 ..< 0x80).map { String(decoding: [UInt8($0)], as: UTF8.self) }
        texts += (0 ..< 0x80).map { "uuid-\(String(decoding: [UInt8($0)], as: UTF8.self))-tail" }
        texts += Self.awkward + ["0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", String(repeating: "x", count: 300)]
        for text in texts {
            var contiguous: [UInt8] = [], byteByByte: [UInt8] = []
            JSONEscapes.appendMinimallyEscaped(text.utf8, to: &contiguous)
            JSONEscapes.appendMinimallyEscaped(text.utf8.lazy.map { $0 }, to: &byteByByte)
            #expect(contiguous == byteByByte, "\(text.debugDescription)")
            #expect(contiguous == Array(JSONWriter().bytes(.string(text)).dropFirst().dropLast()), "\(text.debugDescription)")
        }
    }

    @Test(arguments: [0, 1, 3, 100])
    func aDeliveryBodyIsItsEncodingAndCountIsTheNumberOfMessages(messages n: Int) throws {
        let messages = (0 ..< n).map { NotificationMessage(type: "receipt-validated", uuid: "u\($0)", submissionUUID: "S", longId: "L\($0)", receiptNumber: "R-\($0)", status: $0 % 2 == 0 ? "Valid" : "Invalid") }
        let delivery = NotificationDelivery(deliveryId: "D\"1", type: "receipt", message: messages)
        let body = NotificationDelivery.body(deliveryId: "D\"1", type: "receipt", messages: messages.map { $0.jsonBytes() })
        #expect(body == JSONWriter().bytes(try JSONValueEncoder().encode(delivery)))
        let root = try JSONParser().parse(body).root
        #expect(root["count"]?.numberLexeme == String(n) && root["message"]?.count == n)
        #expect(Array(root.members.map(\.key)) == ["deliveryId", "type", "count", "message"])
    }

    /// The documented document message (seed erp-receive-document-notifications.txt) decodes, with
    /// its issuer number under `internalId`.
    @Test func theSeedsDocumentMessageDecodes() throws {
        let text = #"{"deliveryId":"838847HS2","type":"document","count":1,"message":[{"type":"document-validated","uuid":"F9D425P6DS7D8IU","submissionUUID":"JU7GH07JNA23N","longId":"LIJAF97HJJKH 8298KHADH0990 8570FDKK9S2LSIU HB377373","internalId":"PZ-234-A","status":"Valid"}]}"#
        let delivery = try JSONNodeDecoder().decode(NotificationDelivery.self, from: try JSONParser().parse(text).root)
        #expect(delivery.count == 1 && delivery.message.first?.number == "PZ-234-A" && delivery.message.first?.status == "Valid")
    }
}
