import EisalCore
@testable import EisalPlatform
import EisalStoreSQLite
import Testing

/// The 202 body is written straight to bytes; for receipts it must be exactly the encoding of the
/// wire type `ReceiptSubmissionResponse` (the one the SDK decodes), member for member.
@Suite("Submission response body")
struct SubmissionResponseTests {
    static func expected(_ result: IntakeResult, alias: Bool) throws -> [UInt8] {
        let wire = ReceiptSubmissionResponse(submissionUUID: result.submissionUUID, includesSubmissionIdAlias: alias,
                                             acceptedDocuments: result.accepted, rejectedDocuments: result.rejected)
        return JSONWriter().bytes(try JSONValueEncoder().encode(wire))
    }

    typealias Routes = SubmissionRoutes<SQLiteStore, ReceiptFamily<SQLiteStore>>

    @Test(arguments: [false, true])
    func equalsTheWireTypesEncoding(alias: Bool) throws {
        let rejected = RejectedDocument(receiptNumber: "R\"9", uuid: "bad", error: ETAError(code: "InvalidReceipt", message: "x", target: "bad", propertyPath: "header.uuid",
                                                                                         details: [ETAError(code: "UUID.Mismatch", message: "y\n")]))
        let results = [
            IntakeResult(submissionUUID: "SUB1", accepted: [], rejected: [rejected]),
            IntakeResult(submissionUUID: nil, accepted: [], rejected: []),
            IntakeResult(submissionUUID: "SUB2", accepted: [
                AcceptedDocument(uuid: String(repeating: "a", count: 64), longId: "L1", receiptNumber: "B-1"),
                AcceptedDocument(uuid: "u2", longId: "L2", receiptNumber: "quote \" back\\slash tab\t ق \u{1}"),
            ], rejected: [rejected, rejected]),
        ]
        for result in results {
            let written = try Routes.responseBody(result, family: .receipt, submissionIdAlias: alias)
            #expect(written == (try Self.expected(result, alias: alias)), "\(String(decoding: written, as: UTF8.self))")
            let document = try JSONParser().parse(written)
            // The SDK reads it back into the same values.
            let decoded = try JSONNodeDecoder().decode(ReceiptSubmissionResponse.self, from: document.root)
            #expect(decoded.submissionUUID == result.submissionUUID && decoded.acceptedDocuments == result.accepted && decoded.rejectedDocuments == result.rejected)
            #expect(decoded.includesSubmissionIdAlias == alias)
        }
    }
}
