// The structure of receipt type version 1.2 as data: each member, its type, whether it is
// mandatory, its maximum length and pattern.
// Sources: ETA SDK /documents/shipping-return-receipt-v1-2/ (core table), /main-calculations/
// r1 (RIN 9 digits), r5–r22 (≤ 5 decimals), lengths as transcribed in spec/receipt-structure.md
// (R-ETMAN §2–3, R-SERVE eta-wire.ts).

/// What a member may hold.
indirect enum FieldKind: Sendable {
    case string(maxLength: Int, pattern: FieldPattern? = nil, allowEmpty: Bool = false)
    /// A JSON number; `maxDecimals` nil means unlimited; `nonNegative` rejects values below 0.
    case decimal(maxDecimals: Int? = 5, nonNegative: Bool = false)
    case object(ObjectSchema)
    case array(of: FieldKind, minCount: Int = 0, maxCount: Int? = nil)
}

/// Text patterns of ETA fields.
enum FieldPattern: Sendable {
    /// 9 digits (taxpayer registration number).
    case rin
    /// 64 hex characters (SHA-256).
    case sha256Hex
    /// `YYYY-MM-DDTHH:MM:SS[.f]Z`.
    case utcDateTime

    func matches(_ s: String) -> Bool {
        switch self {
        case .rin: s.utf8.count == 9 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        case .sha256Hex: s.utf8.count == 64 && s.utf8.allSatisfy { JSONEscapes.hexDigit($0) != nil }
        case .utcDateTime: UTCDateTime(s) != nil
        }
    }

    var explanation: String {
        switch self {
        case .rin: "must be a 9-digit registration number"
        case .sha256Hex: "must be 64 hexadecimal characters (SHA-256)"
        case .utcDateTime: "must be a UTC date-time like 2022-02-03T00:00:00Z"
        }
    }
}

struct FieldSchema: Sendable {
    var name: String
    var kind: FieldKind
    var required: Bool
}

struct ObjectSchema: Sendable {
    var fields: [FieldSchema]
}

private func m(_ name: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(name: name, kind: kind, required: true) }
private func o(_ name: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(name: name, kind: kind, required: false) }

enum ReceiptSchema {
    static let discount = ObjectSchema(fields: [
        m("amount", .decimal(nonNegative: true)),
        m("description", .string(maxLength: 500)),
        o("rate", .decimal(nonNegative: true)),
    ])

    static let taxableItem = ObjectSchema(fields: [
        m("taxType", .string(maxLength: 30)),
        m("amount", .decimal(nonNegative: true)),
        m("subType", .string(maxLength: 50)),
        m("rate", .decimal(nonNegative: true)),
    ])

    static let item = ObjectSchema(fields: [
        m("internalCode", .string(maxLength: 50)),
        m("description", .string(maxLength: 500)),
        m("itemType", .string(maxLength: 30)),
        m("itemCode", .string(maxLength: 100)),
        m("unitType", .string(maxLength: 30)),
        m("quantity", .decimal(nonNegative: true)),
        m("unitPrice", .decimal(nonNegative: true)),
        m("netSale", .decimal()),
        m("totalSale", .decimal()),
        m("total", .decimal()),
        o("commercialDiscountData", .array(of: .object(discount))),
        o("itemDiscountData", .array(of: .object(discount))),
        o("additionalCommercialDiscount", .object(discount)),
        o("additionalItemDiscount", .object(discount)),
        o("valueDifference", .decimal()),
        o("taxableItems", .array(of: .object(taxableItem))),
    ])

