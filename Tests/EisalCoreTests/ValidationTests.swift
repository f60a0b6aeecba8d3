import EisalCore
import Foundation
import Testing

/// One deliberate break of a rule: edits to the valid sample, the rule that must fire and the
/// exact property path it must report.
struct RuleBreak: Sendable, CustomTestStringConvertible {
    var rule: String
    var edits: [(String, JSONValue?)]
    var path: String
    var context: @Sendable (inout ValidationContext) -> Void = { _ in }
    var testDescription: String { "\(rule) @ \(path)" }
}

private func s(_ text: String) -> JSONValue { .string(text) }
private func n(_ text: String) -> JSONValue { .number(text) }

let ruleBreaks: [RuleBreak] = [
    RuleBreak(rule: "Structure.Required", edits: [("header.receiptNumber", nil)], path: "header.receiptNumber"),
    RuleBreak(rule: "Structure.Required", edits: [("seller.branchCode", s(""))], path: "seller.branchCode"),
    RuleBreak(rule: "Structure.Type", edits: [("itemData[0].quantity", s("2"))], path: "itemData[0].quantity"),
    RuleBreak(rule: "Structure.Type", edits: [("buyer", .null)], path: "buyer"),
    RuleBreak(rule: "Structure.Type", edits: [("paymentMethod", .bool(true))], path: "paymentMethod"),
    RuleBreak(rule: "Structure.MaxLength", edits: [("header.receiptNumber", s(String(repeating: "9", count: 51)))], path: "header.receiptNumber"),
    RuleBreak(rule: "Structure.Pattern", edits: [("seller.rin", s("10000001"))], path: "seller.rin"),
    RuleBreak(rule: "Structure.Pattern", edits: [("header.dateTimeIssued", s("2026-11-23 10:00:00"))], path: "header.dateTimeIssued"),
    RuleBreak(rule: "Structure.Pattern", edits: [("header.previousUUID", s("abc"))], path: "header.previousUUID"),
    RuleBreak(rule: "Structure.NumberFormat", edits: [("itemData[0].unitPrice", n("85.500001"))], path: "itemData[0].unitPrice"),
    RuleBreak(rule: "Structure.NumberFormat", edits: [("totalAmount", n("2.2415E2"))], path: "totalAmount"),
    RuleBreak(rule: "Structure.NumberFormat", edits: [("feesAmount", n("-0"))], path: "feesAmount"),
    RuleBreak(rule: "Structure.NumberFormat", edits: [("itemData[1].quantity", n("-0.000"))], path: "itemData[1].quantity"),
    RuleBreak(rule: "Structure.NonNegative", edits: [("itemData[0].unitPrice", n("-85.50"))], path: "itemData[0].unitPrice"),
    RuleBreak(rule: "Structure.NonNegative", edits: [("itemData[0].commercialDiscountData[0].amount", n("-5.00"))], path: "itemData[0].commercialDiscountData[0].amount"),
    RuleBreak(rule: "Structure.ItemCount", edits: [("itemData", .array([]))], path: "itemData"),
    RuleBreak(rule: "Structure.ItemCount", edits: [], path: "itemData", context: { $0.maximumItems = 1 }),
    RuleBreak(rule: "Structure.TypeVersion", edits: [("documentType.typeVersion", s("1.0"))], path: "documentType.typeVersion"),
    RuleBreak(rule: "Code.ReceiptType", edits: [("documentType.receiptType", s("x"))], path: "documentType.receiptType"),
    RuleBreak(rule: "Code.Currency", edits: [("header.currency", s("XYZ")), ("header.exchangeRate", n("1"))], path: "header.currency"),
    RuleBreak(rule: "Code.Country", edits: [("seller.branchAddress.country", s("ZZ"))], path: "seller.branchAddress.country"),
    RuleBreak(rule: "Code.ActivityCode", edits: [("seller.activityCode", s("9999"))], path: "seller.activityCode"),
    RuleBreak(rule: "Code.PaymentMethod", edits: [("paymentMethod", s("Cash"))], path: "paymentMethod"),
    RuleBreak(rule: "Code.BuyerType", edits: [("buyer.type", s("X"))], path: "buyer.type"),
    RuleBreak(rule: "Code.ItemType", edits: [("itemData[0].itemType", s("GTIN"))], path: "itemData[0].itemType"),
    RuleBreak(rule: "Code.ItemCode", edits: [("itemData[0].itemCode", s("12AB"))], path: "itemData[0].itemCode"),
    RuleBreak(rule: "Code.ItemCode", edits: [("itemData[1].itemCode", s("EG-CUP"))], path: "itemData[1].itemCode"),
    // Another taxpayer's EGS code (issue 14: the RIN part must be the issuer's).
    RuleBreak(rule: "Code.ItemCode", edits: [("itemData[1].itemCode", s("EG-200000002-CUP"))], path: "itemData[1].itemCode"),
    RuleBreak(rule: "Code.UnitType", edits: [("itemData[1].unitType", s("XX9"))], path: "itemData[1].unitType"),
    RuleBreak(rule: "Code.TaxType", edits: [("itemData[0].taxableItems[0].taxType", s("T99"))], path: "itemData[0].taxableItems[0].taxType"),
    RuleBreak(rule: "Code.TaxSubtype", edits: [("itemData[0].taxableItems[0].subType", s("W001"))], path: "itemData[0].taxableItems[0].subType"),
    RuleBreak(rule: "Code.OrderDeliveryMode", edits: [("header.orderdeliveryMode", s("AIR"))], path: "header.orderdeliveryMode"),
    RuleBreak(rule: "Code.OrderDeliveryMode", edits: [("documentType.receiptType", s("SR"))], path: "header.orderdeliveryMode"),
    RuleBreak(rule: "Code.ReturnReason", edits: [("documentType.receiptType", s("RWR"))], path: "header.documentUseReason"),
    RuleBreak(rule: "Code.ReturnReason", edits: [("header.documentUseReason", s("Z"))], path: "header.documentUseReason"),
    RuleBreak(rule: "Core.BuyerIdentity", edits: [("buyer.type", s("B"))], path: "buyer.id"),
    RuleBreak(rule: "Core.BuyerIdentity", edits: [("buyer.id", s("123"))], path: "buyer.id"),
    RuleBreak(rule: "Core.BuyerIdentity", edits: [], path: "buyer.name", context: { $0.buyerIdentificationThreshold = 100 }),
    // 224.15 USD at 1,000 EGP is over the 150,000 EGP threshold.
    RuleBreak(rule: "Core.BuyerIdentity", edits: [("header.currency", s("USD")), ("header.exchangeRate", n("1000"))], path: "buyer.name"),
    RuleBreak(rule: "Core.ExchangeRate", edits: [("header.currency", s("USD"))], path: "header.exchangeRate"),
    RuleBreak(rule: "Core.ReservedZero", edits: [("feesAmount", n("1"))], path: "feesAmount"),
    RuleBreak(rule: "Core.ReservedZero", edits: [("adjustment", n("0.01"))], path: "adjustment"),
    RuleBreak(rule: "Core.TaxTypeUnique", edits: [("taxTotals", .array([.object([("taxType", s("T1")), ("amount", n("27.65"))]), .object([("taxType", s("T1")), ("amount", n("0"))])]))], path: "taxTotals[1].taxType"),
    RuleBreak(rule: "Core.ReturnAmounts", edits: [("documentType.receiptType", s("r")), ("header.referenceUUID", s(String(repeating: "b", count: 64))), ("itemData[0].quantity", n("0"))],
              path: "itemData[0].quantity"),
    RuleBreak(rule: "Core.ReturnAmounts", edits: [("documentType.receiptType", s("RWR")), ("itemData[1].total", n("-1"))], path: "itemData[1].total"),
    RuleBreak(rule: "Core.ReturnAmounts", edits: [("documentType.receiptType", s("r")), ("header.referenceUUID", s(String(repeating: "b", count: 64))), ("totalAmount", n("0"))],
              path: "totalAmount"),
    RuleBreak(rule: "Calc.TotalSale", edits: [("itemData[0].totalSale", n("172.00"))], path: "itemData[0].totalSale"),
    RuleBreak(rule: "Calc.NetSale", edits: [("itemData[0].netSale", n("160.00"))], path: "itemData[0].netSale"),
    RuleBreak(rule: "Calc.T1Amount", edits: [("itemData[0].taxableItems[0].amount", n("30"))], path: "itemData[0].taxableItems[0].amount"),
    RuleBreak(rule: "Calc.LineTotal", edits: [("itemData[1].total", n("40"))], path: "itemData[1].total"),
    RuleBreak(rule: "Calc.TotalSales", edits: [("totalSales", n("210"))], path: "totalSales"),
    RuleBreak(rule: "Calc.TotalCommercialDiscount", edits: [("totalCommercialDiscount", n("6"))], path: "totalCommercialDiscount"),
    RuleBreak(rule: "Calc.TotalItemsDiscount", edits: [("totalItemsDiscount", n("3"))], path: "totalItemsDiscount"),
    RuleBreak(rule: "Calc.NetAmount", edits: [("netAmount", n("199"))], path: "netAmount"),
    RuleBreak(rule: "Calc.TaxTotals", edits: [("taxTotals[0].amount", n("29"))], path: "taxTotals[0].amount"),
    RuleBreak(rule: "Calc.TaxTotals", edits: [("taxTotals", nil)], path: "taxTotals"),
    RuleBreak(rule: "Calc.TotalAmount", edits: [("totalAmount", n("230"))], path: "totalAmount"),
    RuleBreak(rule: "Date.NotInFuture", edits: [("header.dateTimeIssued", s("2026-11-23T12:06:00Z"))], path: "header.dateTimeIssued"),
    RuleBreak(rule: "Date.SubmissionWindow", edits: [("header.dateTimeIssued", s("2026-11-22T11:59:59Z"))], path: "header.dateTimeIssued"),
    RuleBreak(rule: "Ref.ReturnReference", edits: [("documentType.receiptType", s("r"))], path: "header.referenceUUID"),
    RuleBreak(rule: "Ref.ReturnReference", edits: [("documentType.receiptType", s("R")), ("header.referenceUUID", s(String(repeating: "b", count: 64)))], path: "header.referenceUUID",
              context: { $0.referencedReceipt = { _ in nil } }),
    RuleBreak(rule: "Ref.ReturnReference", edits: [("documentType.receiptType", s("r")), ("header.referenceUUID", s(String(repeating: "b", count: 64)))], path: "totalAmount",
              context: { $0.referencedReceipt = { ReferencedReceipt(uuid: $0, sellerRIN: "100000001", dateTimeIssued: UTCDateTime("2026-11-01T00:00:00Z")!, totalAmount: 100, isValidSale: true) } }),
    RuleBreak(rule: "Ref.PreviousUUID", edits: [("header.uuid", s(String(repeating: "a", count: 64))), ("header.previousUUID", s(String(repeating: "A", count: 64)))], path: "header.previousUUID"),
]

