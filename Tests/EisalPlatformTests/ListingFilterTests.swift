import EisalCore
import EisalKit
import Foundation
import HummingbirdTesting
import Testing

/// The filters, order and paging of Get Receipt Submission, Search Receipts and Get Recent
/// Receipts (ETA SDK /ereceiptapi/06–08), each over real HTTP against a live platform.
@Suite("Receipt listings: filters, order, paging (live server)")
struct ListingFilterTests {
    /// The receipt numbers a listing returns, or the error code and target of its 400.
    func listing(_ client: any TestClientProtocol, _ uri: String, token: String) async throws -> Listing {
        let response = try await client.get(uri, token: token)
        if response.status == .badRequest {
            return .error(response.json["error"]?["code"]?.string ?? "?", target: response.json["error"]?["target"]?.string ?? "?")
        }
        #expect(response.status == .ok, "\(uri)")
        let numbers = response.json["receipts"]?.elements.compactMap { $0["receiptNumber"]?.string } ?? []
        return .rows(numbers, total: Int(response.json["metadata"]?["totalCount"]?.numberLexeme ?? "-1") ?? -1)
    }

    enum Listing: Equatable {
        case rows([String], total: Int)
        case error(String, target: String)
    }

    @Test func everyDocumentedFilterNarrowsTheListingAndBadValuesAreBadArguments() async throws {
        try await Harness().run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let receipts = try (0 ..< 4).map { k in
                try chain.next { receipt in
                    if k == 2 {
                        receipt.buyer.id = "29001011234567"
                        receipt.buyer.name = "Ahmed_Buyer 100%"
                    }
                }
            }
            let numbers = receipts.map(\.receipt.header.receiptNumber)
            let response = try await client.submit(ReceiptChain.submission(receipts), token: token)
            let submission = try #require(response.json["submissionUUID"]?.string)
            let done = try await client.pollUntilDone(submission, token: token)
            #expect(done["status"]?.string == "Valid")
            let all = Listing.rows(numbers, total: 4)
            let none = Listing.rows([], total: 0)
            let third = Listing.rows([numbers[2]], total: 1)

            // Get Receipt Submission (06): every input of the SDK page.
            let details = "/api/v1/receiptsubmissions/\(submission)/details"
            let expectations: [(String, Listing)] = [
                ("", all),
                ("&ReceiverName=Ahmed_Buyer%20100%25", third),
                ("&ReceiverId=29001011234567", third),
                ("&DocumentTypeCode=S", all),
                ("&DocumentTypeCode=r", none),
                ("&DocumentTypeName=Sale%20Receipt", all),
                ("&DocumentTypeName=Receipt", all),
                ("&DocumentTypeName=Return%20Receipt", none),
                ("&DocumentTypeVersionNumber=1.2", all),
                ("&DocumentTypeVersionNumber=9.9", none),
                ("&DocumentId=\(receipts[1].uuid.uppercased())", .rows([numbers[1]], total: 1)),
                ("&ReceiptNumber=\(numbers[3])", .rows([numbers[3]], total: 1)),
                ("&Status=valid", all),
                ("&Status=Invalid", none),
                ("&SortBy=receiptNumber&SortDir=desc", .rows(numbers.reversed(), total: 4)),
                ("&sortby=ReceiptNumber&sortdir=asc", all),
                ("&SortBy=colour", .error("BadArgument", target: "SortBy")),
                ("&SortBy=receiptNumber&SortDir=up", .error("BadArgument", target: "SortDir")),
                ("&PageNo=2&PageSize=3", .rows([numbers[3]], total: 4)),
                ("&PageNo=2147483647", .rows([], total: 4)),
                ("&PageNo=2147483648", .error("BadArgument", target: "PageNo")),
                ("&PageNo=9223372036854775807", .error("BadArgument", target: "PageNo")),
                ("&PageNo=0", .error("BadArgument", target: "PageNo")),
            ]
            for (query, expected) in expectations {
                #expect(try await listing(client, details + "?" + query.dropFirst(), token: token) == expected, "06 \(query)")
            }

            // Search Receipts (07) and Get Recent Receipts (08).
            for api in ["search", "recent"] {
                let base = "/api/v1/receipts/\(api)?PageSize=10&SortBy=receiptNumber"
                let cases: [(String, Listing)] = [
                    ("", all),
                    ("&SubmissionChannel=POS", all),
                    ("&SubmissionChannel=ERP", none),
                    ("&DocumentTypeVersion=1.2", all),
                    ("&DocumentTypeVersion=9.9", none),
                    ("&DocumentTypeCode=s", all),
                    ("&DocumentTypeName=Return%20Receipt", none),
                    ("&ReceiverName=Ahmed_Buyer%20100%25", third),
                    ("&ReceiverRegisterationNumber=29001011234567", third),
                    ("&PosSerialNumber=DEMO-POS-1", all),
                    ("&DeviceSerialNumber=NO-SUCH-POS", none),
                    ("&SubmissionUuid=\(submission)", all),
                ("&ReceiverName=Ahmed_Buyer+100%25", third), // `+` is a space, as ASP.NET and every form encoder have it
                ("&DocumentTypeName=Sale+Receipt", all),
                ("&ReceiptNumber=\(numbers[0])%00junk", .error("BadArgument", target: "ReceiptNumber")),
                ("&Direction=Received", none),
                ("&direction=submitted", all),
                ("&Direction=sideways", .error("BadArgument", target: "Direction")),
                ("&DateTimeIssuedFrom=2026-11-02T00:00:00Z&DateTimeIssuedTo=2026-11-01T00:00:00Z", .error("BadArgument", target: "DateTimeIssuedTo")),
                    ("&SortDir=desc", .rows(numbers.reversed(), total: 4)),
                    ("&PageNo=9223372036854775807", .error("BadArgument", target: "PageNo")),
                    ("&PageNo=1000000", .rows([], total: 4)),
                ]
                for (query, expected) in cases {
                    #expect(try await listing(client, base + query, token: token) == expected, "\(api) \(query)")
                }
            }

            // FreeText: fragments of at least 5 characters, `*` a wildcard, `%` and `_` literal.
            let search = "/api/v1/receipts/search?PageSize=10&SortBy=receiptNumber"
            let fragment = String(numbers[2].dropFirst()) // "-3-" and 6 hex digits: no UUID holds a dash
            let freeText: [(String, Listing)] = [
                (fragment, third),
                (String(numbers[2].prefix(4)) + "*" + String(numbers[2].suffix(3)), third),
                ("T-1-", none),
                ("_____", none),
                ("%25%25%25%25%25", none),
                ("Buyer%20100%25", third),
                ("d_Buy", third),
                (String(receipts[0].uuid.prefix(12)), .rows([numbers[0]], total: 1)),
                ("*****", none), // wildcards alone are no fragment
                ("T-1*", none),
                (String(repeating: "x", count: 101), .error("BadArgument", target: "FreeText")),
                ("%00abcde", .error("BadArgument", target: "FreeText")),
            ]
            for (text, expected) in freeText {
                #expect(try await listing(client, search + "&FreeText=\(text)", token: token) == expected, "FreeText=\(text)")
            }
        }
    }
}
