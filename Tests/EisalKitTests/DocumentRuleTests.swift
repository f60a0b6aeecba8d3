import EisalCore
import EisalKit
import Foundation
import Testing

/// Every invoice document rule, broken on purpose in an otherwise valid document: the rule
/// reports at the exact property path (issue 17, "Must show").
@Suite("Invoice document rules, each broken on purpose")
struct DocumentRuleTests {
    static let issued = UTCDateTime("2026-11-30T08:00:00Z")!
    static let context = ValidationContext(now: UTCDateTime(secondsSinceEpoch: issued.secondsSinceEpoch + 3600), submissionWindow: 7 * 86_400)

    static func validate(_ text: String, context: ValidationContext = context) throws -> [ETAError] {
        InvoiceValidator().validate(try JSONParser().parse(Array(text.utf8)).root, context: context).errors
    }

    /// Replaces the first occurrence of `old` (which must occur).
    static func replacing(_ old: String, _ new: String) -> @Sendable (String) -> String {
        { text in
            guard let range = text.range(of: old) else { Issue.record("'\(old)' is not in the example"); return text }
            return text.replacingCharacters(in: range, with: new)
        }
    }

    struct Breakage: Sendable, CustomTestStringConvertible {
        var rule: String
        var path: String
        var kind: InvoiceKind = .invoice
        var change: @Sendable (String) -> String
        var testDescription: String { "\(rule) at \(path)" }
    }

    static let line0T1 = #"{"taxType":"T1","amount":25.20,"subType":"V009","rate":14}"#