@Suite("Receipt validation")
struct ValidationTests {
    func sample() throws -> JSONValue { try JSONParser().parse(SampleReceipt.sealed()).root.value }

    @Test func theSampleIsValid() throws {
        let doc = try JSONParser().parse(try SampleReceipt.sealed())
        let report = ReceiptValidator().validate(doc.root, context: SampleReceipt.context)
        #expect(report.errors == [])
        #expect(report.receipt?.itemData.count == 2)
        #expect(report.receipt?.itemData[0].unitPrice.lexeme == "85.50")
    }

    @Test(arguments: ruleBreaks)
    func eachRuleFiresWithItsExactPath(_ breaking: RuleBreak) throws {
        var value = try sample()
        for (path, newValue) in breaking.edits { value = value.setting(steps(path), to: newValue) }
        let doc = try JSONParser().parse(JSONWriter().bytes(value))
        var context = SampleReceipt.context
        breaking.context(&context)
        let errors = ReceiptValidator().validate(doc.root, context: context).errors
        #expect(errors.contains { $0.code == breaking.rule && $0.propertyPath == breaking.path }, "got \(errors.map { "\($0.code ?? "") @ \($0.propertyPath ?? "")" })")
        for error in errors {
            #expect(!error.message.isEmpty)
            #expect(error.target != nil)
        }
    }

