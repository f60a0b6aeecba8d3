// Example invoice documents (type version 1.0 or 0.9) that pass full validation, for `eisal
// document example`, the quick start and tests. Two lines: goods with a 10 % discount and VAT
// (T1, subtype V009), and a service with VAT and withholding tax (T4, subtype W004). Amounts are
// written as JSON text with fixed decimals, so the text (and the UUID) is the same on every run.
// The demo issuer matches the demo taxpayer the platform creates on first start.

import EisalCore
import Foundation

/// Ready-made valid invoice documents.
public enum DocumentExamples {
    /// Parties and numbers of one example.
    public struct Parties: Sendable {
        /// The issuer's registration number (`issuer.id`).
        public var issuerRIN: String
        /// The issuer's name (`issuer.name`).
        public var issuerName: String
        /// The receiver's registration number (`receiver.id`; the receiver is a business, type `B`).
        public var receiverRIN: String
        /// The receiver's name (`receiver.name`).
        public var receiverName: String

        /// Parties; by default the demo taxpayer (`100000001`) issues to `100000002`.
        public init(issuerRIN: String = "100000001", issuerName: String = "Eisal Demo Trading", receiverRIN: String = "100000002", receiverName: String = "Eisal Demo Buyer") {
            self.issuerRIN = issuerRIN
            self.issuerName = issuerName
            self.receiverRIN = receiverRIN
            self.receiverName = receiverName
        }
    }

    /// A valid document of `type` as JSON text. `scale` multiplies the quantities (1 … 1,000,000),
    /// so examples of one issuer can differ in amount; credit and debit notes need `references`.
    public static func text(_ type: InvoiceKind = .invoice, version: String = "1.0", parties: Parties = Parties(), internalID: String = "INV-0001",
                            issued: UTCDateTime, scale: Int = 1, references: [String] = [], signatureValue: String? = nil) -> String {
        let q1 = Decimal(2 * scale), q2 = Decimal(scale)
        // Line 1: goods, 100.00 EGP each, 10 % discount, VAT 14 %.
        let sales1 = q1 * 100, discount1 = sales1 / 10, net1 = sales1 - discount1, vat1 = net1 * 14 / 100, total1 = net1 + vat1
        // Line 2: a service, 50.00 EGP, VAT 14 %, withholding 1 %.
        let sales2 = q2 * 50, net2 = sales2, vat2 = net2 * 14 / 100, wht2 = net2 / 100, total2 = net2 + vat2 - wht2
        func n(_ d: Decimal) -> String { Self.fixed(d) }
        let referencesText = references.isEmpty ? "" : #","references":["# + references.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        // Export types carry the date the service was delivered (the issue date's day).
        let serviceDate = type.isExport ? #""serviceDeliveryDate":"\#(issued.iso8601.prefix(10))","# : ""
        let signature = signatureValue.map { #","signatures":[{"signatureType":"I","value":"\#($0)"}]"# } ?? ""
        return """
        {"issuer":{"address":{"branchID":"0","country":"EG","governate":"Cairo","regionCity":"Nasr City","street":"Abbas El Akkad","buildingNumber":"12"},\
        "type":"B","id":"\(parties.issuerRIN)","name":"\(parties.issuerName)"},\
        "receiver":{"address":{"country":"EG","governate":"Giza","regionCity":"Dokki","street":"Tahrir","buildingNumber":"5"},\
        "type":"B","id":"\(parties.receiverRIN)","name":"\(parties.receiverName)"},\
        "documentType":"\(type.rawValue)","documentTypeVersion":"\(version)","dateTimeIssued":"\(issued.iso8601)",\(serviceDate)"taxpayerActivityCode":"4620",\
        "internalID":"\(internalID)","invoiceLines":[\
        {"description":"Coffee beans 1kg","itemType":"GS1","itemCode":"6221218058490","unitType":"EA","quantity":\(n(q1)),"internalCode":"SKU-1",\
        "salesTotal":\(n(sales1)),"total":\(n(total1)),"valueDifference":0.00,"totalTaxableFees":0.00,"netTotal":\(n(net1)),"itemsDiscount":0.00,\
        "unitValue":{"currencySold":"EGP","amountEGP":100.00},"discount":{"rate":10,"amount":\(n(discount1))},\
        "taxableItems":[{"taxType":"T1","amount":\(n(vat1)),"subType":"V009","rate":14}]},\
        {"description":"Delivery service","itemType":"EGS","itemCode":"EG-\(parties.issuerRIN)-SRV1","unitType":"EA","quantity":\(n(q2)),"internalCode":"SRV-1",\
        "salesTotal":\(n(sales2)),"total":\(n(total2)),"valueDifference":0.00,"totalTaxableFees":0.00,"netTotal":\(n(net2)),"itemsDiscount":0.00,\
        "unitValue":{"currencySold":"EGP","amountEGP":50.00},"discount":{"rate":0,"amount":0.00},\
        "taxableItems":[{"taxType":"T1","amount":\(n(vat2)),"subType":"V009","rate":14},{"taxType":"T4","amount":\(n(wht2)),"subType":"W004","rate":1}]}],\
        "totalDiscountAmount":\(n(discount1)),"totalSalesAmount":\(n(sales1 + sales2)),"netAmount":\(n(net1 + net2)),\
        "taxTotals":[{"taxType":"T1","amount":\(n(vat1 + vat2))},{"taxType":"T4","amount":\(n(wht2))}],\
        "totalAmount":\(n(total1 + total2)),"extraDiscountAmount":0.00,"totalItemsDiscountAmount":0.00\(referencesText)\(signature)}
        """
    }

    /// A submission body (`{"documents": [...]}`) of `documents` (JSON texts).
    public static func submission(_ documents: [String]) -> String {
        #"{"documents":["# + documents.joined(separator: ",") + "]}"
    }

    /// `d` with exactly two decimals (the examples' amounts have at most two).
    static func fixed(_ d: Decimal) -> String {
        var value = d, rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .plain)
        let text = "\(rounded)"
        guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return decimals >= 2 ? text : text + String(repeating: "0", count: 2 - decimals)
    }
}
