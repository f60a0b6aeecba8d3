// Builds receipts whose amounts follow EisalCore's ReceiptLaw (the one calculation law the
// platform validates against) and whose UUID is computed over the exact text that will be sent.

import EisalCore
import Foundation

/// One line to put on a receipt; the builder computes `totalSale`, `netSale`, taxes and `total`.
public struct ReceiptLine: Sendable {
    /// A tax of the line.
    public struct Tax: Sendable {
        /// `T1` … `T20`.
        public var taxType: String
        /// Subtype of `taxType` (TaxSubtypes), e.g. `V009`.
        public var subType: String
        /// The rate in percent, e.g. 14.
        public var rate: Decimal
        /// Explicit amount; when `nil`, T1 follows ETA's VAT base and other types are
        /// `netSale × rate / 100`.
        public var amount: Decimal?

        /// A tax; `amount` nil lets the builder compute it.
        public init(taxType: String, subType: String, rate: Decimal, amount: Decimal? = nil) {
            self.taxType = taxType
            self.subType = subType
            self.rate = rate
            self.amount = amount
        }

        /// VAT (T1) at `rate` percent with subtype `V009` (general item sales) by default.
        public static func vat(_ rate: Decimal, subType: String = "V009") -> Tax { Tax(taxType: "T1", subType: subType, rate: rate) }
    }

    /// The seller's own code of the item.
    public var internalCode: String
    /// The item's description.
    public var description: String
    /// `GS1` or `EGS`.
    public var itemType: String
    /// The item's code under `itemType` (GS1: 8–14 digits; EGS: `EG-{RIN}-{code}`).
    public var itemCode: String
    /// UnitTypes code, e.g. `EA`.
    public var unitType: String
    /// How many units were sold.
    public var quantity: Decimal
    /// The price of one unit (`totalSale = quantity × unitPrice`).
    public var unitPrice: Decimal
    /// Discounts before tax, subtracted from `totalSale` to give `netSale` (`commercialDiscountData`).
    public var commercialDiscounts: [Discount]
    /// Discounts after tax, subtracted from the line's `total` (`itemDiscountData`).
    public var itemDiscounts: [Discount]
    /// Added to the VAT (T1) base; nil: none, and not written.
    public var valueDifference: Decimal?
    /// The line's taxes, in order (`taxableItems`).
    public var taxes: [Tax]

    /// A line. Defaults: `itemType` `GS1`, `unitType` `EA`, no discounts, no value difference, no taxes.
    public init(
        internalCode: String, description: String, itemType: String = "GS1", itemCode: String, unitType: String = "EA",
        quantity: Decimal, unitPrice: Decimal, commercialDiscounts: [Discount] = [], itemDiscounts: [Discount] = [],
        valueDifference: Decimal? = nil, taxes: [Tax] = []
    ) {
        self.internalCode = internalCode
        self.description = description
        self.itemType = itemType
        self.itemCode = itemCode
        self.unitType = unitType
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.commercialDiscounts = commercialDiscounts
        self.itemDiscounts = itemDiscounts
        self.valueDifference = valueDifference
        self.taxes = taxes
    }
}

/// A built receipt: the model and the exact JSON text whose hash is its UUID.
public struct BuiltReceipt: Sendable {
    /// The receipt with `header.uuid` filled in.
    public var receipt: Receipt
    /// The receipt's JSON text as it will be sent (compact).
    public var json: [UInt8]
    /// The receipt's UUID.
    public var uuid: String { receipt.header.uuid }

    /// A receipt made elsewhere: `json` is sent byte for byte, `receipt` is its model.
    public init(receipt: Receipt, json: [UInt8]) {
        self.receipt = receipt
        self.json = json
    }
}

/// Computes totals and the UUID of a receipt.
public struct ReceiptBuilder: Sendable {
    /// The receipt's header; its `uuid` is ignored (the builder computes it).
    public var header: ReceiptHeader
    /// The receipt's `documentType`.
    public var documentType: ReceiptDocumentType
    /// The receipt's `seller`.
    public var seller: Seller
    /// The receipt's `buyer`.
    public var buyer: Buyer
    /// The lines (`itemData`), in order.
    public var lines: [ReceiptLine]
    /// Receipt-level discounts, applied after tax (`extraReceiptDiscountData`).
    public var extraDiscounts: [Discount]
    /// Payment method code (`payment-methods.csv`).
    public var paymentMethod: String

    /// A builder. Defaults: receipt type `s` (sale), a natural-person buyer (`P`) without id, no
    /// extra discounts, payment method `C` (cash).
    public init(header: ReceiptHeader, documentType: ReceiptDocumentType = ReceiptDocumentType(receiptType: "s"), seller: Seller, buyer: Buyer = Buyer(type: "P"), lines: [ReceiptLine], extraDiscounts: [Discount] = [], paymentMethod: String = "C") {
        self.header = header
        self.documentType = documentType
        self.seller = seller
        self.buyer = buyer
        self.lines = lines
        self.extraDiscounts = extraDiscounts
        self.paymentMethod = paymentMethod
    }