    static let breakages: [Breakage] = [
        Breakage(rule: "Structure.Required", path: "internalID", change: replacing(#""internalID":"INV-0001","#, "")),
        Breakage(rule: "Structure.Type", path: "invoiceLines[0].quantity", change: replacing(#""quantity":2.00"#, #""quantity":"2.00""#)),
        Breakage(rule: "Structure.MaxLength", path: "internalID", change: replacing("INV-0001", String(repeating: "9", count: 51))),
        Breakage(rule: "Structure.Pattern", path: "issuer.id", change: replacing(#""id":"100000001""#, #""id":"10000000X""#)),
        Breakage(rule: "Structure.NumberFormat", path: "invoiceLines[0].unitValue.amountEGP", change: replacing(#""amountEGP":100.00"#, #""amountEGP":1E2"#)),
        Breakage(rule: "Structure.NonNegative", path: "invoiceLines[0].itemsDiscount", change: replacing(#""itemsDiscount":0.00"#, #""itemsDiscount":-1.00"#)),
        Breakage(rule: "Structure.ItemCount", path: "invoiceLines", change: { text in
            let start = text.range(of: #""invoiceLines":["#)!.upperBound, end = text.range(of: #"],"totalDiscountAmount""#)!.lowerBound
            return text.replacingCharacters(in: start ..< end, with: "")
        }),
        Breakage(rule: "Structure.TypeVersion", path: "documentTypeVersion", change: replacing(#""documentTypeVersion":"1.0""#, #""documentTypeVersion":"1.1""#)),
        Breakage(rule: "Code.DocumentType", path: "documentType", change: replacing(#""documentType":"i""#, #""documentType":"x""#)),
        Breakage(rule: "Code.PartyType", path: "receiver.type", change: replacing(#""type":"B","id":"100000002""#, #""type":"X","id":"100000002""#)),
        Breakage(rule: "Code.Country", path: "receiver.address.country", change: replacing(#""country":"EG","governate":"Giza""#, #""country":"ZZ","governate":"Giza""#)),
        Breakage(rule: "Code.ActivityCode", path: "taxpayerActivityCode", change: replacing(#""taxpayerActivityCode":"4620""#, #""taxpayerActivityCode":"0001""#)),
        Breakage(rule: "Code.Currency", path: "invoiceLines[0].unitValue.currencySold", change: replacing(#""currencySold":"EGP""#, #""currencySold":"XQZ""#)),
        Breakage(rule: "Code.ItemType", path: "invoiceLines[0].itemType", change: replacing(#""itemType":"GS1""#, #""itemType":"GPC""#)),
        Breakage(rule: "Code.ItemCode", path: "invoiceLines[1].itemCode", change: replacing("EG-100000001-SRV1", "EG-100000009-SRV1")),
        Breakage(rule: "Code.UnitType", path: "invoiceLines[0].unitType", change: replacing(#""unitType":"EA""#, #""unitType":"QQQ""#)),
        Breakage(rule: "Code.TaxType", path: "invoiceLines[0].taxableItems[0].taxType", change: replacing(line0T1, #"{"taxType":"T99","amount":25.20,"subType":"V009","rate":14}"#)),
        Breakage(rule: "Code.TaxSubtype", path: "invoiceLines[0].taxableItems[0].subType", change: replacing(line0T1, #"{"taxType":"T1","amount":25.20,"subType":"W004","rate":14}"#)),
        Breakage(rule: "Core.IssuerBranch", path: "issuer.address.branchID", change: replacing(#""branchID":"0","#, "")),
        Breakage(rule: "Core.ReceiverIdentity", path: "receiver.id", change: replacing(#""id":"100000002""#, #""id":"100000001""#)),
        Breakage(rule: "Core.ExchangeRate", path: "invoiceLines[0].unitValue.currencyExchangeRate",
                 change: replacing(#""currencySold":"EGP","amountEGP":100.00"#, #""currencySold":"USD","amountEGP":100.00,"amountSold":5.00"#)),
        Breakage(rule: "Core.Quantity", path: "invoiceLines[0].quantity", change: replacing(#""quantity":2.00"#, #""quantity":0.00"#)),
        Breakage(rule: "Core.TaxTypeUnique", path: "taxTotals[1].taxType", change: replacing(#"{"taxType":"T4","amount":0.50}]"#, #"{"taxType":"T1","amount":0.50}]"#)),
        Breakage(rule: "Core.References", path: "references", kind: .creditNote, change: { $0 }),
        Breakage(rule: "Core.ExportFields", path: "serviceDeliveryDate", kind: .exportInvoice, change: { text in
            text.replacingOccurrences(of: #"("serviceDeliveryDate":")[0-9-]+"#, with: "$1 2026-13-01", options: .regularExpression)
        }),
        Breakage(rule: "Calc.AmountEGP", path: "invoiceLines[0].unitValue.amountEGP",
                 change: replacing(#""currencySold":"EGP","amountEGP":100.00"#, #""currencySold":"USD","amountEGP":100.00,"amountSold":5.00,"currencyExchangeRate":20.50"#)),
        Breakage(rule: "Calc.SalesTotal", path: "invoiceLines[0].salesTotal", change: replacing(#""salesTotal":200.00"#, #""salesTotal":210.00"#)),
        Breakage(rule: "Calc.Discount", path: "invoiceLines[0].discount.amount", change: replacing(#""amount":20.00}"#, #""amount":22.00}"#)),
        Breakage(rule: "Calc.NetTotal", path: "invoiceLines[0].netTotal", change: replacing(#""netTotal":180.00"#, #""netTotal":181.00"#)),
        Breakage(rule: "Calc.TotalTaxableFees", path: "invoiceLines[0].totalTaxableFees", change: replacing(#""totalTaxableFees":0.00"#, #""totalTaxableFees":5.00"#)),
        Breakage(rule: "Calc.T1Amount", path: "invoiceLines[0].taxableItems[0].amount", change: replacing(line0T1, #"{"taxType":"T1","amount":30.20,"subType":"V009","rate":14}"#)),
        Breakage(rule: "Calc.T2Amount", path: "invoiceLines[0].taxableItems[1].amount",
                 change: replacing(line0T1, line0T1 + #",{"taxType":"T2","amount":1.00,"subType":"Tbl01","rate":5}"#)),
        Breakage(rule: "Calc.T4Amount", path: "invoiceLines[1].taxableItems[1].amount", change: replacing(#""amount":0.50,"subType":"W004""#, #""amount":3.50,"subType":"W004""#)),
        Breakage(rule: "Calc.RateTaxAmount", path: "invoiceLines[0].taxableItems[1].amount",
                 change: replacing(line0T1, line0T1 + #",{"taxType":"T13","amount":1.00,"subType":"ST03","rate":10}"#)),
        Breakage(rule: "Calc.LineTotal", path: "invoiceLines[0].total", change: replacing(#""total":205.20"#, #""total":215.20"#)),
        Breakage(rule: "Calc.TotalSalesAmount", path: "totalSalesAmount", change: replacing(#""totalSalesAmount":250.00"#, #""totalSalesAmount":260.00"#)),
        Breakage(rule: "Calc.TotalDiscountAmount", path: "totalDiscountAmount", change: replacing(#""totalDiscountAmount":20.00"#, #""totalDiscountAmount":25.00"#)),
        Breakage(rule: "Calc.NetAmount", path: "netAmount", change: replacing(#""netAmount":230.00"#, #""netAmount":240.00"#)),
        Breakage(rule: "Calc.TotalItemsDiscountAmount", path: "totalItemsDiscountAmount", change: replacing(#""totalItemsDiscountAmount":0.00"#, #""totalItemsDiscountAmount":3.00"#)),
        Breakage(rule: "Calc.TaxTotals", path: "taxTotals[0].amount", change: replacing(#"{"taxType":"T1","amount":32.20}"#, #"{"taxType":"T1","amount":37.20}"#)),
        Breakage(rule: "Calc.TotalAmount", path: "totalAmount", change: replacing(#""totalAmount":261.70"#, #""totalAmount":266.70"#)),
    ]

    @Test func theExamplesAreValid() throws {
        for kind in InvoiceKind.allCases {
            let references = kind.needsReferences ? [String(repeating: "ab", count: 32)] : []
            let text = DocumentExamples.text(kind, issued: Self.issued, references: references)
            #expect(try Self.validate(text).isEmpty, "\(kind)")
        }
        for scale in [1, 3, 7, 1000] {
            #expect(try Self.validate(DocumentExamples.text(issued: Self.issued, scale: scale)).isEmpty, "scale \(scale)")
        }
    }

    @Test(arguments: breakages)
    func aBrokenRuleIsReportedAtItsPath(_ breakage: Breakage) throws {
        let text = breakage.change(DocumentExamples.text(breakage.kind, issued: Self.issued))
        let errors = try Self.validate(text)
        #expect(errors.contains { $0.code == breakage.rule && $0.propertyPath == breakage.path },
                "got \(errors.map { "\($0.code ?? "") @ \($0.propertyPath ?? "")" })")
    }

    @Test func everyRuleOfTheCatalogueIsBrokenByOneTest() {
        let tested = Set(Self.breakages.map(\.rule)).union(["Date.NotInFuture", "Date.SubmissionWindow", "Ref.DocumentReference"])
        #expect(Set(ValidationRule.Invoice.all.map(\.id)) == tested)
    }

    @Test func datesAreJudgedAgainstTheClockAndTheWindow() throws {
        let text = DocumentExamples.text(issued: Self.issued)
        let before = ValidationContext(now: UTCDateTime(secondsSinceEpoch: Self.issued.secondsSinceEpoch - 86_400))
        #expect(try Self.validate(text, context: before).map(\.code) == ["Date.NotInFuture"])
        #expect(try Self.validate(text, context: before).first?.propertyPath == "dateTimeIssued")
        let late = ValidationContext(now: UTCDateTime(secondsSinceEpoch: Self.issued.secondsSinceEpoch + 8 * 86_400), submissionWindow: 7 * 86_400)
        #expect(try Self.validate(text, context: late).map(\.code) == ["Date.SubmissionWindow"])
    }

    @Test func referencesNameValidInvoicesOfTheSameIssuerAndReceiver() throws {
        let invoice = String(repeating: "a1", count: 32), foreign = String(repeating: "b2", count: 32), invalid = String(repeating: "c3", count: 32),
            note = String(repeating: "d4", count: 32), unknown = String(repeating: "e5", count: 32)
        let known: [String: ReferencedDocument] = [
            invoice: ReferencedDocument(uuid: invoice, issuerRIN: "100000001", receiverID: "100000002", documentType: "i", isValid: true),
            foreign: ReferencedDocument(uuid: foreign, issuerRIN: "100000001", receiverID: "100000003", documentType: "i", isValid: true),
            invalid: ReferencedDocument(uuid: invalid, issuerRIN: "100000001", receiverID: "100000002", documentType: "i", isValid: false),
            note: ReferencedDocument(uuid: note, issuerRIN: "100000001", receiverID: "100000002", documentType: "c", isValid: true),
            unknown: ReferencedDocument(uuid: unknown, issuerRIN: "300000003", receiverID: "100000002", documentType: "c", isValid: false),
        ]
        var context = Self.context
        context.referencedDocument = { known[$0] }
        let ok = DocumentExamples.text(.creditNote, issued: Self.issued, references: [invoice])
        #expect(try Self.validate(ok, context: context).isEmpty)
        let bad = DocumentExamples.text(.creditNote, issued: Self.issued, references: [foreign, invalid, note, unknown])
        let errors = try Self.validate(bad, context: context)
        #expect(errors.map(\.code) == Array(repeating: "Ref.DocumentReference", count: 4))
        #expect(errors.map(\.propertyPath) == ["references[0]", "references[1]", "references[2]", "references[3]"])
        // Another issuer's document reads as unknown: nothing about it is told.
        #expect(errors[3].message == "Reference \(unknown) does not name a document of this issuer.")
        // A debit note may refer to an earlier debit note.
        let debit = DocumentExamples.text(.debitNote, issued: Self.issued, references: [invoice])
        #expect(try Self.validate(debit, context: context).isEmpty)
    }

    @Test func uuidIsTheDigestOfTheTextWithoutSignatures() throws {
        let plain = try JSONParser().parse(Array(DocumentExamples.text(issued: Self.issued).utf8)).root
        let signed = try JSONParser().parse(Array(DocumentExamples.text(issued: Self.issued, signatureValue: "MIIB").utf8)).root
        #expect(DocumentUUID.compute(plain) == DocumentUUID.compute(signed))
        #expect(DocumentUUID.compute(plain).count == 64)
        #expect(!DocumentUUID.canonicalText(signed).contains("SIGNATURES"))
    }
}

/// The token-tree reader agrees with the Codable reference, and the equations give the same
/// findings whichever arithmetic decides them.
@Suite("Invoice documents: fast paths agree with the reference")
struct InvoiceFastPathTests {
    @Test func theTapeReaderReadsWhatCodableReads() throws {
        for kind in InvoiceKind.allCases {
            for scale in [1, 7, 977] {
                let text = DocumentExamples.text(kind, issued: DocumentRuleTests.issued, scale: scale, references: kind.needsReferences ? [String(repeating: "ab", count: 32), String(repeating: "cd", count: 32)] : [],
                                                 signatureValue: scale == 7 ? "MIIB" : nil)
                let node = try JSONParser().parse(Array(text.utf8)).root
                #expect(try InvoiceDocument(tokenTree: node) == JSONNodeDecoder().decode(InvoiceDocument.self, from: node))
            }
        }
    }

    @Test func aNumberTooLongForFixedPointIsJudgedExactly() throws {
        // 40 digits do not fit 128-bit fixed point: the Decimal path decides, with the same rule and path.
        let long = "1" + String(repeating: "0", count: 39) + ".00"
        let text = DocumentExamples.text(issued: DocumentRuleTests.issued).replacingOccurrences(of: #""totalAmount":261.70"#, with: #""totalAmount":\#(long)"#)
        let errors = try DocumentRuleTests.validate(text)
        #expect(errors.map(\.code) == ["Calc.TotalAmount"] && errors.first?.propertyPath == "totalAmount")
    }
}

/// The UUID explainer on document digests (issue 17, item 1): the digest a signer computed the
/// wrong way is traced to the mistake, as for receipt UUIDs.
@Suite("Invoice documents: the digest explainer")
struct DocumentDigestExplainerTests {
    static func digest(_ node: JSONNode, _ change: (inout CanonicalStyle) -> Void, root: CanonicalRoot = .document) -> String {
        var style = CanonicalStyle.eta
        change(&style)
        return ReceiptUUID.hexDigest(CanonicalSerializer(style: style).bytes(node, root: root))
    }

    @Test func eachWrongSerializationIsNamed() throws {
        let text = DocumentExamples.text(issued: DocumentRuleTests.issued, signatureValue: "MIIBsignature")
        let node = try JSONParser().parse(Array(text.utf8)).root
        let cases: [(String, String)] = [
            ("sortedKeys", Self.digest(node) { $0.memberOrder = .sorted }),
            ("namesNotUpperCased", Self.digest(node) { $0.names = .asWritten }),
            ("floatNumbersShortest", Self.digest(node) { $0.numbers = .shortestDouble }),
            ("signaturesHashed", Self.digest(node, { _ in }, root: .receipt)),
        ]
        for (id, claimed) in cases {
            let explanation = UUIDExplainer.explainDocument(node, claimed: claimed)
            #expect(explanation.verdict == .knownMistake && explanation.mistakes.map(\.id) == [id], "\(id): \(explanation.mistakes.map(\.id))")
        }
        let right = UUIDExplainer.explainDocument(node, claimed: DocumentUUID.compute(node))
        #expect(right.verdict == .correct)
        // Two mistakes at once.
        let both = Self.digest(node, { $0.memberOrder = .sorted; $0.numbers = .shortestDouble })
        #expect(Set(UUIDExplainer.explainDocument(node, claimed: both).mistakes.map(\.id)) == ["sortedKeys", "floatNumbersShortest"])
        // The receipt page's catalogue is unchanged by the document-only mistake.
        #expect(!UUIDMistake.catalogue.contains(UUIDMistake.signaturesHashed))
    }
}
