import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Receipt submission end to end (live server)")
struct SubmissionFlowTests {
    /// Run twice: with the in-memory handoff from intake to the workers, and without it (the
    /// workers then read every receipt back from the store, as after a restart or on another node).
    @Test(arguments: [128, 0])
    func validMixedAndInvalidSubmissionsReachTheirExactStatuses(handoffMegabytes: Int) async throws {
        try await Harness { $0.handoffMegabytes = handoffMegabytes }.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()

            // 1. All valid.
            let valid = try (0 ..< 3).map { _ in try chain.next() }
            let r1 = try await client.submit(ReceiptChain.submission(valid), token: token)
            #expect(r1.status == .accepted)
            let body1 = r1.json
            let submission1 = try #require(body1["submissionUUID"]?.string)
            #expect(submission1.count == 26)
            #expect(body1["submissionId"]?.string == submission1)
            #expect(body1["acceptedDocuments"]?.elements.map { $0["uuid"]?.string } == valid.map(\.uuid))
            #expect(body1["acceptedDocuments"]?.elements.allSatisfy { ($0["longId"]?.string?.count ?? 0) > 20 } == true)
            #expect(body1["rejectedDocuments"]?.count == 0)
            let done1 = try await client.pollUntilDone(submission1, token: token)
            #expect(done1["status"]?.string == "Valid")
            #expect(done1["receiptsCount"]?.numberLexeme == "3")
            #expect(done1["invalidReceiptsCount"]?.numberLexeme == "0")
            #expect(done1["receipts"]?.elements.map { $0["status"]?.string } == ["Valid", "Valid", "Valid"])

            // 2. Mixed: one valid, one failing full validation, one refused synchronously (UUID).
            let good = try chain.next()
            let badTotal = try chain.next { $0.totalAmount = ETADecimal($0.totalAmount.value + 5) }
            var badUUID = try chain.next()
            let wrong = String(repeating: "0", count: 64)
            badUUID.json = Array(String(decoding: badUUID.json, as: UTF8.self).replacingOccurrences(of: badUUID.uuid, with: wrong).utf8)
            chain.previous = badTotal.uuid
            let r2 = try await client.submit(ReceiptChain.submission([good, badTotal, badUUID]), token: token)
            #expect(r2.status == .accepted)
            let body2 = r2.json
            let submission2 = try #require(body2["submissionUUID"]?.string)
            #expect(body2["acceptedDocuments"]?.elements.compactMap { $0["uuid"]?.string } == [good.uuid, badTotal.uuid])
            let rejected = try #require(body2["rejectedDocuments"]?.elements.first)
            #expect(rejected["uuid"]?.string == wrong)
            #expect(rejected["receiptNumber"]?.string == badUUID.receipt.header.receiptNumber)
            #expect(rejected["error"]?["propertyPath"]?.string == "header.uuid")
            #expect(rejected["error"]?["message"]?.string?.contains(badUUID.uuid) == true)
            #expect(rejected["error"]?["details"]?.elements.contains { $0["propertyPath"]?.string == "header.uuid" } == true)
            let done2 = try await client.pollUntilDone(submission2, token: token)
            #expect(done2["status"]?.string == "Invalid")
            #expect(done2["receiptsCount"]?.numberLexeme == "2")
            #expect(done2["invalidReceiptsCount"]?.numberLexeme == "1")
            let rows = done2["receipts"]?.elements ?? []
            #expect(rows.map { $0["status"]?.string } == ["Valid", "Invalid"])
            let errors = rows.last?["errors"]?.elements ?? []
            #expect(errors.map { $0["code"]?.string } == ["Calc.TotalAmount"])
            #expect(errors.first?["propertyPath"]?.string == "totalAmount")

            // 3. All invalid.
            let bad1 = try chain.next { $0.itemData[0].totalSale = ETADecimal($0.itemData[0].totalSale.value + 10) }
            let bad2 = try chain.next { $0.paymentMethod = "Cash" }
            let r3 = try await client.submit(ReceiptChain.submission([bad1, bad2]), token: token)
            #expect(r3.status == .accepted)
            let submission3 = try #require(r3.json["submissionUUID"]?.string)
            let done3 = try await client.pollUntilDone(submission3, token: token)
            #expect(done3["status"]?.string == "Invalid")
            #expect(done3["invalidReceiptsCount"]?.numberLexeme == "2")
            let rows3 = done3["receipts"]?.elements ?? []
            #expect(rows3[0]["errors"]?.elements.contains { $0["code"]?.string == "Calc.TotalSale" && $0["propertyPath"]?.string == "itemData[0].totalSale" } == true)
            #expect(rows3[1]["errors"]?.elements.map { $0["code"]?.string } == ["Code.PaymentMethod"])

            // Retrieval of a valid receipt: raw, details, anonymous share.
            let first = valid[0]
            let raw = try await client.get("/api/v1/receipts/\(first.uuid)/raw", token: token)
            #expect(raw.status == .ok)
            #expect(raw.json["rawDocument"]?.string == String(decoding: first.json, as: UTF8.self))
            #expect(raw.json["submissionUUID"]?.string == submission1)
            #expect(raw.json["receipt"]?["status"]?.string == "Valid")
            let details = try await client.get("/api/v1/receipts/\(first.uuid)/details", token: token)
            #expect(details.json["receipt"]?["header"]?["receiptNumber"]?.string == first.receipt.header.receiptNumber)
            #expect(details.json["validationResults"]?["status"]?.string == "Valid")
            let issued = first.receipt.header.dateTimeIssued
            #expect(try await client.get("/api/v1/receipts/\(first.uuid)/share?dateTimeIssued=\(issued)", token: nil).status == .ok)
            #expect(try await client.get("/api/v1/receipts/\(first.uuid)/share?dateTimeIssued=2020-01-01T00:00:00Z", token: nil).status == .notFound)
            let search = try await client.get("/api/v1/receipts/search?Status=Invalid&PageSize=50", token: token)
            #expect(search.json["metadata"]?["totalCount"]?.numberLexeme == "3")
        }
    }

    @Test func retrievalPathsAcceptAliasesTrailingSlashesAndAnyParameterCase() async throws {
        try await Harness().run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let r = try await client.submit(ReceiptChain.submission([try chain.next()]), token: token)
            let submission = try #require(r.json["submissionUUID"]?.string)
            _ = try await client.pollUntilDone(submission, token: token)
            for uri in ["/api/v1.0/receiptsubmissions/\(submission)/details?pageNo=1&pagesize=5", "/api/v1/receiptsubmissions/\(submission)/details/"] {
                let response = try await client.get(uri, token: token)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.json["status"]?.string == "Valid")
                #expect(response.headers[HTTPField.Name("correlationId")!] != nil)
            }
        }
    }
}

