// Reads receipt models straight from the token tree, without the Codable machinery: full
// validation decodes every receipt, and the generic decoder was a third of its time. Only used
// after the structure checks have passed; the Codable conformance stays the reference (a test
// compares both on varied receipts).

/// A type that can be read directly from a ``JSONNode``.
public protocol TokenTreeDecodable {
    /// Reads the value; throws ``TokenTreeDecodingError`` when the node does not fit.
    init(tokenTree node: JSONNode) throws(TokenTreeDecodingError)
}

/// A node did not have the shape a model needs.
public struct TokenTreeDecodingError: Error, Sendable, CustomStringConvertible {
    /// The member that was missing or of the wrong type.
    public var member: String
    public var description: String { "missing or mistyped member '\(member)'" }
}

/// Reads the members of one object in about the order they were written (see ``MemberCursor``).
struct MemberReader {
    var cursor: MemberCursor

    init(_ node: JSONNode) { cursor = MemberCursor(node) }

    @inline(__always)
    mutating func present(_ key: String) -> JSONNode? {
        guard let value = cursor.find(key), !value.isNull else { return nil }
        return value
    }

    @inline(__always)
    mutating func required(_ key: String) throws(TokenTreeDecodingError) -> JSONNode {
        guard let value = present(key) else { throw TokenTreeDecodingError(member: key) }
        return value
    }

    @inline(__always)
    mutating func text(_ key: String) throws(TokenTreeDecodingError) -> String {
        guard let s = try required(key).string else { throw TokenTreeDecodingError(member: key) }
        return s
    }

    @inline(__always)
    mutating func optionalText(_ key: String) throws(TokenTreeDecodingError) -> String? {
        guard let value = present(key) else { return nil }
        guard let s = value.string else { throw TokenTreeDecodingError(member: key) }
        return s
    }

    @inline(__always)
    mutating func decimal(_ key: String) throws(TokenTreeDecodingError) -> ETADecimal {
        guard let lexeme = try required(key).numberLexeme, let d = ETADecimal.parsed(lexeme) else { throw TokenTreeDecodingError(member: key) }
        return d
    }

    @inline(__always)
    mutating func optionalDecimal(_ key: String) throws(TokenTreeDecodingError) -> ETADecimal? {
        guard let value = present(key) else { return nil }
        guard let lexeme = value.numberLexeme, let d = ETADecimal.parsed(lexeme) else { throw TokenTreeDecodingError(member: key) }
        return d
    }

    mutating func object<T: TokenTreeDecodable>(_ key: String) throws(TokenTreeDecodingError) -> T {
        try T(tokenTree: required(key))
    }

    mutating func optionalObject<T: TokenTreeDecodable>(_ key: String) throws(TokenTreeDecodingError) -> T? {
        guard let value = present(key) else { return nil }
        return try T(tokenTree: value)
    }

    mutating func list<T: TokenTreeDecodable>(_ key: String) throws(TokenTreeDecodingError) -> [T] {
        try Self.list(required(key), key)
    }

    mutating func optionalList<T: TokenTreeDecodable>(_ key: String) throws(TokenTreeDecodingError) -> [T]? {
        guard let value = present(key) else { return nil }
        return try Self.list(value, key)
    }

    static func list<T: TokenTreeDecodable>(_ value: JSONNode, _ key: String) throws(TokenTreeDecodingError) -> [T] {
        guard value.kind == .array else { throw TokenTreeDecodingError(member: key) }
        var result: [T] = []
        result.reserveCapacity(value.count)
        for element in value.elements { result.append(try T(tokenTree: element)) }
        return result
    }
}

extension Receipt: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        guard n.kind == .object else { throw TokenTreeDecodingError(member: "receipt") }
        var n = MemberReader(n)
        self.init(
            header: try n.object("header"), documentType: try n.object("documentType"), seller: try n.object("seller"), buyer: try n.object("buyer"),
            itemData: try n.list("itemData"), totalSales: try n.decimal("totalSales"), totalCommercialDiscount: try n.optionalDecimal("totalCommercialDiscount"),
            totalItemsDiscount: try n.optionalDecimal("totalItemsDiscount"), extraReceiptDiscountData: try n.optionalList("extraReceiptDiscountData"),
            netAmount: try n.decimal("netAmount"), feesAmount: try n.optionalDecimal("feesAmount"), totalAmount: try n.decimal("totalAmount"),
            taxTotals: try n.optionalList("taxTotals"), paymentMethod: try n.text("paymentMethod"), adjustment: try n.optionalDecimal("adjustment"),
            contractor: try n.optionalObject("contractor"), beneficiary: try n.optionalObject("beneficiary")
        )
    }
}

