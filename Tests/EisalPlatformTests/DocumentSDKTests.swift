@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import HummingbirdTesting
import Synchronization
import Testing

/// EisalKit's document calls against a live platform (issue 17, item 5): typed results, typed
/// errors with the contract's body, one token for many calls.
@Suite("EisalKit document calls (live server)")
struct DocumentSDKTests {
    @Test func submitWaitReadSearchAndTheLifeCycleThroughTheSDK() async throws {
        let offset = Mutex<Int64>(0)
        let clock = PlatformClock.milliseconds { Int64(Date().timeIntervalSince1970 * 1000) + offset.withLock { $0 } }
        try await NotificationBed.harness { $0.clock = clock }.run(.live) { client, startup in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let buyerCredentials = try await client.addTaxpayerWithERPCredentials(DocumentFlowTests.buyerRIN)
            let seller = EisalClient(configuration: .init(apiBaseURL: base, clientID: startup.erp.clientID, clientSecret: startup.erp.clientSecret))
            let buyer = EisalClient(configuration: .init(apiBaseURL: base, clientID: buyerCredentials.clientID, clientSecret: buyerCredentials.clientSecret))
            do {
                // Concurrent first calls share one token.
                async let t1 = seller.accessToken()
                async let t2 = seller.accessToken()
                let (a, b) = try await (t1, t2)
                #expect(a == b)

                let submitted = try await seller.submitDocuments([DocumentFlowTests.signed(number: "SDK-1"), DocumentFlowTests.signed(number: "SDK-2", signature: .none)])
                let id = try #require(submitted.id)
                #expect(submitted.acceptedDocuments.map(\.internalId) == ["SDK-1", "SDK-2"])
                let details = try await seller.waitForDocumentSubmission(id, documents: 2)
                #expect(details.overallStatus == "Partially Valid")
                #expect(details.documentSummary.map(\.status) == ["Valid", "Invalid"])
                let uuid = submitted.acceptedDocuments[0].uuid
                let read = try await buyer.document(uuid)
                #expect(read.summary.status == "Valid" && read.summary.issuerId == "100000001" && read.json.contains(#""internalID":"SDK-1""#))

                // Search every page; Recent.
                let now = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
                let filters = DocumentSearchFilters(submissionDateFrom: UTCDateTime(secondsSinceEpoch: now.secondsSinceEpoch - 3600),
                                                    submissionDateTo: UTCDateTime(secondsSinceEpoch: now.secondsSinceEpoch + 3600))
                #expect(try await seller.searchAllDocuments(filters, pageSize: 1).compactMap(\.internalId).sorted() == ["SDK-1", "SDK-2"])
                #expect(try await buyer.recentDocuments().result.map(\.internalId) == ["SDK-1"])

                // The life cycle, and a refusal as a typed error with the contract's body.
                try await buyer.rejectDocument(uuid, reason: "Wrong quantities")
                #expect(try await seller.document(uuid).summary.status == "Rejected")
                try await seller.declineRejection(uuid)
                try await seller.cancelDocument(uuid, reason: "Wrong buyer details")
                do {
                    try await seller.cancelDocument(uuid, reason: "again")
                    Issue.record("a second cancel was accepted")
                } catch let EisalClientError.http(status, error, _) {
                    #expect(status == 400 && error?.code == "BadRequest" && error?.details?.first?.code == "CancellationAlreadyRequested")
                }
                try await buyer.declineCancellation(uuid)
                #expect(try await seller.document(uuid, details: true).summary.declineCancelRequestDate != nil)
                // A 404 for a document nobody has.
                do {
                    _ = try await seller.document(String(repeating: "0", count: 64))
                    Issue.record("an unknown document was found")
                } catch let EisalClientError.http(status, error, _) {
                    #expect(status == 404 && error?.code == "NotFound")
                }
                // A token that expired (the clock jumps past its hour) is refreshed once, transparently.
                offset.withLock { $0 += 2 * 3600 * 1000 }
                #expect(try await seller.document(uuid).summary.uuid == uuid)
            } catch {
                try await seller.shutdown()
                try await buyer.shutdown()
                throw error
            }
            try await seller.shutdown()
            try await buyer.shutdown()
        }
    }
}