@Suite("UUID mismatch at intake (live server)")
struct IntakeExplainerTests {
    @Test func rejectedReceiptCarriesTheExplainersVerdict() async throws {
        try await Harness().run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let built = try chain.next()
            // The client hashed the receipt with its numbers re-formatted as floats (85.50 → 85.5).
            let blankText = String(decoding: built.json, as: UTF8.self).replacingOccurrences(of: built.uuid, with: "")
            let blank = try JSONParser().parse(blankText).root
            let wrong = ReceiptUUID.hexDigest(CanonicalSerializer(style: CanonicalStyle(numbers: .shortestDouble)).bytes(blank, root: .receipt))
            #expect(wrong != built.uuid)
            let sent = Array(blankText.replacingOccurrences(of: #""uuid":"""#, with: #""uuid":"\#(wrong)""#).utf8)
            var tampered = built
            tampered.json = sent
            let response = try await client.submit(ReceiptChain.submission([tampered]), token: token)
            #expect(response.status == .accepted)
            let error = try #require(response.json["rejectedDocuments"]?.elements.first?["error"])
            #expect(error["propertyPath"]?.string == "header.uuid")
            let detail = try #require(error["details"]?.elements.first)
            #expect(detail["code"]?.string == "UUID.Mismatch")
            #expect(detail["propertyPath"]?.string == "header.uuid")
            #expect(detail["message"]?.string?.contains("floatNumbersShortest") == true, "\(detail["message"]?.string ?? "")")
        }
    }
}

@Suite("POS chain rules (live server)")
struct ChainRuleTests {
    /// A POS's second receipt with an empty previousUUID is invalid even when it arrives in the
    /// same second as the first (the rule orders receipts as stored, not by reception second).
    @Test func anEmptyPreviousUUIDAfterTheFirstReceiptIsInvalidWithinTheSameSecond() async throws {
        let (clock, _) = PlatformClock.manual(Int64(Date().timeIntervalSince1970))
        try await Harness { $0.clock = clock }.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var statuses: [String] = []
            var codes: [[String]] = []
            for _ in 0 ..< 2 {
                var fresh = ReceiptChain() // previousUUID "" each time, same POS
                let response = try await client.submit(ReceiptChain.submission([try fresh.next()]), token: token)
                let submission = try #require(response.json["submissionUUID"]?.string)
                let done = try await client.pollUntilDone(submission, token: token)
                statuses.append(done["status"]?.string ?? "?")
                codes.append(done["receipts"]?.elements.first?["errors"]?.elements.compactMap { $0["code"]?.string } ?? [])
            }
            #expect(statuses == ["Valid", "Invalid"])
            #expect(codes[1] == ["Platform.PreviousUUIDChain"])
        }
    }
}
