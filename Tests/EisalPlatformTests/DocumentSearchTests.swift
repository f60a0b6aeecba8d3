@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// Search Documents (continuation tokens, the span rule) and Get Recent Documents (issue 17).
@Suite("Invoice documents: search and recent (live server)")
struct DocumentSearchTests {
    static func submit(_ client: some TestClientProtocol, _ numbers: [String], token: String) async throws -> [String] {
        let response = try await client.submitDocuments(numbers.map { DocumentFlowTests.signed(number: $0) }, token: token)
        #expect(response.status == .accepted)
        return (response.json["acceptedDocuments"]?.elements ?? []).compactMap { $0["uuid"]?.string }
    }

    static func range() -> String {
        let now = Int64(Date().timeIntervalSince1970)
        return "submissionDateFrom=\(UTCDateTime(secondsSinceEpoch: now - 3600).iso8601)&submissionDateTo=\(UTCDateTime(secondsSinceEpoch: now + 3600).iso8601)"
    }

    @Test func everyMatchingDocumentComesExactlyOnceAcrossPagesWhileMoreAreSubmitted() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            let buyer = try await client.addTaxpayerWithERP(DocumentFlowTests.buyerRIN)
            var initial: Set<String> = []
            for s in 0 ..< 5 { initial.formUnion(try await Self.submit(client, (0 ..< 5).map { "S\(s)-\($0)" }, token: erp)) }
            #expect(initial.count == 25)
            var seen: [String] = [], token: String? = nil, pages = 0, extra = 0
            // The same filters on every call: a token belongs to them.
            let range = Self.range()
            repeat {
                let uri = "/api/v1.0/documents/search?\(range)&pageSize=7&direction=Sent" + (token.map { "&continuationToken=\($0)" } ?? "")
                let response = try await client.get(uri, token: erp)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                seen += (response.json["result"]?.elements ?? []).compactMap { $0["uuid"]?.string }
                token = response.json["metadata"]?["continuationToken"]?.string
                pages += 1
                // More documents arrive between pages.
                if pages <= 3 {
                    _ = try await Self.submit(client, ["NEW-\(pages)-a", "NEW-\(pages)-b"], token: erp)
                    extra += 2
                }
            } while token != nil && token != "EndofResultSet" && pages < 50
            #expect(token == "EndofResultSet")
            #expect(Set(seen).count == seen.count, "a document came twice")
            #expect(initial.isSubset(of: Set(seen)), "missing \(initial.subtracting(seen).count) documents")
            #expect(seen.count <= initial.count + extra)

            // The receiver finds them as Received; a stranger finds nothing; the issuer's Received view is empty.
            let received = try await client.get("/api/v1.0/documents/search?\(Self.range())&pageSize=100&direction=Received", token: buyer).json
            #expect((received["result"]?.elements ?? []).count == 31)
            #expect((received["result"]?.elements.first?["receiverId"]?.string) == DocumentFlowTests.buyerRIN)
            let stranger = try await client.addTaxpayerWithERP("300000003")
            #expect(try await client.get("/api/v1.0/documents/search?\(Self.range())", token: stranger).json["result"]?.elements.isEmpty == true)
            #expect(try await client.get("/api/v1.0/documents/search?\(Self.range())&direction=Received", token: erp).json["result"]?.elements.isEmpty == true)
            // Filters: internalID and uuid.
            let one = try await client.get("/api/v1.0/documents/search?\(Self.range())&internalID=S2-3", token: erp).json
            #expect(one["result"]?.elements.map { $0["internalId"]?.string } == ["S2-3"])
        }
    }

    @Test func theFirstCallNeedsADateRangeOfAtMostThirtyDaysAndATokenKeepsItsFilters() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            _ = try await client.addTaxpayerWithERP(DocumentFlowTests.buyerRIN)
            _ = try await Self.submit(client, ["A", "B", "C"], token: erp)
            for query in ["", "submissionDateFrom=2026-01-01T00:00:00Z", "issueDateFrom=2026-01-01T00:00:00Z&issueDateTo=2026-02-01T00:00:01Z",
                          "submissionDateFrom=2026-02-01T00:00:00Z&submissionDateTo=2026-01-01T00:00:00Z", "\(Self.range())&pageSize=101", "\(Self.range())&direction=Up"] {
                let response = try await client.get("/api/v1.0/documents/search?\(query)", token: erp)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.json["error"]?["code"]?.string == "BadArgument", "\(query)")
            }
            let range = Self.range()
            let first = try await client.get("/api/v1.0/documents/search?\(range)&pageSize=2", token: erp).json
            let token = try #require(first["metadata"]?["continuationToken"]?.string)
            #expect(token != "EndofResultSet" && first["metadata"]?["remainingRecordsCount"]?.numberLexeme == "1")
            // The token with other filters is refused; with the same ones (page size aside), it goes on.
            #expect(try await client.get("/api/v1.0/documents/search?\(range)&status=Invalid&continuationToken=\(token)", token: erp).status == .badRequest)
            let next = try await client.get("/api/v1.0/documents/search?\(range)&pageSize=5&continuationToken=\(token)", token: erp).json
            // A token never stands in for the date range.
            #expect(try await client.get("/api/v1.0/documents/search?continuationToken=\(token)", token: erp).status == .badRequest)
            #expect(next["result"]?.elements.count == 1 && next["metadata"]?["continuationToken"]?.string == "EndofResultSet")
        }
    }

    @Test func recentListsTheNewestFirstByPage() async throws {
        try await NotificationBed.harness().run(.live) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            _ = try await client.addTaxpayerWithERP(DocumentFlowTests.buyerRIN)
            _ = try await Self.submit(client, ["R1", "R2", "R3"], token: erp)
            let page1 = try await client.get("/api/v1.0/documents/recent?pageNo=1&pageSize=2", token: erp).json
            let page2 = try await client.get("/api/v1.0/documents/recent?pageNo=2&pageSize=2", token: erp).json
            #expect(page1["metadata"]?["totalCount"]?.numberLexeme == "3" && page1["metadata"]?["totalPages"]?.numberLexeme == "2")
            let all = (page1["result"]?.elements ?? []) + (page2["result"]?.elements ?? [])
            #expect(Set(all.compactMap { $0["internalId"]?.string }) == ["R1", "R2", "R3"])
            #expect(try await client.get("/api/v1.0/documents/recent?pageSize=0", token: erp).status == .badRequest)
        }
    }
}
