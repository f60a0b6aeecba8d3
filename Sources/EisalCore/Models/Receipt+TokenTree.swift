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

/// A model read by ``MemberReader`` (all receipt models).
protocol TapeDecodable: TokenTreeDecodable {
    init(members: inout MemberReader) throws(TokenTreeDecodingError)
}

extension JSONNode {
    /// Reads `T` from this node through a ``MemberReader`` over the document's storage.
    func decode<T: TapeDecodable>(_: T.Type) throws(TokenTreeDecodingError) -> T {
        let result: Result<T, TokenTreeDecodingError> = document.tape.withUnsafeBufferPointer { tape in
            document.bytes.withUnsafeBufferPointer { bytes in
                var reader = MemberReader(tape: tape.baseAddress!, bytes: bytes.baseAddress!, object: index)
                return Result { () throws(TokenTreeDecodingError) -> T in try T(members: &reader) }
            }
        }
        return try result.get()
    }
}

/// Reads the members of one object straight from the tape and the bytes (valid only inside
/// ``JSONNode/decode(_:)``), trying first the member after the previous match: models read
/// their members in about the order they are written, so each lookup is one comparison.
struct MemberReader {
    let tape: UnsafePointer<JSONToken>
    let bytes: UnsafePointer<UInt8>
    /// Tape index of the first key, and just past the object (equal when not an object).
    let first: Int, end: Int
    var hint: Int

    init(tape: UnsafePointer<JSONToken>, bytes: UnsafePointer<UInt8>, object index: Int) {
        self.tape = tape
        self.bytes = bytes
        first = index + 1
        end = tape[index].kind == .object ? Int(tape[index].next) : first
        hint = first
    }

    /// Tape index of the value of member `key`, when present and not null.
    mutating func present(_ key: StaticString) -> Int? {
        let name = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        guard let found = findMember(tape: tape, first: first, end: end, hint: &hint, where: { $0.keyEquals(name, in: bytes) }) else { return nil }
        return tape[found + 1].kind == .null ? nil : found + 1
    }

    func decoded(_ t: JSONToken) -> [UInt8] {
        let raw = UnsafeBufferPointer(start: bytes + Int(t.start), count: Int(t.end &- t.start))
        guard t.hasEscapes else { return Array(raw) }
        var out: [UInt8] = []
        JSONEscapes.unescape(Array(raw)[...], into: &out)
        return out
    }

