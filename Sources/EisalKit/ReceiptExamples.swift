// Example receipts that pass full validation, for `eisal receipt example`, the quick start and
// tests. The demo seller matches the demo taxpayer the platform creates on first start.

import EisalCore
import Foundation

/// Ready-made valid receipts.
public enum ReceiptExamples {
    /// Which example.
    public enum Kind: String, Sendable, CaseIterable {
        case sale
        case `return`
        case returnWithoutReference = "return-without-reference"
    }

    /// The demo seller (RIN 100000001, branch 0, POS `DEMO-POS-1`).
    public static func demoSeller(rin: String = "100000001", deviceSerialNumber: String = "DEMO-POS-1") -> Seller {
        Seller(
            rin: rin, companyTradeName: "Eisal Demo Trading", branchCode: "0",
            branchAddress: BranchAddress(country: "EG", governate: "Cairo", regionCity: "Nasr City", street: "Abbas El Akkad", buildingNumber: "12"),
            deviceSerialNumber: deviceSerialNumber, activityCode: "4620"
        )
    }

    /// Two lines with VAT and a commercial discount.
    public static func saleLines() -> [ReceiptLine] {
        [
            ReceiptLine(internalCode: "SKU-1", description: "Coffee beans 250g", itemCode: "6221218058490", quantity: 2, unitPrice: Decimal(string: "85.50")!, commercialDiscounts: [Discount(amount: "5.00", description: "Loyalty")], taxes: [.vat(14)]),
            ReceiptLine(internalCode: "SKU-2", description: "Paper cups \"large\"", itemCode: "6221218058506", quantity: 3, unitPrice: Decimal(string: "10.5")!, taxes: [.vat(14)]),
        ]
    }

    /// A valid example of `kind`, issued at `issued`.
    public static func receipt(_ kind: Kind, issued: UTCDateTime, number: String = "R-0001", previousUUID: String = "", referenceUUID: String? = nil, seller: Seller = demoSeller()) throws -> BuiltReceipt {
        var header = ReceiptHeader(dateTimeIssued: issued.iso8601, receiptNumber: number, previousUUID: previousUUID)
        var type = ReceiptDocumentType(receiptType: "s")
        switch kind {
        case .sale:
            break
        case .return:
            type.receiptType = "r"
            header.referenceUUID = referenceUUID ?? String(repeating: "ab", count: 32)
        case .returnWithoutReference:
            type.receiptType = "RWR"
            header.documentUseReason = "B"
        }
        return try ReceiptBuilder(header: header, documentType: type, seller: seller, lines: saleLines()).build()
    }
}
