// Receipt type version 1.2: sale receipt (`s`), return receipt (`r`), retail receipt (`SR`)
// and return receipt without reference (`RWR`).
// Sources: ETA SDK /documents/shipping-return-receipt-v1-2/ (core table shared by the v1.2
// receipt types), /documents/receipt-v1-2/, /documents/return-receipt-v1-2/, /main-calculations/;
// field spellings and order from ETA's sample batch (shared/spec/examples/
// receipt-v1.2.eta-sample.submission.json) and shared/spec/receipt-structure.md.
// Property declaration order = ETA's sample order, so encoding writes members in that order.
//
// Return without reference: the code `RWR`, `header.documentUseReason` (ReturnWithNoReference
// reason I/B) and `header.salesIssuedDateTime` are quoted by public clients (a POS client and
// Odoo's point-of-sale module), not read on an ETA page: a stand-in decision.

/// One receipt (an element of `receipts[]`), receipt type version 1.2.
public struct Receipt: Codable, Sendable, Hashable {
    public var header: ReceiptHeader
    public var documentType: ReceiptDocumentType
    public var seller: Seller
    public var buyer: Buyer
    public var itemData: [ReceiptItem]
    /// Σ line `totalSale`.
    public var totalSales: ETADecimal
    /// Σ line commercial discounts.
    public var totalCommercialDiscount: ETADecimal?
    /// Σ line item discounts.
    public var totalItemsDiscount: ETADecimal?
    /// Receipt-level discounts, applied after tax.
    public var extraReceiptDiscountData: [Discount]?
    /// Σ line `netSale`.
    public var netAmount: ETADecimal
    /// Accepts only 0.
    public var feesAmount: ETADecimal?
    /// Σ line `total` − Σ `extraReceiptDiscountData.amount`.
    public var totalAmount: ETADecimal
    public var taxTotals: [TaxTotal]?
    /// Payment method code (`payment-methods.csv`).
    public var paymentMethod: String
    /// Reserved: accepts only 0.
    public var adjustment: ETADecimal?
    public var contractor: Contractor?
    public var beneficiary: Beneficiary?

    public init(
        header: ReceiptHeader, documentType: ReceiptDocumentType, seller: Seller, buyer: Buyer,
        itemData: [ReceiptItem], totalSales: ETADecimal, totalCommercialDiscount: ETADecimal? = nil,
        totalItemsDiscount: ETADecimal? = nil, extraReceiptDiscountData: [Discount]? = nil,
        netAmount: ETADecimal, feesAmount: ETADecimal? = nil, totalAmount: ETADecimal,
        taxTotals: [TaxTotal]? = nil, paymentMethod: String, adjustment: ETADecimal? = nil,
        contractor: Contractor? = nil, beneficiary: Beneficiary? = nil
    ) {
        self.header = header
        self.documentType = documentType
        self.seller = seller
        self.buyer = buyer
        self.itemData = itemData
        self.totalSales = totalSales
        self.totalCommercialDiscount = totalCommercialDiscount
        self.totalItemsDiscount = totalItemsDiscount
        self.extraReceiptDiscountData = extraReceiptDiscountData
        self.netAmount = netAmount
        self.feesAmount = feesAmount
        self.totalAmount = totalAmount
        self.taxTotals = taxTotals
        self.paymentMethod = paymentMethod
        self.adjustment = adjustment
        self.contractor = contractor
        self.beneficiary = beneficiary
    }
}

/// `header` of a receipt.
public struct ReceiptHeader: Codable, Sendable, Hashable {
    /// UTC ISO-8601 with `Z`, e.g. `2022-02-03T00:00:00Z`.
    public var dateTimeIssued: String
    /// The POS/ERP receipt number (≤ 50).
    public var receiptNumber: String
    /// Lower-case hex SHA-256 of the receipt (see ``ReceiptUUID``).
    public var uuid: String
    /// UUID of the previous receipt of the same POS; `""` for its first receipt.
    public var previousUUID: String
    /// Return receipts: UUID of the sale receipt being returned.
    public var referenceUUID: String?
    /// UUID of an invalid receipt that this one corrects.
    public var referenceOldUUID: String?
    /// Return without reference: reason code (`I` international, `B` sale before adoption).
    public var documentUseReason: String?
    /// Return without reference: when the original sale was issued.
    public var salesIssuedDateTime: String?
    /// ISO 4217 currency code.
    public var currency: String
    /// Rate to EGP; mandatory when `currency` is not EGP.
    public var exchangeRate: ETADecimal?
    public var sOrderNameCode: String?
    /// `FC`, `TO` or `TC`; mandatory on `SR` receipts. Note the lower-case `d`.
    public var orderdeliveryMode: String?
    public var grossWeight: ETADecimal?
    public var netWeight: ETADecimal?

