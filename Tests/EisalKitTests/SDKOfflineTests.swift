import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import Testing

/// The SDK's offline parts: generated receipts always validate; the POS chain survives a restart
/// and refuses a receipt that does not continue it; batches respect both limits.
@Suite("EisalKit offline: generator, chain file, batches")
struct SDKOfflineTests {
    static let issued = UTCDateTime("2026-11-23T10:00:00Z")!
    static let context = ValidationContext(now: UTCDateTime("2026-11-23T10:05:00Z")!)

    @Test func generatedReceiptsAlwaysValidateAndHashWhatIsSent() throws {
        let generator = ReceiptGenerator(seller: ReceiptExamples.demoSeller(), issued: Self.issued)
        var previous = ""
        var sizes: Set<Int> = []
        for k in 0 ..< 500 {
            let built = try generator.receipt(k, previousUUID: previous)
            let sent = try JSONParser().parse(built.json)
            #expect(ReceiptUUID.compute(sent.root) == built.uuid)
            #expect(ReceiptValidator().validate(sent.root, context: Self.context).errors == [], "receipt \(k)")
            sizes.insert(built.receipt.itemData.count)
            previous = built.uuid
        }
        #expect(sizes == Set(1 ... 6), "varied line counts")
        // The same index gives the same receipt (a run can be repeated).
        #expect(try generator.receipt(42, previousUUID: "").json == (try generator.receipt(42, previousUUID: "").json))
    }

    @Test func theChainFileSurvivesARestartAndRefusesABrokenLink() async throws {
        let directory = try TemporaryDirectory("chain")
        defer { directory.remove() }
        let generator = ReceiptGenerator(seller: ReceiptExamples.demoSeller(), issued: Self.issued)
        let path = directory.file("chain.json")
        let first = try await POSReceiptChain(path: path).next(3, of: "POS-1") { previous, k in try generator.receipt(k, previousUUID: previous) }
        #expect(first[0].receipt.header.previousUUID == "" && first[1].receipt.header.previousUUID == first[0].uuid)
        let reopened = try POSReceiptChain(path: path)
        #expect(await reopened.previousUUID(of: "POS-1") == first[2].uuid)
        #expect(await reopened.count(of: "POS-1") == 3)
        #expect(await reopened.previousUUID(of: "POS-2") == "")
        await #expect(throws: POSReceiptChainError.self) {
            try await reopened.next(1, of: "POS-1") { _, k in try generator.receipt(k, previousUUID: "") }
        }
        #expect(await reopened.previousUUID(of: "POS-1") == first[2].uuid, "a refused receipt does not move the chain")
    }

    @Test func batchesRespectTheCountAndTheByteLimit() async throws {
        let generator = ReceiptGenerator(seller: ReceiptExamples.demoSeller(), issued: Self.issued)
        var previous = ""
        let receipts = try (0 ..< 1200).map { k in
            let r = try generator.receipt(k, previousUUID: previous)
            previous = r.uuid
            return r
        }
        let client = EisalClient(configuration: .init(apiBaseURL: "http://127.0.0.1:9", clientID: "x", clientSecret: "y"))
        #expect(ReceiptSubmitter(client: client).batches(receipts).map(\.count) == [500, 500, 200])
        var small = SubmitterConfiguration()
        small.maximumBytes = 100_000
        let batches = ReceiptSubmitter(client: client, configuration: small).batches(receipts)
        #expect(batches.allSatisfy { EisalClient.receiptSubmissionBody($0.map(\.json)).count <= 100_000 })
        #expect(batches.flatMap { $0 }.map(\.uuid) == receipts.map(\.uuid))
        try await client.shutdown()
    }
}

@Suite("Receipt.jsonBytes equals the Codable encoding")
struct DirectReceiptWriterTests {
    @Test func everyOptionalMemberAndEscapeIsWrittenAsCodableWritesIt() throws {
        var receipt = try ReceiptExamples.receipt(.return, issued: SDKOfflineTests.issued).receipt
        receipt.header.referenceOldUUID = "old"
        receipt.header.documentUseReason = "B"
        receipt.header.salesIssuedDateTime = "2026-11-22T10:00:00Z"
        receipt.header.sOrderNameCode = "so\\1\"x\u{0001}"
        receipt.header.orderdeliveryMode = "FC"
        receipt.header.grossWeight = "1.500"
        receipt.header.netWeight = "1.25"
        receipt.seller.syndicateLicenseNumber = "S-1"
        receipt.seller.branchAddress.postalCode = "11311"
        receipt.seller.branchAddress.floor = "2"
        receipt.seller.branchAddress.room = "7"
        receipt.seller.branchAddress.landmark = "near the mosque مسجد"
        receipt.seller.branchAddress.additionalInformation = "\t tab"
        receipt.buyer = Buyer(type: "F", id: "P123", name: "Buyer", mobileNumber: "+20100", paymentNumber: "987")
        receipt.extraReceiptDiscountData = [Discount(amount: "1.00", description: "extra", rate: "10")]
        receipt.itemData[0].additionalCommercialDiscount = Discount(amount: "0.50", description: "a")
        receipt.itemData[0].additionalItemDiscount = Discount(amount: "0.25", description: "b")
        receipt.itemData[0].itemDiscountData = [Discount(amount: "1", description: "c")]
        receipt.itemData[0].valueDifference = "0.00"
        receipt.contractor = Contractor(name: "C", amount: "5", rate: "1")
        receipt.beneficiary = Beneficiary(amount: "2", rate: "0.5")
        #expect(receipt.jsonBytes() == JSONWriter().bytes(try JSONValueEncoder().encode(receipt)))
        var bare = receipt
        bare.header.exchangeRate = nil
        bare.totalCommercialDiscount = nil
        bare.totalItemsDiscount = nil
        bare.feesAmount = nil
        bare.adjustment = nil
        bare.taxTotals = nil
        bare.itemData[0].taxableItems = nil
        bare.itemData[0].commercialDiscountData = nil
        bare.contractor = Contractor(name: nil, amount: nil, rate: nil)
        #expect(bare.jsonBytes() == JSONWriter().bytes(try JSONValueEncoder().encode(bare)))
    }
}
