// Realistic, valid, varied receipts for a POS (`eisal submit --generate N`, the benchmarks and
// integrators' load tests): 1–6 lines from a small shop catalogue, quantities and discounts
// varied, VAT 14 % (some lines exempt), the `previousUUID` chain kept by ``POSReceiptChain``. The
// variation is a pure function of the receipt's index, so a run can be repeated exactly.

import EisalCore
import Foundation

/// Makes valid receipts of one seller and POS.
public struct ReceiptGenerator: Sendable {
    /// The seller (its `deviceSerialNumber` is the POS).
    public var seller: Seller
    /// The receipts' `dateTimeIssued`.
    public var issued: UTCDateTime
    /// Receipt numbers are `prefix` + the index.
    public var numberPrefix: String

    /// A generator of receipts of `seller` issued at `issued`. Default prefix `G-`.
    public init(seller: Seller, issued: UTCDateTime, numberPrefix: String = "G-") {
        self.seller = seller
        self.issued = issued
        self.numberPrefix = numberPrefix
    }

    /// The catalogue: (code, description, GS1 code, price, VAT rate or nil for exempt).
    static let catalogue: [(String, String, String, String, Decimal?)] = [
        ("SKU-1", "Coffee beans 250g", "6221218058490", "85.50", 14), ("SKU-2", "Paper cups \"large\"", "6221218058506", "10.50", 14),
        ("SKU-3", "Bottled water 1.5L", "6221218058513", "7.25", 14), ("SKU-4", "Bread (baladi)", "6221218058520", "1.00", nil),
        ("SKU-5", "Olive oil 1L", "6221218058537", "189.99", 14), ("SKU-6", "Dates 500g", "6221218058544", "64.00", nil),
        ("SKU-7", "Tea 100 bags", "6221218058551", "42.75", 14), ("SKU-8", "Sugar 1kg", "6221218058568", "31.40", 14),
    ]

    /// The `index`-th receipt, naming `previousUUID`.
    public func receipt(_ index: Int, previousUUID: String) throws -> BuiltReceipt {
        var mix = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            mix ^= mix >> 29
            mix = mix &* 0xBF58_476D_1CE4_E5B9
            return Int(mix % UInt64(bound))
        }
        let lineCount = 1 + next(6)
        let lines = (0 ..< lineCount).map { k -> ReceiptLine in
            let item = Self.catalogue[(index + k * 3 + next(8)) % Self.catalogue.count]
            let quantity = Decimal(1 + next(5))
            let discounts = next(4) == 0 ? [Discount(amount: "1.00", description: "Promotion")] : []
            return ReceiptLine(internalCode: item.0, description: item.1, itemCode: item.2, quantity: quantity, unitPrice: Decimal(string: item.3)!,
                               commercialDiscounts: discounts, taxes: item.4.map { [.vat($0)] } ?? [.vat(0, subType: "V003")])
        }
        let header = ReceiptHeader(dateTimeIssued: issued.iso8601, receiptNumber: "\(numberPrefix)\(index)", previousUUID: previousUUID)
        return try ReceiptBuilder(header: header, seller: seller, lines: lines, paymentMethod: ["C", "V", "C", "CC"][next(4)]).build()
    }
}