    static func amount(_ d: Decimal) -> ETADecimal { ETADecimal(ReceiptLaw.round5(d)) }

    /// The receipt with every derived amount computed by EisalCore's ``ReceiptLaw`` (the law the
    /// platform validates against) and `header.uuid` still empty.
    public func receiptWithoutUUID() -> Receipt {
        var items: [ReceiptItem] = []
        var totalSales = Decimal(0), netAmount = Decimal(0), commercial = Decimal(0), itemDiscounts = Decimal(0)
        var lineTotals: [Decimal] = []
        var taxTotals: [(String, Decimal)] = []
        for line in lines {
            let lineCommercial = line.commercialDiscounts.reduce(Decimal(0)) { $0 + $1.amount.value }
            let lineItemDiscounts = line.itemDiscounts.reduce(Decimal(0)) { $0 + $1.amount.value }
            let amounts = ReceiptLaw.line(quantity: line.quantity, unitPrice: line.unitPrice, commercialDiscounts: lineCommercial, itemDiscounts: lineItemDiscounts,
                                          valueDifference: line.valueDifference ?? 0,
                                          taxes: line.taxes.map { ReceiptLaw.Tax(taxType: $0.taxType, rate: $0.rate, amount: $0.amount) })
            let taxable = zip(line.taxes, amounts.taxAmounts).map { TaxableItem(taxType: $0.taxType, amount: ETADecimal($1), subType: $0.subType, rate: ETADecimal($0.rate)) }
            for item in taxable {
                if let i = taxTotals.firstIndex(where: { $0.0 == item.taxType }) { taxTotals[i].1 += item.amount.value } else { taxTotals.append((item.taxType, item.amount.value)) }
            }
            items.append(ReceiptItem(
                internalCode: line.internalCode, description: line.description, itemType: line.itemType, itemCode: line.itemCode,
                unitType: line.unitType, quantity: ETADecimal(line.quantity), unitPrice: ETADecimal(line.unitPrice),
                netSale: ETADecimal(amounts.netSale), totalSale: ETADecimal(amounts.totalSale), total: ETADecimal(amounts.total),
                commercialDiscountData: line.commercialDiscounts.isEmpty ? nil : line.commercialDiscounts,
                itemDiscountData: line.itemDiscounts.isEmpty ? nil : line.itemDiscounts,
                valueDifference: line.valueDifference.map { ETADecimal($0) },
                taxableItems: taxable.isEmpty ? nil : taxable
            ))
            totalSales += amounts.totalSale
            netAmount += amounts.netSale
            commercial += lineCommercial
            itemDiscounts += lineItemDiscounts
            lineTotals.append(amounts.total)
        }
        let extra = extraDiscounts.reduce(Decimal(0)) { $0 + $1.amount.value }
        var header = header
        header.uuid = ""
        return Receipt(
            header: header, documentType: documentType, seller: seller, buyer: buyer, itemData: items,
            totalSales: Self.amount(totalSales), totalCommercialDiscount: Self.amount(commercial), totalItemsDiscount: Self.amount(itemDiscounts),
            extraReceiptDiscountData: extraDiscounts.isEmpty ? nil : extraDiscounts,
            netAmount: Self.amount(netAmount), feesAmount: 0, totalAmount: ETADecimal(ReceiptLaw.totalAmount(lineTotals: lineTotals, extraDiscounts: extra)),
            taxTotals: taxTotals.isEmpty ? nil : taxTotals.map { TaxTotal(taxType: $0.0, amount: Self.amount($0.1)) },
            paymentMethod: paymentMethod, adjustment: 0
        )
    }

    /// Builds the receipt: computes totals, writes the JSON text, hashes it with `header.uuid`
    /// blank and fills the UUID in. The returned `json` hashes to `uuid`.
    public func build() throws -> BuiltReceipt {
        try Self.seal(receiptWithoutUUID())
    }

    /// Fills in `header.uuid` of `receipt` from the text it will be sent as.
    public static func seal(_ receipt: Receipt) throws -> BuiltReceipt {
        var receipt = receipt
        receipt.header.uuid = ""
        var text = receipt.jsonBytes()
        let document = try JSONParser().parse(text)
        let uuid = ReceiptUUID.compute(document.root)
        receipt.header.uuid = uuid
        // The UUID goes into the text where `header.uuid` is (its `""`), so the receipt is
        // encoded once; the rest of the text is what was hashed.
        guard let range = document.root["header"]?["uuid"]?.byteRange else { throw ReceiptBuilderError.noUUIDMember }
        text.replaceSubrange(range, with: Array("\"\(uuid)\"".utf8))
        return BuiltReceipt(receipt: receipt, json: text)
    }
}

/// Why a receipt could not be built.
public enum ReceiptBuilderError: Error, Sendable {
    /// The encoded receipt has no `header.uuid` member to fill in.
    case noUUIDMember
}