    @Test func everyRuleIsBrokenByATest() {
        let tested = Set(ruleBreaks.map(\.rule))
        let all = Set(ValidationRule.all.map(\.id))
        #expect(all.subtracting(tested).isEmpty, "untested rules: \(all.subtracting(tested).sorted())")
        #expect(tested.subtracting(all).isEmpty)
    }

    @Test func toleranceIsAParameter() throws {
        let value = try sample().setting(steps("totalAmount"), to: .number("224.50"))
        let doc = try JSONParser().parse(JSONWriter().bytes(value))
        var strict = SampleReceipt.context
        strict.roundingTolerance = Decimal(string: "0.01")!
        #expect(ReceiptValidator().validate(doc.root, context: SampleReceipt.context).isValid)
        #expect(ReceiptValidator().validate(doc.root, context: strict).errors.map(\.code) == ["Calc.TotalAmount"])
    }

    /// At tolerance 0 a difference below the fifth decimal fails the rule, so the message must not
    /// round the computed amount back to the declared one.
    @Test func aZeroToleranceMessageShowsTheExactComputedAmount() throws {
        let value = try sample().setting(steps("itemData[0].quantity"), to: .number("3.33333")).setting(steps("itemData[0].unitPrice"), to: .number("1.11111"))
            .setting(steps("itemData[0].totalSale"), to: .number("3.7037"))
        var exact = SampleReceipt.context
        exact.roundingTolerance = 0
        let errors = ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(value)).root, context: exact).errors
        let totalSale = try #require(errors.first { $0.code == "Calc.TotalSale" && $0.propertyPath == "itemData[0].totalSale" })
        #expect(totalSale.message.contains("gives 3.7036962963 "), "\(totalSale.message)")
    }

    /// R-AXE sends this contractor on every receipt; no source marks its members required.
    @Test func contractorAndBeneficiaryMembersAreOptional() throws {
        for contractor: JSONValue in [.object([("name", .string("")), ("amount", .number("0.0")), ("rate", .number("0.0"))]), .object([])] {
            let value = try sample().setting(steps("contractor"), to: contractor).setting(steps("beneficiary"), to: .object([("amount", .number("0"))]))
            let errors = ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(value)).root, context: SampleReceipt.context).errors
            #expect(errors == [], "\(errors.map { "\($0.code ?? "") @ \($0.propertyPath ?? "")" })")
        }
    }

    @Test func referenceOldUUIDIsNotValidatedBeyondItsLength() throws {
        // spec/receipt-structure.md: referenceOldUUID is "not validated" [DOC*].
        let value = try sample().setting(steps("header.referenceOldUUID"), to: .string("not-a-uuid"))
        #expect(ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(value)).root, context: SampleReceipt.context).errors == [])
        let long = try sample().setting(steps("header.referenceOldUUID"), to: .string(String(repeating: "c", count: 65)))
        #expect(ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(long)).root, context: SampleReceipt.context).errors.map(\.code) == ["Structure.MaxLength"])
    }

    @Test func windowCanBeTurnedOffAndReferenceOldUUIDAllowsLateReceipts() throws {
        let old = try sample().setting(steps("header.dateTimeIssued"), to: .string("2026-11-01T00:00:00Z"))
        var context = SampleReceipt.context
        #expect(!ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(old)).root, context: context).isValid)
        let corrected = old.setting(steps("header.referenceOldUUID"), to: .string(String(repeating: "c", count: 64)))
        #expect(ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(corrected)).root, context: context).isValid)
        context.submissionWindow = nil
        #expect(ReceiptValidator().validate(try JSONParser().parse(JSONWriter().bytes(old)).root, context: context).isValid)
    }

    @Test func codeTablesAreComplete() {
        let t = CodeTables.shared
        #expect(t.taxTypes.entries.count == 12)
        #expect(t.nonTaxableTaxTypes.entries.count == 8)
        #expect(t.taxSubtypes.entries.count == 56)
        #expect(t.unitTypes.entries.count == 143)
        #expect(t.currencies.entries.count == 180)
        #expect(t.countries.entries.count == 251)
        #expect(t.activityCodes.entries.count == 435)
        #expect(t.paymentMethods.entries.map(\.code) == ["C", "V", "CC", "VC", "VO", "PR", "GC", "P", "O"])
        #expect(t.buyerTypes.entries.map(\.code) == ["B", "P", "F"])
        #expect(t.receiptTypes.contains("S") && t.receiptTypes.contains("rwr"))
        #expect(t.subtypeTaxType["V009"] == "T1")
    }

    @Test func dateTimes() {
        #expect(UTCDateTime("1970-01-01T00:00:00Z")?.secondsSinceEpoch == 0)
        #expect(UTCDateTime("2024-02-29T23:59:59.123Z")?.iso8601 == "2024-02-29T23:59:59Z")
        #expect(UTCDateTime("2023-02-29T00:00:00Z") == nil)
        #expect(UTCDateTime("2023-01-01T00:00:00+02:00") == nil)
        #expect(UTCDateTime("2015-02-13T13:15Z") == nil)
        #expect(UTCDateTime("2015-02-13T13:15Z", allowMissingSeconds: true)?.iso8601 == "2015-02-13T13:15:00Z")
    }

    @Test func decodedModelKeepsLexemesAndEncodesInOrder() throws {
        let doc = try JSONParser().parse(try SampleReceipt.sealed())
        let receipt = try JSONNodeDecoder().decode(Receipt.self, from: doc.root)
        let encoded = try JSONValueEncoder().encode(receipt)
        let again = try JSONParser().parse(JSONWriter().bytes(encoded))
        #expect(ReceiptUUID.compute(again.root) == ReceiptUUID.compute(doc.root))
        #expect(receipt.header.uuid == ReceiptUUID.compute(doc.root))
    }
}