extension ReceiptHeader: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(
            dateTimeIssued: try n.text("dateTimeIssued"), receiptNumber: try n.text("receiptNumber"), uuid: try n.text("uuid"),
            previousUUID: try n.text("previousUUID"), referenceUUID: try n.optionalText("referenceUUID"), referenceOldUUID: try n.optionalText("referenceOldUUID"),
            documentUseReason: try n.optionalText("documentUseReason"), salesIssuedDateTime: try n.optionalText("salesIssuedDateTime"),
            currency: try n.text("currency"), exchangeRate: try n.optionalDecimal("exchangeRate"), sOrderNameCode: try n.optionalText("sOrderNameCode"),
            orderdeliveryMode: try n.optionalText("orderdeliveryMode"), grossWeight: try n.optionalDecimal("grossWeight"), netWeight: try n.optionalDecimal("netWeight")
        )
    }
}

extension ReceiptDocumentType: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(receiptType: try n.text("receiptType"), typeVersion: try n.text("typeVersion"))
    }
}

extension Seller: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(rin: try n.text("rin"), companyTradeName: try n.text("companyTradeName"), branchCode: try n.text("branchCode"),
                  branchAddress: try n.object("branchAddress"), deviceSerialNumber: try n.text("deviceSerialNumber"),
                  syndicateLicenseNumber: try n.optionalText("syndicateLicenseNumber"), activityCode: try n.text("activityCode"))
    }
}

extension BranchAddress: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(country: try n.text("country"), governate: try n.text("governate"), regionCity: try n.text("regionCity"), street: try n.text("street"),
                  buildingNumber: try n.text("buildingNumber"), postalCode: try n.optionalText("postalCode"), floor: try n.optionalText("floor"),
                  room: try n.optionalText("room"), landmark: try n.optionalText("landmark"), additionalInformation: try n.optionalText("additionalInformation"))
    }
}

extension Buyer: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(type: try n.text("type"), id: try n.optionalText("id"), name: try n.optionalText("name"),
                  mobileNumber: try n.optionalText("mobileNumber"), paymentNumber: try n.optionalText("paymentNumber"))
    }
}

extension ReceiptItem: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(
            internalCode: try n.text("internalCode"), description: try n.text("description"), itemType: try n.text("itemType"), itemCode: try n.text("itemCode"),
            unitType: try n.text("unitType"), quantity: try n.decimal("quantity"), unitPrice: try n.decimal("unitPrice"), netSale: try n.decimal("netSale"),
            totalSale: try n.decimal("totalSale"), total: try n.decimal("total"), commercialDiscountData: try n.optionalList("commercialDiscountData"),
            itemDiscountData: try n.optionalList("itemDiscountData"), additionalCommercialDiscount: try n.optionalObject("additionalCommercialDiscount"),
            additionalItemDiscount: try n.optionalObject("additionalItemDiscount"), valueDifference: try n.optionalDecimal("valueDifference"),
            taxableItems: try n.optionalList("taxableItems")
        )
    }
}

extension Discount: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(amount: try n.decimal("amount"), description: try n.text("description"), rate: try n.optionalDecimal("rate"))
    }
}

extension TaxableItem: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(taxType: try n.text("taxType"), amount: try n.decimal("amount"), subType: try n.text("subType"), rate: try n.decimal("rate"))
    }
}

extension TaxTotal: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(taxType: try n.text("taxType"), amount: try n.decimal("amount"))
    }
}

extension Contractor: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(name: try n.text("name"), amount: try n.decimal("amount"), rate: try n.decimal("rate"))
    }
}

extension Beneficiary: TokenTreeDecodable {
    public init(tokenTree n: JSONNode) throws(TokenTreeDecodingError) {
        var n = MemberReader(n)
        self.init(amount: try n.decimal("amount"), rate: try n.decimal("rate"))
    }
}
