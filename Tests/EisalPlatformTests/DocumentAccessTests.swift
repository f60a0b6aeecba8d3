@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Intermediaries and throttling on the document APIs (issue 17, items 2 and 4).
@Suite("Invoice documents: intermediaries and throttling (live server)")
struct DocumentAccessTests {
    static let admin: HTTPFields = [HTTPField.Name("X-Admin-Key")!: "test-admin-key", .contentType: "application/json"]

    /// An intermediary logs in on behalf of a taxpayer that granted it permission, submits and
    /// cancels that taxpayer's documents, and nobody else's.
    @Test func anIntermediaryActsForTheTaxpayersThatGrantedItAndNoOthers() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            for (rin, name) in [("400000004", "Represented Co"), ("500000005", "Intermediary Co")] {
                #expect(try await client.execute(uri: "/admin/taxpayers", method: .post, headers: Self.admin, body: ByteBuffer(string: #"{"rin":"\#(rin)","name":"\#(name)"}"#)).status == .created)
            }
            let created = try await client.execute(uri: "/admin/clients", method: .post, headers: Self.admin,
                                                   body: ByteBuffer(string: #"{"taxpayerRIN":"500000005","representing":["400000004"]}"#))
            let intermediary = try JSONNodeDecoder().decode(IssuedCredentials.self, from: created.json)
            func login(onBehalfOf rin: String) async throws -> TestResponse {
                try await client.execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", HTTPField.Name("onbehalfof")!: rin],
                                         body: client.form([("grant_type", "client_credentials"), ("client_id", intermediary.clientID), ("client_secret", intermediary.clientSecret)]))
            }
            let token = try #require(try await login(onBehalfOf: "400000004").json["access_token"]?.string)
            #expect(try await login(onBehalfOf: "100000001").status == .badRequest)

            let represented = DocumentExamples.text(version: "0.9", parties: .init(issuerRIN: "400000004", receiverRIN: "100000001"), internalID: "REP-1", issued: DocumentFlowTests.now())
            let accepted = try await client.submitDocuments([represented], token: token)
            #expect(accepted.status == .accepted)
            let uuid = try #require(accepted.json["acceptedDocuments"]?.elements.first?["uuid"]?.string)
            #expect(try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: token)["overallStatus"]?.string == "Valid")
            #expect(try await client.changeState(uuid, status: "cancelled", reason: "Wrong invoice details", token: token).status == .ok)
            // The demo taxpayer's documents: not this intermediary's to submit.
            let foreign = DocumentExamples.text(version: "0.9", internalID: "NOT-MINE", issued: DocumentFlowTests.now())
            let refused = try await client.submitDocuments([foreign], token: token)
            #expect(refused.status == .forbidden && refused.json["error"]?["code"]?.string == "IncorrectSubmitter")
        }
    }

    /// A foreign (F) or natural-person (P) receiver's id is not a taxpayer: a taxpayer whose RIN
    /// happens to be written there sees nothing and may do nothing; nor may an issuer that names
    /// itself as receiver reject its own document.
    @Test func onlyABusinessReceiverOtherThanTheIssuerIsAReceiver() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            let other = try await client.addTaxpayerWithERP("300000003")
            let foreign = TestSeals.sign(DocumentFlowTests.signed(number: "F-1", signature: .none).replacingOccurrences(
                of: #""receiver":{"address":{"country":"EG","governate":"Giza","regionCity":"Dokki","street":"Tahrir","buildingNumber":"5"},"type":"B","id":"200000002""#,
                with: #""receiver":{"address":{"country":"US","governate":"NY","regionCity":"New York","street":"Broadway","buildingNumber":"1"},"type":"F","id":"300000003""#))
            #expect(foreign.contains(#""type":"F","id":"300000003""#))
            let accepted = try await client.submitDocuments([foreign], token: erp)
            let uuid = try #require(accepted.json["acceptedDocuments"]?.elements.first?["uuid"]?.string)
            #expect(try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: erp)["overallStatus"]?.string == "Valid")
            #expect(try await client.get("/api/v1.0/documents/\(uuid)/raw", token: other).status == .notFound)
            #expect(try await client.changeState(uuid, status: "rejected", reason: "not mine", token: other).status == .notFound)
            #expect(try await client.decline(uuid, "cancelation", token: other).status == .notFound)
            let range = DocumentSearchTests.range()
            #expect(try await client.get("/api/v1.0/documents/search?\(range)&direction=Received", token: other).json["result"]?.elements.isEmpty == true)
            #expect(try await client.get("/api/v1.0/documents/\(uuid)/raw", token: erp).status == .ok)
        }
    }

    /// Recent is throttled harder than Search; the 429 has the flat body and Retry-After. The
    /// clock stands still, so a slow machine does not refill the bucket between the calls.
    @Test func recentIsThrottledHarderThanSearch() async throws {
        let (clock, _) = PlatformClock.manual(Int64(Date().timeIntervalSince1970))
        try await Harness { $0.rateLimits = .standard; $0.clock = clock }.run(.live) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            var statuses: [Int] = []
            for _ in 0 ..< 13 { statuses.append(Int(try await client.get("/api/v1.0/documents/recent", token: erp).status.code)) }
            #expect(statuses.prefix(12).allSatisfy { $0 == 200 } && statuses.last == 429)
            let limited = try await client.get("/api/v1.0/documents/recent", token: erp)
            #expect(limited.headers[.retryAfter] != nil && limited.json["code"]?.numberLexeme == "429")
            // Search still answers.
            let range = DocumentSearchTests.range()
            #expect(try await client.get("/api/v1.0/documents/search?\(range)", token: erp).status == .ok)
        }
    }
}
