import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import Testing

@Suite("Receipt builder")
struct ReceiptBuilderTests {
    static let issued = UTCDateTime("2026-11-23T10:00:00Z")!
    static let context = ValidationContext(now: UTCDateTime("2026-11-23T10:05:00Z")!)

    @Test(arguments: ReceiptExamples.Kind.allCases)
    func examplesAreValidAndHashWhatIsSent(_ kind: ReceiptExamples.Kind) throws {
        let built = try ReceiptExamples.receipt(kind, issued: Self.issued)
        let sent = try JSONParser().parse(built.json)
        #expect(ReceiptUUID.compute(sent.root) == built.uuid)
        #expect(sent.root["header"]?["uuid"]?.string == built.uuid)
        #expect(ReceiptValidator().validate(sent.root, context: Self.context).errors == [])
    }

    /// Property: whatever lines the SDK builds, the platform's validator accepts the receipt and
    /// recomputes the same UUID from the sent text, pretty-printed or compact.
    @Test func randomReceiptsAlwaysValidateAndHashTheSame() throws {
        var rng = SeededRandom(seed: 2026)
        var previous = ""
        for n in 0 ..< 300 {
            var lines: [ReceiptLine] = []
            for l in 0 ..< Int.random(in: 1 ... 8, using: &rng) {
                let quantity = Decimal(Int.random(in: 1 ... 99_999, using: &rng)) / 1000
                let price = Decimal(Int.random(in: 0 ... 9_999_999, using: &rng)) / 100
                var taxes: [ReceiptLine.Tax] = []
                if Bool.random(using: &rng) { taxes.append(ReceiptLine.Tax(taxType: "T2", subType: "Tbl01", rate: Decimal(Int.random(in: 0 ... 30, using: &rng)))) }
                if Bool.random(using: &rng) { taxes.append(.vat(Decimal([0, 5, 10, 14].randomElement(using: &rng)!))) }
                if Bool.random(using: &rng) { taxes.append(ReceiptLine.Tax(taxType: "T4", subType: "W001", rate: 1)) }
                let discounts = Bool.random(using: &rng) ? [Discount(amount: ETADecimal(Decimal(Int.random(in: 0 ... 100, using: &rng)) / 10), description: "d")] : []
                lines.append(ReceiptLine(internalCode: "I\(l)", description: "Item \(l) \"quoted\" وصف", itemCode: "6221218058490", quantity: quantity, unitPrice: price, commercialDiscounts: discounts, itemDiscounts: discounts, valueDifference: Bool.random(using: &rng) ? 1 : nil, taxes: taxes))
            }
            let header = ReceiptHeader(dateTimeIssued: Self.issued.iso8601, receiptNumber: "N\(n)", previousUUID: previous)
            let built = try ReceiptBuilder(header: header, seller: ReceiptExamples.demoSeller(), buyer: Buyer(type: "P", id: "29001011234567", name: "Test Buyer"), lines: lines).build()
            // The direct writer the builder uses writes what the Codable encoder writes, byte for byte.
            #expect(built.json == JSONWriter().bytes(try JSONValueEncoder().encode(built.receipt)))
            previous = built.uuid
            let sent = try JSONParser().parse(built.json)
            let report = ReceiptValidator().validate(sent.root, context: Self.context)
            #expect(report.errors == [], "receipt \(n): \(report.errors.map(\.message))")
            let pretty = JSONWriter(indent: 4).bytes(sent.root.value)
            #expect(ReceiptUUID.compute(try JSONParser().parse(pretty).root) == built.uuid)
        }
    }
}

@Suite("Token tree decoding")
struct TokenTreeDecodingTests {
    /// The direct reader and the Codable conformance read the same models.
    @Test(arguments: ReceiptExamples.Kind.allCases)
    func directReaderEqualsCodable(_ kind: ReceiptExamples.Kind) throws {
        let built = try ReceiptExamples.receipt(kind, issued: UTCDateTime("2026-11-23T10:00:00Z")!)
        var receipt = built.receipt
        receipt.header.orderdeliveryMode = "FC"
        receipt.contractor = Contractor(name: "c", amount: "1.50", rate: 2)
        receipt.beneficiary = Beneficiary(amount: "0.5", rate: "1.25")
        receipt.extraReceiptDiscountData = [Discount(amount: "1.00", description: "x", rate: 3)]
        receipt.itemData[0].additionalItemDiscount = Discount(amount: "0.10", description: "y")
        let node = try JSONParser().parse(JSONWriter().bytes(try JSONValueEncoder().encode(receipt))).root
        let direct = try Receipt(tokenTree: node)
        let codable = try JSONNodeDecoder().decode(Receipt.self, from: node)
        #expect(direct == codable)
        #expect(direct == receipt)
        #expect(throws: TokenTreeDecodingError.self) { try Receipt(tokenTree: try JSONParser().parse(#"{"header": 1}"#).root) }
    }
}