    func string(at index: Int) -> String? {
        let t = tape[index]
        guard t.kind == .string else { return nil }
        if t.hasEscapes { return String(decoding: decoded(t), as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(start: bytes + Int(t.start), count: Int(t.end &- t.start)), as: UTF8.self)
    }

    func decimal(at index: Int) -> ETADecimal? {
        let t = tape[index]
        guard t.kind == .number else { return nil }
        let text = UnsafeBufferPointer(start: bytes + Int(t.start), count: Int(t.end &- t.start))
        let lexeme = String(decoding: text, as: UTF8.self)
        // The parser has checked the number grammar; exponent forms and long lexemes take the full path.
        if let fixed = FixedDecimal(plainLexeme: text) { return ETADecimal(lexeme: lexeme, fixed: fixed) }
        return ETADecimal(lexeme: lexeme)
    }

    @inline(__always)
    mutating func required(_ key: StaticString) throws(TokenTreeDecodingError) -> Int {
        guard let index = present(key) else { throw TokenTreeDecodingError(member: "\(key)") }
        return index
    }

    @inline(__always)
    mutating func text(_ key: StaticString) throws(TokenTreeDecodingError) -> String {
        guard let s = string(at: try required(key)) else { throw TokenTreeDecodingError(member: "\(key)") }
        return s
    }

    @inline(__always)
    mutating func optionalText(_ key: StaticString) throws(TokenTreeDecodingError) -> String? {
        guard let index = present(key) else { return nil }
        guard let s = string(at: index) else { throw TokenTreeDecodingError(member: "\(key)") }
        return s
    }

    @inline(__always)
    mutating func decimal(_ key: StaticString) throws(TokenTreeDecodingError) -> ETADecimal {
        guard let d = decimal(at: try required(key)) else { throw TokenTreeDecodingError(member: "\(key)") }
        return d
    }

    @inline(__always)
    mutating func optionalDecimal(_ key: StaticString) throws(TokenTreeDecodingError) -> ETADecimal? {
        guard let index = present(key) else { return nil }
        guard let d = decimal(at: index) else { throw TokenTreeDecodingError(member: "\(key)") }
        return d
    }

    func read<T: TapeDecodable>(_ index: Int) throws(TokenTreeDecodingError) -> T {
        var reader = MemberReader(tape: tape, bytes: bytes, object: index)
        return try T(members: &reader)
    }

    mutating func object<T: TapeDecodable>(_ key: StaticString) throws(TokenTreeDecodingError) -> T {
        try read(required(key))
    }

    mutating func optionalObject<T: TapeDecodable>(_ key: StaticString) throws(TokenTreeDecodingError) -> T? {
        guard let index = present(key) else { return nil }
        return try read(index)
    }

    mutating func list<T: TapeDecodable>(_ key: StaticString) throws(TokenTreeDecodingError) -> [T] {
        try elements(required(key), key)
    }

    mutating func optionalList<T: TapeDecodable>(_ key: StaticString) throws(TokenTreeDecodingError) -> [T]? {
        guard let index = present(key) else { return nil }
        return try elements(index, key)
    }

    func elements<T: TapeDecodable>(_ index: Int, _ key: StaticString) throws(TokenTreeDecodingError) -> [T] {
        let t = tape[index]
        guard t.kind == .array else { throw TokenTreeDecodingError(member: "\(key)") }
        var result: [T] = []
        result.reserveCapacity(Int(t.count))
        var i = index + 1
        for _ in 0 ..< t.count {
            result.append(try read(i))
            i = Int(tape[i].next)
        }
        return result
    }
}

extension Receipt: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        guard node.kind == .object else { throw TokenTreeDecodingError(member: "receipt") }
        self = try node.decode(Receipt.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
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

extension ReceiptHeader: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(ReceiptHeader.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(
            dateTimeIssued: try n.text("dateTimeIssued"), receiptNumber: try n.text("receiptNumber"), uuid: try n.text("uuid"),
            previousUUID: try n.text("previousUUID"), referenceUUID: try n.optionalText("referenceUUID"), referenceOldUUID: try n.optionalText("referenceOldUUID"),
            documentUseReason: try n.optionalText("documentUseReason"), salesIssuedDateTime: try n.optionalText("salesIssuedDateTime"),
            currency: try n.text("currency"), exchangeRate: try n.optionalDecimal("exchangeRate"), sOrderNameCode: try n.optionalText("sOrderNameCode"),
            orderdeliveryMode: try n.optionalText("orderdeliveryMode"), grossWeight: try n.optionalDecimal("grossWeight"), netWeight: try n.optionalDecimal("netWeight")
        )
    }
}

extension ReceiptDocumentType: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(ReceiptDocumentType.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(receiptType: try n.text("receiptType"), typeVersion: try n.text("typeVersion"))
    }
}

extension Seller: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(Seller.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(rin: try n.text("rin"), companyTradeName: try n.text("companyTradeName"), branchCode: try n.text("branchCode"),
                  branchAddress: try n.object("branchAddress"), deviceSerialNumber: try n.text("deviceSerialNumber"),
                  syndicateLicenseNumber: try n.optionalText("syndicateLicenseNumber"), activityCode: try n.text("activityCode"))
    }
}

extension BranchAddress: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(BranchAddress.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(country: try n.text("country"), governate: try n.text("governate"), regionCity: try n.text("regionCity"), street: try n.text("street"),
                  buildingNumber: try n.text("buildingNumber"), postalCode: try n.optionalText("postalCode"), floor: try n.optionalText("floor"),
                  room: try n.optionalText("room"), landmark: try n.optionalText("landmark"), additionalInformation: try n.optionalText("additionalInformation"))
    }
}

extension Buyer: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(Buyer.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(type: try n.text("type"), id: try n.optionalText("id"), name: try n.optionalText("name"),
                  mobileNumber: try n.optionalText("mobileNumber"), paymentNumber: try n.optionalText("paymentNumber"))
    }
}

extension ReceiptItem: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(ReceiptItem.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
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

extension Discount: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(Discount.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(amount: try n.decimal("amount"), description: try n.text("description"), rate: try n.optionalDecimal("rate"))
    }
}

extension TaxableItem: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(TaxableItem.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(taxType: try n.text("taxType"), amount: try n.decimal("amount"), subType: try n.text("subType"), rate: try n.decimal("rate"))
    }
}

extension TaxTotal: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(TaxTotal.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(taxType: try n.text("taxType"), amount: try n.decimal("amount"))
    }
}

extension Contractor: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(Contractor.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(name: try n.optionalText("name"), amount: try n.optionalDecimal("amount"), rate: try n.optionalDecimal("rate"))
    }
}

extension Beneficiary: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        self = try node.decode(Beneficiary.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(amount: try n.optionalDecimal("amount"), rate: try n.optionalDecimal("rate"))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