    public init(
        dateTimeIssued: String, receiptNumber: String, uuid: String = "", previousUUID: String = "",
        referenceUUID: String? = nil, referenceOldUUID: String? = nil, documentUseReason: String? = nil,
        salesIssuedDateTime: String? = nil, currency: String = "EGP", exchangeRate: ETADecimal? = 0,
        sOrderNameCode: String? = nil, orderdeliveryMode: String? = nil,
        grossWeight: ETADecimal? = nil, netWeight: ETADecimal? = nil
    ) {
        self.dateTimeIssued = dateTimeIssued
        self.receiptNumber = receiptNumber
        self.uuid = uuid
        self.previousUUID = previousUUID
        self.referenceUUID = referenceUUID
        self.referenceOldUUID = referenceOldUUID
        self.documentUseReason = documentUseReason
        self.salesIssuedDateTime = salesIssuedDateTime
        self.currency = currency
        self.exchangeRate = exchangeRate
        self.sOrderNameCode = sOrderNameCode
        self.orderdeliveryMode = orderdeliveryMode
        self.grossWeight = grossWeight
        self.netWeight = netWeight
    }
}

/// `documentType` of a receipt.
public struct ReceiptDocumentType: Codable, Sendable, Hashable {
    /// Receipt type code (`s`, `r`, `SR`, `RWR`); compared case-insensitively.
    public var receiptType: String
    /// `"1.2"`.
    public var typeVersion: String

    public init(receiptType: String, typeVersion: String = "1.2") {
        self.receiptType = receiptType
        self.typeVersion = typeVersion
    }
}

/// The receipt types Eisal knows.
public enum ReceiptKind: String, Sendable, CaseIterable {
    case sale = "s"
    case `return` = "r"
    case retail = "SR"
    case returnWithoutReference = "RWR"

    /// The kind of a `receiptType` code, compared case-insensitively (stand-in decision).
    public init?(code: String) {
        // ASCII case folding without allocating: codes are ASCII, and this runs for every receipt.
        func same(_ a: String, _ b: String) -> Bool {
            a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { ($0 | 0x20) == ($1 | 0x20) && ($0 >= 65 || $0 == $1) }
        }
        guard let kind = ReceiptKind.allCases.first(where: { same($0.rawValue, code) }) else { return nil }
        self = kind
    }

    /// Whether this is a return (amounts refer to goods coming back).
    public var isReturn: Bool { self == .return || self == .returnWithoutReference }
}

/// `seller` of a receipt.
public struct Seller: Codable, Sendable, Hashable {
    /// Taxpayer registration number, 9 digits.
    public var rin: String
    public var companyTradeName: String
    /// Branch id from the taxpayer profile (head office often `0`).
    public var branchCode: String
    public var branchAddress: BranchAddress
    /// POS serial; equals the `posserial` login header.
    public var deviceSerialNumber: String
    public var syndicateLicenseNumber: String?
    /// Taxpayer activity code (ActivityCodes).
    public var activityCode: String

    public init(rin: String, companyTradeName: String, branchCode: String, branchAddress: BranchAddress, deviceSerialNumber: String, syndicateLicenseNumber: String? = nil, activityCode: String) {
        self.rin = rin
        self.companyTradeName = companyTradeName
        self.branchCode = branchCode
        self.branchAddress = branchAddress
        self.deviceSerialNumber = deviceSerialNumber
        self.syndicateLicenseNumber = syndicateLicenseNumber
        self.activityCode = activityCode
    }
}

/// `seller.branchAddress`.
public struct BranchAddress: Codable, Sendable, Hashable {
    /// ISO 3166-1 alpha-2 (`EG`).
    public var country: String
    public var governate: String
    public var regionCity: String
    public var street: String
    public var buildingNumber: String
    public var postalCode: String?
    public var floor: String?
    public var room: String?
    public var landmark: String?
    public var additionalInformation: String?

    public init(country: String = "EG", governate: String, regionCity: String, street: String, buildingNumber: String, postalCode: String? = nil, floor: String? = nil, room: String? = nil, landmark: String? = nil, additionalInformation: String? = nil) {
        self.country = country
        self.governate = governate
        self.regionCity = regionCity
        self.street = street
        self.buildingNumber = buildingNumber
        self.postalCode = postalCode
        self.floor = floor
        self.room = room
        self.landmark = landmark
        self.additionalInformation = additionalInformation
    }
}

