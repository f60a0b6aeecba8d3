import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The POS rules hold on the ERP channel too (seed: "POS should be activated before submission on
/// any other channel"; spec/receipt-structure.md: registered and linked to the issuer RIN;
/// spec/receipts-api.md: a retired POS rejects the whole submission).
@Suite("POS rules on every channel (live server)")
struct POSChannelTests {
    static let admin: HTTPFields = [HTTPField.Name("X-Admin-Key")!: "test-admin-key", .contentType: "application/json"]

    @Test func anERPTokenCannotSubmitReceiptsOfUnregisteredForeignOrInactivePOS() async throws {
        try await Harness().run { client, startup in
            for (path, body) in [("/admin/taxpayers", #"{"rin": "200000002", "name": "Other Co"}"#),
                                 ("/admin/pos", #"{"taxpayerRIN": "200000002", "serial": "OTHER-POS"}"#),
                                 ("/admin/pos", #"{"taxpayerRIN": "100000001", "serial": "RETIRED-POS", "activated": false}"#)] {
                #expect(try await client.execute(uri: path, method: .post, headers: Self.admin, body: ByteBuffer(string: body)).status == .created)
            }
            let erp = try await client.erpToken(startup.erp)

            // One submission: a registered, activated POS of the issuer; an unknown serial; another taxpayer's POS.
            var own = ReceiptChain(pos: "DEMO-POS-1"), unknown = ReceiptChain(pos: "NO-SUCH-POS"), foreign = ReceiptChain(pos: "OTHER-POS")
            let good = try own.next(), stray = try unknown.next(), borrowed = try foreign.next()
            let response = try await client.submit(ReceiptChain.submission([good, stray, borrowed]), token: erp)
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            #expect(response.json["acceptedDocuments"]?.elements.map { $0["uuid"]?.string } == [good.uuid])
            let rejected = response.json["rejectedDocuments"]?.elements ?? []
            #expect(rejected.map { $0["uuid"]?.string } == [stray.uuid, borrowed.uuid])
            #expect(rejected.allSatisfy { $0["error"]?["propertyPath"]?.string == "seller.deviceSerialNumber" })
            #expect(rejected.first?["error"]?["message"]?.string?.contains("not a POS registered to taxpayer 100000001") == true)

            // A registered POS that is not activated refuses the whole submission, and nothing is stored.
            var retired = ReceiptChain(pos: "RETIRED-POS")
            let another = try own.next()
            let refused = try await client.submit(ReceiptChain.submission([another, try retired.next()]), token: erp)
            #expect(refused.status == .forbidden)
            #expect(refused.json["error"]?["code"]?.string == "IncorrectSubmitter")
            #expect(refused.json["error"]?["target"]?.string == "RETIRED-POS")
            #expect(try await client.get("/api/v1/receipts/\(another.uuid)/raw", token: erp).status == .notFound)

            // The accepted receipt ends Valid.
            let submission = try #require(response.json["submissionUUID"]?.string)
            let done = try await client.pollUntilDone(submission, token: erp)
            #expect(done["status"]?.string == "Valid")
        }
    }
}