    static let header = ObjectSchema(fields: [
        m("dateTimeIssued", .string(maxLength: 30, pattern: .utcDateTime)),
        m("receiptNumber", .string(maxLength: 50)),
        m("uuid", .string(maxLength: 64, pattern: .sha256Hex)),
        m("previousUUID", .string(maxLength: 64, pattern: .sha256Hex, allowEmpty: true)),
        o("referenceUUID", .string(maxLength: 64, pattern: .sha256Hex, allowEmpty: true)),
        // spec/receipt-structure.md: "not validated" [DOC*] R-AXE — only its length is checked.
        o("referenceOldUUID", .string(maxLength: 64, allowEmpty: true)),
        o("documentUseReason", .string(maxLength: 10, allowEmpty: true)),
        o("salesIssuedDateTime", .string(maxLength: 30, pattern: .utcDateTime)),
        m("currency", .string(maxLength: 3)),
        o("exchangeRate", .decimal(nonNegative: true)),
        o("sOrderNameCode", .string(maxLength: 200, allowEmpty: true)),
        o("orderdeliveryMode", .string(maxLength: 30, allowEmpty: true)),
        o("grossWeight", .decimal(nonNegative: true)),
        o("netWeight", .decimal(nonNegative: true)),
    ])

    static let branchAddress = ObjectSchema(fields: [
        m("country", .string(maxLength: 2)),
        m("governate", .string(maxLength: 100)),
        m("regionCity", .string(maxLength: 100)),
        m("street", .string(maxLength: 200)),
        m("buildingNumber", .string(maxLength: 100)),
        o("postalCode", .string(maxLength: 30, allowEmpty: true)),
        o("floor", .string(maxLength: 100, allowEmpty: true)),
        o("room", .string(maxLength: 100, allowEmpty: true)),
        o("landmark", .string(maxLength: 500, allowEmpty: true)),
        o("additionalInformation", .string(maxLength: 500, allowEmpty: true)),
    ])

    static let seller = ObjectSchema(fields: [
        m("rin", .string(maxLength: 30, pattern: .rin)),
        m("companyTradeName", .string(maxLength: 200)),
        m("branchCode", .string(maxLength: 50)),
        m("branchAddress", .object(branchAddress)),
        m("deviceSerialNumber", .string(maxLength: 100)),
        o("syndicateLicenseNumber", .string(maxLength: 30, allowEmpty: true)),
        m("activityCode", .string(maxLength: 10)),
    ])

    static let buyer = ObjectSchema(fields: [
        m("type", .string(maxLength: 30)),
        o("id", .string(maxLength: 30, allowEmpty: true)),
        o("name", .string(maxLength: 100, allowEmpty: true)),
        o("mobileNumber", .string(maxLength: 30, allowEmpty: true)),
        o("paymentNumber", .string(maxLength: 30, allowEmpty: true)),
    ])

    static let documentType = ObjectSchema(fields: [
        m("receiptType", .string(maxLength: 20)),
        m("typeVersion", .string(maxLength: 100)),
    ])

    static let receipt = ObjectSchema(fields: [
        m("header", .object(header)),
        m("documentType", .object(documentType)),
        m("seller", .object(seller)),
        m("buyer", .object(buyer)),
        m("itemData", .array(of: .object(item), minCount: 1)),
        m("totalSales", .decimal()),
        o("totalCommercialDiscount", .decimal(nonNegative: true)),
        o("totalItemsDiscount", .decimal(nonNegative: true)),
        o("extraReceiptDiscountData", .array(of: .object(discount))),
        m("netAmount", .decimal()),
        o("feesAmount", .decimal()),
        m("totalAmount", .decimal()),
        o("taxTotals", .array(of: .object(ObjectSchema(fields: [
            m("taxType", .string(maxLength: 30)),
            m("amount", .decimal(nonNegative: true)),
        ])))),
        m("paymentMethod", .string(maxLength: 50)),
        o("adjustment", .decimal()),
        // Fields from R-AXE's model, which marks none of them required and sends
        // `{"name": "", "amount": 0.0, "rate": 0.0}` on every receipt (spec/receipt-structure.md).
        o("contractor", .object(ObjectSchema(fields: [
            o("name", .string(maxLength: 200, allowEmpty: true)),
            o("amount", .decimal(nonNegative: true)),
            o("rate", .decimal(nonNegative: true)),
        ]))),
        o("beneficiary", .object(ObjectSchema(fields: [
            o("amount", .decimal(nonNegative: true)),
            o("rate", .decimal(nonNegative: true)),
        ]))),
    ])
}
