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
import Synchronization
import Testing

/// The cancel/reject life cycle over live HTTP with two taxpayers, two real receivers, a third
/// taxpayer, and a clock the test moves forward (issue 17, "Must show").
@Suite("Invoice documents: cancel, reject and decline (live server, real receivers, test clock)")
struct DocumentLifecycleTests {
    static let buyerRIN = DocumentFlowTests.buyerRIN

    @Test func rejectDeclineCancelAndTheRefusals() async throws {
        let directory = try TemporaryDirectory("documents-lifecycle")
        defer { directory.remove() }
        let seller = NotificationBed.receiver(directory)
        let buyer = NotificationBed.receiver(directory, rin: Self.buyerRIN)
        let offset = Mutex<Int64>(0) // milliseconds
        let clock = PlatformClock.milliseconds { Int64(Date().timeIntervalSince1970 * 1000) + offset.withLock { $0 } }
        try await NotificationBed.harness { $0.clock = clock }.run(.live) { client, startup in
            let sellerERP = try await client.erpToken(startup.erp)
            let buyerCredentials = try await client.addTaxpayerWithERPCredentials(Self.buyerRIN)
            let buyerERP = try await client.erpToken(buyerCredentials)
            let strangerERP = try await client.addTaxpayerWithERP("300000003")
            try await seller.run {
                try await buyer.run {
                    try await client.mustRegisterCallback(url: seller.url, token: sellerERP)
                    try await client.mustRegisterCallback(url: buyer.url, token: buyerERP)
                    let accepted = try await client.submitDocuments([DocumentFlowTests.signed(number: "INV-A"), DocumentFlowTests.signed(number: "INV-B")], token: sellerERP)
                    let uuids = (accepted.json["acceptedDocuments"]?.elements ?? []).compactMap { $0["uuid"]?.string }
                    try #require(uuids.count == 2)
                    let (a, b) = (uuids[0], uuids[1])
                    #expect(try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: sellerERP)["overallStatus"]?.string == "Valid")
                    try await NotificationBed.waitUntil("A got document-validated twice and B document-received twice") { seller.handled.count >= 2 && buyer.handled.count >= 2 }
                    #expect(Set(seller.handled.map { $0.type ?? "" }) == ["document-validated"] && Set(buyer.handled.map { $0.type ?? "" }) == ["document-received"])

                    // B rejects INV-A: Rejected at once, and A is told.
                    #expect(try await client.changeState(a, status: "rejected", reason: "Wrong quantities", token: buyerERP).status == .ok)
                    try await NotificationBed.waitUntil("A got document-rejected") { seller.handled.count >= 3 }
                    #expect(seller.handled.last.map { "\($0.type ?? "") \($0.uuid ?? "") \($0.status ?? "")" } == "document-rejected \(a) Rejected")
                    var document = try await client.get("/api/v1.0/documents/\(a)/raw", token: sellerERP).json
                    #expect(document["status"]?.string == "Rejected" && document["rejectRequestDate"]?.string != nil && document["documentStatusReason"]?.string == "Wrong quantities")

                    // Refusals: the issuer cannot reject, a stranger sees nothing, a document is rejected once.
                    try await Self.expectRefused(client.changeState(b, status: "rejected", reason: "x", token: sellerERP), .forbidden, code: "Forbidden")
                    try await Self.expectRefused(client.changeState(b, status: "cancelled", reason: "x", token: strangerERP), .notFound, code: "NotFound")
                    try await Self.expectRefused(client.decline(a, "rejection", token: strangerERP), .notFound, code: "NotFound")
                    try await Self.expectRefused(client.decline(a, "rejection", token: buyerERP), .forbidden, code: "Forbidden")
                    try await Self.expectRefused(client.changeState(a, status: "rejected", reason: "again", token: buyerERP), .badRequest, code: "BadRequest", detail: "RejectionAlreadyRequested")
                    try await Self.expectRefused(client.changeState(a, status: "archived", reason: "x", token: buyerERP), .badRequest, code: "BadArgument")
                    try await Self.expectRefused(client.changeState(a, status: "rejected", reason: "", token: buyerERP), .badRequest, code: "BadArgument")

                    // A declines the rejection: Valid again.
                    #expect(try await client.decline(a, "rejection", token: sellerERP).status == .ok)
                    document = try await client.get("/api/v1.0/documents/\(a)/raw", token: buyerERP).json
                    #expect(document["status"]?.string == "Valid" && document["declineRejectRequestDate"]?.string != nil)
                    try await Self.expectRefused(client.decline(a, "rejection", token: sellerERP), .badRequest, code: "BadRequest", detail: "RejectionAlreadyDeclined")

                    // A cancels INV-B within the window: still Valid until the delayed date; a second cancel is refused.
                    #expect(try await client.changeState(b, status: "cancelled", reason: "Wrong buyer details", token: sellerERP).status == .ok)
                    document = try await client.get("/api/v1.0/documents/\(b)/details", token: buyerERP).json
                    #expect(document["status"]?.string == "Valid" && document["cancelRequestDate"]?.string != nil)
                    let delayed = try #require(document["cancelRequestDelayedDate"]?.string)
                    #expect(UTCDateTime(delayed)!.secondsSinceEpoch - UTCDateTime(document["cancelRequestDate"]!.string!)!.secondsSinceEpoch == 72 * 3600)
                    try await Self.expectRefused(client.changeState(b, status: "cancelled", reason: "again", token: sellerERP), .badRequest, code: "BadRequest", detail: "CancellationAlreadyRequested")
                    try await Self.expectRefused(client.changeState(b, status: "rejected", reason: "x", token: buyerERP), .badRequest, code: "BadRequest", detail: "CancellationPending")
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(!buyer.handled.contains { $0.type == "document-cancelled" })

                    // The clock passes the delayed date: Cancelled, and B is told.
                    offset.withLock { $0 += (72 * 3600 + 5) * 1000 }
                    // Tokens issued before the jump have expired.
                    let sellerLater = try await client.erpToken(startup.erp)
                    let buyerLater = try await client.erpToken(buyerCredentials)
                    try await NotificationBed.waitUntil("B got document-cancelled") { buyer.handled.contains { $0.type == "document-cancelled" } }
                    #expect(buyer.handled.filter { $0.type == "document-cancelled" }.map { "\($0.uuid ?? "") \($0.status ?? "")" } == ["\(b) Cancelled"])
                    #expect(try await client.get("/api/v1.0/documents/\(b)/raw", token: sellerLater).json["status"]?.string == "Cancelled")
                    try await Self.expectRefused(client.decline(b, "cancelation", token: buyerLater), .badRequest, code: "BadRequest", detail: "DeclineWindowClosed")
                    // INV-A is past its cancellation window now.
                    try await Self.expectRefused(client.changeState(a, status: "cancelled", reason: "late", token: sellerLater), .badRequest, code: "BadRequest", detail: "CancellationWindowClosed")
                    // Nothing was notified twice.
                    #expect(seller.handled.count == 3 && buyer.handled.count == 3)
                }
            }
        }
    }

