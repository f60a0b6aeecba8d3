import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Tenant isolation (live server)")
struct TenantIsolationTests {
    @Test func taxpayerBCannotReadSearchOrPollTaxpayerA() async throws {
        try await Harness().run { client, startup in
            let admin: HTTPFields = [HTTPField.Name("X-Admin-Key")!: "test-admin-key", .contentType: "application/json"]
            _ = try await client.execute(uri: "/admin/taxpayers", method: .post, headers: admin, body: ByteBuffer(string: #"{"rin": "200000002", "name": "B Co"}"#))
            let posB = try await client.execute(uri: "/admin/pos", method: .post, headers: admin, body: ByteBuffer(string: #"{"taxpayerRIN": "200000002", "serial": "B-POS"}"#))
            let tokenB = try await client.posToken(try JSONNodeDecoder().decode(IssuedCredentials.self, from: posB.json))
            let tokenA = try await client.posToken(startup.pos)

            var chain = ReceiptChain()
            let receipt = try chain.next()
            let submission = try #require(try await client.submit(ReceiptChain.submission([receipt]), token: tokenA).json["submissionUUID"]?.string)
            _ = try await client.pollUntilDone(submission, token: tokenA)
            var chainB = ReceiptChain(rin: "200000002", pos: "B-POS")
            let submissionB = try #require(try await client.submit(ReceiptChain.submission([try chainB.next()]), token: tokenB).json["submissionUUID"]?.string)
            _ = try await client.pollUntilDone(submissionB, token: tokenB)

            for uri in ["/api/v1/receiptsubmissions/\(submission)/details", "/api/v1/receipts/\(receipt.uuid)/raw", "/api/v1/receipts/\(receipt.uuid)/details"] {
                let asB = try await client.get(uri, token: tokenB)
                #expect(asB.status == .notFound, "\(uri)")
                #expect(asB.json["error"]?["code"]?.string == "NotFound")
                #expect(try await client.get(uri, token: tokenA).status == .ok, "\(uri)")
            }
            // Unknown ids look exactly like other tenants' ids.
            let unknown = try await client.get("/api/v1/receiptsubmissions/NOSUCHSUBMISSION0000000000/details", token: tokenB)
            #expect(unknown.status == .notFound)
            for uri in ["/api/v1/receipts/search?PageSize=100", "/api/v1/receipts/recent?PageSize=100", "/api/v1/receipts/search?FreeText=\(receipt.uuid.prefix(12))"] {
                let rows = try await client.get(uri, token: tokenB).json["receipts"]?.elements ?? []
                #expect(!rows.contains { $0["uuid"]?.string == receipt.uuid }, "\(uri)")
                #expect(rows.allSatisfy { $0["sellerID"]?.string == "200000002" })
            }
            let mine = try await client.get("/api/v1/receipts/search?PageSize=100", token: tokenA).json["receipts"]?.elements ?? []
            #expect(mine.map { $0["uuid"]?.string } == [receipt.uuid])
        }
    }
}