@Suite("Encoder")
struct EncoderTests {
    struct Numbers: Codable, Equatable {
        var a: Int64
        var b: UInt8
        var c: Int32?
        var d: Double
        var e: Bool
        var f: [Int16]
    }

    @Test func encodesEveryScalarTypeWithoutRecursing() throws {
        let value = try JSONValueEncoder().encode(Numbers(a: 1_700_000_000, b: 7, c: nil, d: 10.5, e: true, f: [1, -2]))
        #expect(JSONWriter().string(value) == #"{"a":1700000000,"b":7,"d":10.5,"e":true,"f":[1,-2]}"#)
        let back = try JSONNodeDecoder().decode(Numbers.self, from: try JSONParser().parse(JSONWriter().bytes(value)).root)
        #expect(back == Numbers(a: 1_700_000_000, b: 7, c: nil, d: 10.5, e: true, f: [1, -2]))
    }
}

@Suite("Decimal lexemes")
struct DecimalLexemeTests {
    @Test(arguments: ["0", "-0", "10.50", "14.00", "0.00001", "-5", "13532.343", "999999999999999999", "123456789.123456789", "1e5", "-2.5E-3", "0.1234567890123456789"])
    func fastPathEqualsFoundationParsing(_ lexeme: String) throws {
        let d = try #require(ETADecimal(lexeme: lexeme))
        #expect(d.value == Decimal(string: lexeme, locale: Locale(identifier: "en_US_POSIX")))
        #expect(d.lexeme == lexeme)
    }
}