/// `buyer` of a receipt.
public struct Buyer: Codable, Sendable, Hashable {
    /// `B` business in Egypt, `P` natural person, `F` foreigner.
    public var type: String
    /// `B`: 9-digit RIN; `P`: 14-digit national id.
    public var id: String?
    public var name: String?
    public var mobileNumber: String?
    public var paymentNumber: String?

    public init(type: String, id: String? = nil, name: String? = nil, mobileNumber: String? = nil, paymentNumber: String? = nil) {
        self.type = type
        self.id = id
        self.name = name
        self.mobileNumber = mobileNumber
        self.paymentNumber = paymentNumber
    }
}

/// One line of `itemData`.
public struct ReceiptItem: Codable, Sendable, Hashable {
    public var internalCode: String
    public var description: String
    /// `GS1` or `EGS`.
    public var itemType: String
    public var itemCode: String
    /// UnitTypes code.
    public var unitType: String
    public var quantity: ETADecimal
    public var unitPrice: ETADecimal
    /// `totalSale − Σ commercial discounts − additionalCommercialDiscount`.
    public var netSale: ETADecimal
    /// `quantity × unitPrice`.
    public var totalSale: ETADecimal
    /// Line total (main-calculations r17).
    public var total: ETADecimal
    public var commercialDiscountData: [Discount]?
    public var itemDiscountData: [Discount]?
    public var additionalCommercialDiscount: Discount?
    public var additionalItemDiscount: Discount?
    public var valueDifference: ETADecimal?
    public var taxableItems: [TaxableItem]?

    public init(
        internalCode: String, description: String, itemType: String, itemCode: String, unitType: String,
        quantity: ETADecimal, unitPrice: ETADecimal, netSale: ETADecimal, totalSale: ETADecimal, total: ETADecimal,
        commercialDiscountData: [Discount]? = nil, itemDiscountData: [Discount]? = nil,
        additionalCommercialDiscount: Discount? = nil, additionalItemDiscount: Discount? = nil,
        valueDifference: ETADecimal? = nil, taxableItems: [TaxableItem]? = nil
    ) {
        self.internalCode = internalCode
        self.description = description
        self.itemType = itemType
        self.itemCode = itemCode
        self.unitType = unitType
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.netSale = netSale
        self.totalSale = totalSale
        self.total = total
        self.commercialDiscountData = commercialDiscountData
        self.itemDiscountData = itemDiscountData
        self.additionalCommercialDiscount = additionalCommercialDiscount
        self.additionalItemDiscount = additionalItemDiscount
        self.valueDifference = valueDifference
        self.taxableItems = taxableItems
    }
}

/// A discount (commercial, item, additional, or extra receipt discount).
public struct Discount: Codable, Sendable, Hashable {
    public var amount: ETADecimal
    public var description: String
    public var rate: ETADecimal?

    public init(amount: ETADecimal, description: String, rate: ETADecimal? = nil) {
        self.amount = amount
        self.description = description
        self.rate = rate
    }
}

/// One tax of a line.
public struct TaxableItem: Codable, Sendable, Hashable {
    /// `T1` … `T20`.
    public var taxType: String
    public var amount: ETADecimal
    /// Subtype of `taxType` (TaxSubtypes).
    public var subType: String
    public var rate: ETADecimal

    public init(taxType: String, amount: ETADecimal, subType: String, rate: ETADecimal) {
        self.taxType = taxType
        self.amount = amount
        self.subType = subType
        self.rate = rate
    }
}

/// Per tax type total of a receipt.
public struct TaxTotal: Codable, Sendable, Hashable {
    public var taxType: String
    public var amount: ETADecimal

    public init(taxType: String, amount: ETADecimal) {
        self.taxType = taxType
        self.amount = amount
    }
}

/// A contractor taking part of the payment (payment methods `CC`, `VC`).
public struct Contractor: Codable, Sendable, Hashable {
    public var name: String?
    public var amount: ETADecimal?
    public var rate: ETADecimal?

    public init(name: String? = nil, amount: ETADecimal? = nil, rate: ETADecimal? = nil) {
        self.name = name
        self.amount = amount
        self.rate = rate
    }
}

/// A beneficiary of the payment.
public struct Beneficiary: Codable, Sendable, Hashable {
    public var amount: ETADecimal?
    public var rate: ETADecimal?

    public init(amount: ETADecimal? = nil, rate: ETADecimal? = nil) {
        self.amount = amount
        self.rate = rate
    }
}
