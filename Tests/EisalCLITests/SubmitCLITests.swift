import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import Testing

/// `eisal submit|status|receipts|token` as a user runs them against a real `eisal serve` (issue 19).
@Suite("eisal submit and the taxpayer commands (real processes)")
struct SubmitCLITests {
    /// The `/connect/token` requests the platform served, read from its Prometheus metrics.
    static func tokenRequests(_ base: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 24))
        return text.split(separator: "\n").filter { $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/connect/token""#) && $0.contains(#"http_response_status_code="200""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
    }

    static func posConnection(_ directory: TemporaryDirectory, _ server: ServerProcess) throws -> [String] {
        let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("demo-credentials.json"))))).root)
        let pos = try #require(credentials.first { $0.posSerial != nil })
        return ["--base", server.base, "--client-id", pos.clientID, "--client-secret", pos.clientSecret, "--pos-serial", pos.posSerial!,
                "--pos-os-version", pos.posOSVersion ?? "", "--preshared-key", pos.presharedKey ?? "", "--token-cache", directory.file("token.json")]
    }

    @Test func generateTenThousandShowsProgressAndACorrectSummaryWithOneLogin() async throws {
        let directory = try TemporaryDirectory("submit-cli")
        defer { directory.remove() }
        let server = try ServerProcess(arguments: ["--database", directory.file("eisal.sqlite")])
        defer { server.stop() }
        let connection = try Self.posConnection(directory, server)
        let run = try EisalBinary.run(["submit", "--generate", "10000", "--chain", directory.file("chain.json")] + connection)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("sent 10000/10000  accepted 10000  rejected 0"), "\(run.stderr)")
        #expect(run.stdout.contains("sent 10000 receipts in 20 submissions") && run.stdout.contains("token requests: 1"), "\(run.stdout)")
        #expect(run.stdout.contains("accepted 10000, rejected 0"))
        #expect(run.stdout.contains("final statuses: Valid 10000 "), "\(run.stdout)")
        #expect(try await Self.tokenRequests(server.base) == 1)

        // The next run continues the POS's chain and reuses the kept token; JSON for scripts.
        let again = try EisalBinary.run(["submit", "--generate", "50", "--batch-size", "20", "--json", "--chain", directory.file("chain.json")] + connection)
        #expect(again.status == 0, "\(again.stderr)")
        let summary = try JSONParser().parse(Array(again.stdout.utf8)).root
        #expect(summary["accepted"]?.numberLexeme == "50" && summary["submissions"]?.numberLexeme == "3" && summary["statuses"]?["Valid"]?.numberLexeme == "50", "\(again.stdout)")
        #expect(summary["tokenRequests"]?.numberLexeme == "0", "the kept token was used")
        let token = try EisalBinary.run(["token"] + connection)
        #expect(token.status == 0 && token.stdout.hasPrefix("eyJ"))
        let recent = try EisalBinary.run(["receipts", "recent", "--param", "PageSize=5"] + connection)
        #expect(recent.status == 0 && recent.stdout.hasPrefix("10050 receipts"), "\(recent.stdout) \(recent.stderr)")
        let now = Int64(Date().timeIntervalSince1970)
        let search = try EisalBinary.run(["receipts", "search", "--from", UTCDateTime(secondsSinceEpoch: now - 3600).iso8601, "--to", UTCDateTime(secondsSinceEpoch: now + 60).iso8601,
                                          "--param", "PageSize=3"] + connection)
        #expect(search.status == 0 && search.stdout.hasPrefix("10050 receipts"), "\(search.stdout) \(search.stderr)")
        #expect(try await Self.tokenRequests(server.base) == 1, "four more runs, no new login")

        // A receipt that breaks a rule: rejected or invalid, exit 1, grouped by code and path.
        let bad = try EisalBinary.run(["receipt", "example", "--number", "BAD-1"]).stdout.replacingOccurrences(of: #""paymentMethod": "C""#, with: #""paymentMethod": "ZZ""#)
        let file = directory.file("bad.json")
        try Data(bad.utf8).write(to: URL(fileURLWithPath: file))
        let refused = try EisalBinary.run(["submit", file] + connection)
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains("rejected 1") || refused.stdout.contains("invalid 1"), "\(refused.stdout)")
    }

    /// A failed run does not move the POS's chain, and a kept token is never given to other credentials.
    @Test func aFailedRunLeavesTheChainAndOtherCredentialsGetNoKeptToken() async throws {
        let directory = try TemporaryDirectory("submit-fail")
        defer { directory.remove() }
        let server = try ServerProcess(arguments: ["--database", directory.file("eisal.sqlite")])
        defer { server.stop() }
        let connection = try Self.posConnection(directory, server)
        let chain = directory.file("chain.json")
        #expect(try EisalBinary.run(["submit", "--generate", "2", "--chain", chain] + connection).status == 0)
        let head = try String(contentsOfFile: chain, encoding: .utf8)
        // The same token file, a wrong secret: the kept token is not used, the login is refused (exit 1), the chain stays.
        var wrong = connection
        wrong[wrong.firstIndex(of: "--client-secret")! + 1] = "wrong-secret"
        let refused = try EisalBinary.run(["submit", "--generate", "3", "--chain", chain] + wrong)
        #expect(refused.status == 1 && refused.stderr.contains("login refused"), "\(refused.stdout) \(refused.stderr)")
        #expect(try String(contentsOfFile: chain, encoding: .utf8) == head, "the chain moved past receipts the platform never saw")
        #expect(try EisalBinary.run(["token"] + wrong).status == 1)
        // The next good run continues the chain from the last accepted receipt: every receipt Valid.
        let next = try EisalBinary.run(["submit", "--generate", "2", "--chain", chain] + connection)
        #expect(next.status == 0 && next.stdout.contains("final statuses: Valid 2 "), "\(next.stdout) \(next.stderr)")
    }

    /// A receipt built by the SDK and the same receipt written by hand (other whitespace, same
    /// values and lexemes) have one UUID: in the SDK, in `eisal receipt uuid` and on the platform.
    @Test func sdkAndHandWrittenReceiptsShareOneUUIDEverywhere() async throws {
        let directory = try TemporaryDirectory("uuid-everywhere")
        defer { directory.remove() }
        let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
        let built = try ReceiptExamples.receipt(.sale, issued: issued, number: "HAND-1")
        let hand = """
        { "header": { "dateTimeIssued": "\(issued.iso8601)", "receiptNumber": "HAND-1", "uuid": "UUID", "previousUUID": "", "currency": "EGP", "exchangeRate": 0 },
          "documentType": { "receiptType": "s", "typeVersion": "1.2" },
          "seller": { "rin": "100000001", "companyTradeName": "Eisal Demo Trading", "branchCode": "0",
                      "branchAddress": { "country": "EG", "governate": "Cairo", "regionCity": "Nasr City", "street": "Abbas El Akkad", "buildingNumber": "12" },
                      "deviceSerialNumber": "DEMO-POS-1", "activityCode": "4620" },
          "buyer": { "type": "P" },
          "itemData": [
            { "internalCode": "SKU-1", "description": "Coffee beans 250g", "itemType": "GS1", "itemCode": "6221218058490", "unitType": "EA",
              "quantity": 2, "unitPrice": 85.5, "netSale": 166, "totalSale": 171, "total": 189.24,
              "commercialDiscountData": [ { "amount": 5.00, "description": "Loyalty" } ],
              "taxableItems": [ { "taxType": "T1", "amount": 23.24, "subType": "V009", "rate": 14 } ] },
            { "internalCode": "SKU-2", "description": "Paper cups \\"large\\"", "itemType": "GS1", "itemCode": "6221218058506", "unitType": "EA",
              "quantity": 3, "unitPrice": 10.5, "netSale": 31.5, "totalSale": 31.5, "total": 35.91,
              "taxableItems": [ { "taxType": "T1", "amount": 4.41, "subType": "V009", "rate": 14 } ] } ],
          "totalSales": 202.5, "totalCommercialDiscount": 5, "totalItemsDiscount": 0, "netAmount": 197.5, "feesAmount": 0, "totalAmount": 225.15,
          "taxTotals": [ { "taxType": "T1", "amount": 27.65 } ], "paymentMethod": "C", "adjustment": 0 }
        """
        let blank = hand.replacingOccurrences(of: #""uuid": "UUID""#, with: #""uuid": """#)
        #expect(ReceiptUUID.compute(try JSONParser().parse(Array(blank.utf8)).root) == built.uuid, "SDK")
        let file = directory.file("hand.json")
        try Data(blank.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try EisalBinary.run(["receipt", "uuid", file]).stdout == built.uuid + "\n", "eisal receipt uuid")

        let server = try ServerProcess(arguments: ["--database", directory.file("eisal.sqlite")])
        defer { server.stop() }
        let connection = try Self.posConnection(directory, server)
        let sealed = hand.replacingOccurrences(of: #""uuid": "UUID""#, with: #""uuid": "\#(built.uuid)""#)
        try Data(sealed.utf8).write(to: URL(fileURLWithPath: file))
        let submitted = try EisalBinary.run(["submit", file, "--json"] + connection)
        #expect(submitted.status == 0, "\(submitted.stdout) \(submitted.stderr)")
        let get = try EisalBinary.run(["receipts", "get", built.uuid] + connection)
        #expect(get.status == 0 && get.stdout.contains(#""uuid": "\#(built.uuid)""#), "platform: \(get.stdout) \(get.stderr)")
    }
}
