@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalKitReceiver
import EisalReceiverTestSupport
import EisalTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Invoice documents end to end over live HTTP (issue 17): two taxpayers, two real loopback
/// receivers; submission, Get Submission, Get Document raw/details, tenant isolation, and the
/// document notifications.
@Suite("Invoice documents end to end (live server, real receivers)")
struct DocumentFlowTests {
    static let buyerRIN = "200000002"

    static func now() -> UTCDateTime { UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60) }

    /// How a test document is signed.
    enum Signing { case seal, none, value(String) }

    /// An example document of the demo taxpayer to `buyerRIN`, signed with its test seal by default.
    static func signed(_ type: InvoiceKind = .invoice, number: String, references: [String] = [], version: String = "1.0", signature: Signing = .seal) -> String {
        let text = DocumentExamples.text(type, version: version, parties: .init(receiverRIN: buyerRIN), internalID: number, issued: now(), references: references,
                                         signatureValue: { if case .value(let v) = signature { v } else { nil } }())
        if case .seal = signature { return TestSeals.sign(text) }
        return text
    }

    @Test func anInvoiceFromAToBIsValidatedNotifiedAndReadableByBothButNoOneElse() async throws {
        let directory = try TemporaryDirectory("documents-flow")
        defer { directory.remove() }
        let seller = NotificationBed.receiver(directory)
        let buyer = NotificationBed.receiver(directory, rin: Self.buyerRIN)
        try await NotificationBed.harness().run(.live) { client, startup in
            let sellerERP = try await client.erpToken(startup.erp)
            let buyerERP = try await client.addTaxpayerWithERP(Self.buyerRIN)
            let strangerERP = try await client.addTaxpayerWithERP("300000003")
            try await seller.run {
                try await buyer.run {
                    try await client.mustRegisterCallback(url: seller.url, token: sellerERP)
                    try await client.mustRegisterCallback(url: buyer.url, token: buyerERP)
                    let invoice = Self.signed(number: "INV-1")
                    let expectedUUID = DocumentUUID.compute(try JSONParser().parse(Array(invoice.utf8)).root)
                    let accepted = try await client.submitDocuments([invoice, Self.signed(number: "INV-2", signature: .none)], token: sellerERP)
                    #expect(accepted.status == .accepted)
                    let submission = try #require(accepted.json["submissionId"]?.string)
                    #expect(accepted.json["submissionUUID"]?.string == submission)
                    let documents = accepted.json["acceptedDocuments"]?.elements ?? []
                    #expect(documents.map { $0["internalId"]?.string } == ["INV-1", "INV-2"])
                    #expect(documents.first?["uuid"]?.string == expectedUUID)
                    #expect(documents.allSatisfy { ($0["longId"]?.string ?? "").isEmpty == false })

                    let result = try await client.pollDocumentSubmission(submission, token: sellerERP)
                    #expect(result["overallStatus"]?.string == "Partially Valid")
                    #expect(result["documentCount"]?.numberLexeme == "2")
                    let rows = result["documentSummary"]?.elements ?? []
                    #expect(rows.map { $0["status"]?.string } == ["Valid", "Invalid"])
                    #expect(result["documentSummaryMetadata"]?["totalCount"]?.numberLexeme == "2")
                    // Another taxpayer cannot see the submission.
                    #expect(try await client.get("/api/v1.0/documentsubmissions/\(submission)", token: buyerERP).status == .notFound)

                    // The issuer and the receiver read the document; a third taxpayer gets 404.
                    for token in [sellerERP, buyerERP] {
                        let raw = try await client.get("/api/v1/documents/\(expectedUUID)/raw", token: token)
                        #expect(raw.status == .ok)
                        #expect(raw.json["document"]?["internalID"]?.string == "INV-1")
                        #expect(raw.json["document"]?["invoiceLines"]?.elements.first?["unitValue"]?["amountEGP"]?.numberLexeme == "100.00")
                        #expect(raw.json["status"]?.string == "Valid" && raw.json["issuerId"]?.string == "100000001" && raw.json["receiverId"]?.string == Self.buyerRIN)
                    }
                    #expect(try await client.get("/api/v1.0/documents/\(expectedUUID)/raw", token: strangerERP).status == .notFound)
                    #expect(try await client.get("/api/v1.0/documents/\(expectedUUID)/details", token: strangerERP).status == .notFound)

                    // The unsigned v1.0 document is Invalid, and its details say why.
                    let unsigned = try #require(documents.last?["uuid"]?.string)
                    let details = try await client.get("/api/v1.0/documents/\(unsigned)/details", token: sellerERP).json
                    #expect(details["validationResults"]?["status"]?.string == "Invalid")
                    let steps = details["validationResults"]?["validationSteps"]?.elements ?? []
                    let signature = steps.first { $0["name"]?.string == "Signature validator" }
                    #expect(signature?["status"]?.string == "Invalid")
                    #expect(signature?["error"]?["details"]?.elements.first?["code"]?.string == "Signature.IssuerMissing")
                    #expect(steps.filter { $0["status"]?.string == "Valid" }.count == steps.count - 1)

                    // Notifications: document-validated for both to A, document-received for the valid one to B.
                    try await NotificationBed.waitUntil("A got 2 and B got 1 document notifications") { seller.handled.count >= 2 && buyer.handled.count >= 1 }
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(seller.handled.count == 2 && buyer.handled.count == 1)
                    #expect(Set(seller.handled.map { "\($0.type ?? "") \($0.number ?? "") \($0.status ?? "")" }) == ["document-validated INV-1 Valid", "document-validated INV-2 Invalid"])
                    #expect(buyer.handled.map { "\($0.type ?? "") \($0.uuid ?? "") \($0.status ?? "")" } == ["document-received \(expectedUUID) Valid"])
                    #expect((seller.handled + buyer.handled).allSatisfy { $0.channel == .documents && $0.deliveryType == "document" })
                    #expect(buyer.handled.first?.json.contains(#""internalId":"INV-1""#) == true)
                }
            }
        }
    }

    @Test func creditNotesAreJudgedByTheDocumentsTheyReferTo() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            let sellerERP = try await client.erpToken(startup.erp)
            _ = try await client.addTaxpayerWithERP(Self.buyerRIN)
            let invoice = Self.signed(number: "INV-10")
            let accepted = try await client.submitDocuments([invoice], token: sellerERP)
            let invoiceUUID = try #require(accepted.json["acceptedDocuments"]?.elements.first?["uuid"]?.string)
            _ = try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: sellerERP)
            // A later credit note refers to it: Valid. One that names an unknown document: Invalid.
            let notes = try await client.submitDocuments([Self.signed(.creditNote, number: "CN-1", references: [invoiceUUID]),
                                                          Self.signed(.creditNote, number: "CN-2", references: [String(repeating: "ab", count: 32)])], token: sellerERP)
            let result = try await client.pollDocumentSubmission(try #require(notes.json["submissionId"]?.string), token: sellerERP)
            #expect((result["documentSummary"]?.elements ?? []).map { $0["status"]?.string } == ["Valid", "Invalid"])
            let bad = try #require(notes.json["acceptedDocuments"]?.elements.last?["uuid"]?.string)
            let details = try await client.get("/api/v1.0/documents/\(bad)/details", token: sellerERP).json
            let references = details["validationResults"]?["validationSteps"]?.elements.first { $0["name"]?.string == "References validator" }
            #expect(references?["error"]?["details"]?.elements.first?["propertyPath"]?.string == "references[0]")
            // Version 0.9 needs no signature.
            let unsigned = try await client.submitDocuments([Self.signed(number: "INV-11", version: "0.9", signature: .none)], token: sellerERP)
            let v09 = try await client.pollDocumentSubmission(try #require(unsigned.json["submissionId"]?.string), token: sellerERP)
            #expect(v09["overallStatus"]?.string == "Valid")
        }
    }

    @Test func intakeRefusesWhatItCannotTake() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            let xml = try await client.execute(uri: "/api/v1.0/documentsubmissions", method: .post, headers: [.authorization: "Bearer \(erp)", .contentType: "application/xml"],
                                               body: ByteBuffer(string: "<documents/>"))
            #expect(xml.status == .unsupportedMediaType)
            #expect(xml.json["error"]?["message"]?.string?.contains("XML") == true)
            let pos = try await client.posToken(startup.pos)
            #expect(try await client.submitDocuments([Self.signed(number: "INV-20")], token: pos).status == .forbidden)
            // Another issuer's document: 403 IncorrectSubmitter naming the property.
            let foreign = DocumentExamples.text(parties: .init(issuerRIN: "300000003", receiverRIN: Self.buyerRIN), internalID: "X-1", issued: Self.now(), signatureValue: "MIIB")
            let refused = try await client.submitDocuments([foreign], token: erp)
            #expect(refused.status == .forbidden)
            #expect(refused.json["error"]?["details"]?.elements.first?["propertyPath"]?.string == "documents[0].issuer.id")
            // A structure error rejects the document at intake with its internalId.
            let broken = Self.signed(number: "INV-21").replacingOccurrences(of: #""taxpayerActivityCode":"4620","#, with: "")
            let partly = try await client.submitDocuments([broken, Self.signed(number: "INV-22")], token: erp)
            #expect(partly.status == .accepted)
            #expect(partly.json["rejectedDocuments"]?.elements.first?["internalId"]?.string == "INV-21")
            #expect(partly.json["rejectedDocuments"]?.elements.first?["error"]?["details"]?.elements.first?["propertyPath"]?.string == "taxpayerActivityCode")
            #expect(partly.json["acceptedDocuments"]?.elements.map { $0["internalId"]?.string } == ["INV-22"])
        }
    }
}

extension TestClientProtocol {
    func submitDocuments(_ documents: [String], token: String) async throws -> TestResponse {
        try await execute(uri: "/api/v1.0/documentsubmissions", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                          body: ByteBuffer(string: DocumentExamples.submission(documents)))
    }

    /// Polls Get Submission until it leaves In Progress (bounded by 60 s).
    func pollDocumentSubmission(_ uuid: String, token: String) async throws -> JSONNode {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let response = try await get("/api/v1.0/documentsubmissions/\(uuid)?pageNo=1&pageSize=100", token: token)
            #expect(response.status == .ok)
            if response.json["overallStatus"]?.string != "In Progress" { return response.json }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("submission \(uuid) stayed In Progress")
        throw CancellationError()
    }
}
