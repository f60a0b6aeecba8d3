import EisalCore
@testable import EisalPlatform
import EisalStoreSQLite
import Testing

/// The 202 body is written straight to bytes; it must be exactly what the generic writer writes
/// for the same members, in the same order.
@Suite("Submission response body")
struct SubmissionResponseTests {
    static func expected(_ result: IntakeResult, alias: Bool) throws -> [UInt8] {
        var members: [(String, JSONValue)] = [("submissionUUID", result.submissionUUID.map { .string($0) } ?? .null)]
        if alias { members.append(("submissionId", result.submissionUUID.map { .string($0) } ?? .null)) }
        members.append(("acceptedDocuments", .array(result.accepted.map {
            .object([("uuid", .string($0.uuid)), ("longId", .string($0.longId)), ("receiptNumber", .string($0.receiptNumber))])
        })))
        members.append(("rejectedDocuments", try JSONValueEncoder().encode(result.rejected)))
        return JSONWriter().bytes(.object(members))
    }

    @Test(arguments: [false, true])
    func equalsTheGenericWriter(alias: Bool) throws {
        let rejected = RejectedDocument(receiptNumber: "R\"9", uuid: "bad", error: ETAError(code: "InvalidReceipt", message: "x", target: "bad", propertyPath: "header.uuid"))
        let results = [
            IntakeResult(submissionUUID: "SUB1", accepted: [], rejected: [rejected]),
            IntakeResult(submissionUUID: nil, accepted: [], rejected: []),
            IntakeResult(submissionUUID: "SUB2", accepted: [
                AcceptedDocument(uuid: String(repeating: "a", count: 64), longId: "L1", receiptNumber: "B-1"),
                AcceptedDocument(uuid: "u2", longId: "L2", receiptNumber: "quote \" back\\slash tab\t ق \u{1}"),
            ], rejected: [rejected, rejected]),
        ]
        for result in results {
            let written = try SubmissionRoutes<SQLiteStore>.responseBody(result, submissionIdAlias: alias)
            #expect(written == (try Self.expected(result, alias: alias)), "\(String(decoding: written, as: UTF8.self))")
            #expect(throws: Never.self) { try JSONParser().parse(written) }
        }
    }
}