    @Test func theReceiverDeclinesACancellationAndTheDocumentStaysValid() async throws {
        let offset = Mutex<Int64>(0) // milliseconds
        let clock = PlatformClock.milliseconds { Int64(Date().timeIntervalSince1970 * 1000) + offset.withLock { $0 } }
        try await NotificationBed.harness { $0.clock = clock }.run(.live) { client, startup in
            let sellerERP = try await client.erpToken(startup.erp)
            let buyerERP = try await client.addTaxpayerWithERP(Self.buyerRIN)
            let accepted = try await client.submitDocuments([DocumentFlowTests.signed(number: "INV-C")], token: sellerERP)
            let uuid = try #require(accepted.json["acceptedDocuments"]?.elements.first?["uuid"]?.string)
            _ = try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: sellerERP)
            #expect(try await client.changeState(uuid, status: "cancelled", reason: "Wrong invoice details", token: sellerERP).status == .ok)
            // Declined through the double-l spelling, with an unexpected body (ignored).
            let declined = try await client.execute(uri: "/api/v1/documents/state/\(uuid)/decline/cancellation", method: .put,
                                                    headers: [.authorization: "Bearer \(buyerERP)", .contentType: "application/json"], body: ByteBuffer(string: #"{"status":"declined","reason":"no"}"#))
            #expect(declined.status == .ok)
            offset.withLock { $0 += 73 * 3600 * 1000 }
            let later = try await client.erpToken(startup.erp)
            try await Task.sleep(for: .milliseconds(500))
            let document = try await client.get("/api/v1.0/documents/\(uuid)/raw", token: later).json
            #expect(document["status"]?.string == "Valid" && document["declineCancelRequestDate"]?.string != nil)
            // Document types carry the windows as workflow parameters.
            let type = try await client.get("/api/v1.0/documenttypes/i", token: later).json
            #expect((type["workflowParameters"]?.elements ?? []).map { "\($0["parameter"]?.string ?? "")=\($0["value"]?.numberLexeme ?? "")" }
                == ["cancellationWindow=72", "rejectionWindow=72", "declineCancellationWindow=72", "declineRejectionWindow=72"])
            #expect(try await client.get("/api/v1.0/documenttypes", token: later).json["result"]?.elements.count == 6)
            #expect(try await client.get("/api/v1.0/documenttypes/2/versions/1.0", token: later).json["versionNumber"]?.string == "1.0")
        }
    }

    static func expectRefused(_ r: TestResponse, _ status: HTTPResponse.Status, code: String, detail: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(String(buffer: r.body))", sourceLocation: sourceLocation)
        #expect(r.json["error"]?["code"]?.string == code, sourceLocation: sourceLocation)
        if let detail { #expect(r.json["error"]?["details"]?.elements.first?["code"]?.string == detail, "\(String(buffer: r.body))", sourceLocation: sourceLocation) }
    }
}

extension TestClientProtocol {
    func changeState(_ uuid: String, status: String, reason: String, token: String) async throws -> TestResponse {
        try await execute(uri: "/api/v1.0/documents/state/\(uuid)/state", method: .put, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                          body: ByteBuffer(string: #"{"status":"\#(status)","reason":"\#(reason)"}"#))
    }

    func decline(_ uuid: String, _ what: String, token: String) async throws -> TestResponse {
        try await execute(uri: "/api/v1.0/documents/state/\(uuid)/decline/\(what)", method: .put, headers: [.authorization: "Bearer \(token)"])
    }
}
