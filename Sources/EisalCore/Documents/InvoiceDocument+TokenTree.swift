// Reads invoice document models straight from the token tree (as Receipt+TokenTree.swift does
// for receipts): the Codable decoder was most of full validation's time. Only used after the
// structure checks passed; the Codable conformance stays the reference (InvoiceDecodingTests
// compares both).

extension InvoiceDocument: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) {
        guard node.kind == .object else { throw TokenTreeDecodingError(member: "document") }
        self = try node.decode(InvoiceDocument.self)
    }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(
            issuer: try n.object("issuer"), receiver: try n.object("receiver"), documentType: try n.text("documentType"),
            documentTypeVersion: try n.text("documentTypeVersion"), dateTimeIssued: try n.text("dateTimeIssued"),
            serviceDeliveryDate: try n.optionalText("serviceDeliveryDate"), taxpayerActivityCode: try n.text("taxpayerActivityCode"),
            internalID: try n.text("internalID"), purchaseOrderReference: try n.optionalText("purchaseOrderReference"),
            purchaseOrderDescription: try n.optionalText("purchaseOrderDescription"), salesOrderReference: try n.optionalText("salesOrderReference"),
            salesOrderDescription: try n.optionalText("salesOrderDescription"), proformaInvoiceNumber: try n.optionalText("proformaInvoiceNumber"),
            payment: try n.optionalObject("payment"), delivery: try n.optionalObject("delivery"), invoiceLines: try n.list("invoiceLines"),
            totalDiscountAmount: try n.decimal("totalDiscountAmount"), totalSalesAmount: try n.decimal("totalSalesAmount"), netAmount: try n.decimal("netAmount"),
            taxTotals: try n.list("taxTotals"), totalAmount: try n.decimal("totalAmount"), extraDiscountAmount: try n.decimal("extraDiscountAmount"),
            totalItemsDiscountAmount: try n.decimal("totalItemsDiscountAmount"), references: try n.optionalTexts("references"),
            signatures: try n.optionalList("signatures")
        )
    }
}

extension DocumentParty: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(DocumentParty.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(type: try n.text("type"), id: try n.optionalText("id"), name: try n.optionalText("name"), address: try n.optionalObject("address"))
    }
}

extension DocumentAddress: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(DocumentAddress.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(branchID: try n.optionalText("branchID"), country: try n.text("country"), governate: try n.text("governate"), regionCity: try n.text("regionCity"),
                  street: try n.text("street"), buildingNumber: try n.text("buildingNumber"), postalCode: try n.optionalText("postalCode"),
                  floor: try n.optionalText("floor"), room: try n.optionalText("room"), landmark: try n.optionalText("landmark"),
                  additionalInformation: try n.optionalText("additionalInformation"))
    }
}

extension DocumentPayment: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(DocumentPayment.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(bankName: try n.optionalText("bankName"), bankAddress: try n.optionalText("bankAddress"), bankAccountNo: try n.optionalText("bankAccountNo"),
                  bankAccountIBAN: try n.optionalText("bankAccountIBAN"), swiftCode: try n.optionalText("swiftCode"), terms: try n.optionalText("terms"))
    }
}

extension DocumentDelivery: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(DocumentDelivery.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(approach: try n.optionalText("approach"), packaging: try n.optionalText("packaging"), dateValidity: try n.optionalText("dateValidity"),
                  exportPort: try n.optionalText("exportPort"), countryOfOrigin: try n.optionalText("countryOfOrigin"), grossWeight: try n.optionalDecimal("grossWeight"),
                  netWeight: try n.optionalDecimal("netWeight"), terms: try n.optionalText("terms"))
    }
}

extension InvoiceLine: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(InvoiceLine.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(description: try n.text("description"), itemType: try n.text("itemType"), itemCode: try n.text("itemCode"), unitType: try n.text("unitType"),
                  quantity: try n.decimal("quantity"), internalCode: try n.optionalText("internalCode"), salesTotal: try n.decimal("salesTotal"),
                  total: try n.decimal("total"), valueDifference: try n.decimal("valueDifference"), totalTaxableFees: try n.decimal("totalTaxableFees"),
                  netTotal: try n.decimal("netTotal"), itemsDiscount: try n.decimal("itemsDiscount"), unitValue: try n.object("unitValue"),
                  discount: try n.optionalObject("discount"), taxableItems: try n.list("taxableItems"))
    }
}

extension UnitValue: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(UnitValue.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(currencySold: try n.text("currencySold"), amountEGP: try n.decimal("amountEGP"), amountSold: try n.optionalDecimal("amountSold"),
                  currencyExchangeRate: try n.optionalDecimal("currencyExchangeRate"))
    }
}

extension LineDiscount: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(LineDiscount.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(rate: try n.optionalDecimal("rate"), amount: try n.decimal("amount"))
    }
}

extension DocumentSignature: TapeDecodable {
    public init(tokenTree node: JSONNode) throws(TokenTreeDecodingError) { self = try node.decode(DocumentSignature.self) }

    init(members n: inout MemberReader) throws(TokenTreeDecodingError) {
        self.init(signatureType: try n.text("signatureType"), value: try n.text("value"))
    }
}

extension MemberReader {
    /// An optional array of strings.
    mutating func optionalTexts(_ key: StaticString) throws(TokenTreeDecodingError) -> [String]? {
        guard let index = present(key) else { return nil }
        let t = tape[index]
        guard t.kind == .array else { throw TokenTreeDecodingError(member: "\(key)") }
        var result: [String] = []
        result.reserveCapacity(Int(t.count))
        var i = index + 1
        for _ in 0 ..< t.count {
            guard let s = string(at: i) else { throw TokenTreeDecodingError(member: "\(key)") }
            result.append(s)
            i = Int(tape[i].next)
        }
        return result
    }
}
