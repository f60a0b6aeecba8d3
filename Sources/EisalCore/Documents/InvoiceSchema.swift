// The structure of invoice document type versions 1.0 and 0.9 as data, checked by the same
// tape walker as receipts (StructureWalker). Mandatory members and lengths: ETA SDK
// /documents/invoice-v1-0/ as outlined in spec/documents-api.md; where the outline gives no
// length, the receipt v1.2 length of the same member is used. Members no rule reads are not
// listed, so what real clients add is accepted (and hashed as sent).
//
// Stand-in decisions (no source gives them):
// - `receiver.address` is optional in the structure; the receiver rules require it for `B` and `F`.
// - `references` and `signatures` are optional in the structure; the rules require references on
//   credit/debit notes, and the platform requires an issuer signature on version 1.0.

private func m(_ name: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(name: name, kind: kind, required: true) }
private func o(_ name: String, _ kind: FieldKind) -> FieldSchema { FieldSchema(name: name, kind: kind, required: false) }

enum InvoiceSchema {
    static let address = ObjectSchema(fields: [
        o("branchID", .string(maxLength: 50, allowEmpty: true)),
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

    static let issuer = ObjectSchema(fields: [
        m("address", .object(address)),
        m("type", .string(maxLength: 30)),
        m("id", .string(maxLength: 30, pattern: .rin)),
        m("name", .string(maxLength: 200)),
    ])

    static let receiver = ObjectSchema(fields: [
        o("address", .object(address)),
        m("type", .string(maxLength: 30)),
        o("id", .string(maxLength: 30, allowEmpty: true)),
        o("name", .string(maxLength: 200, allowEmpty: true)),
    ])

    static let payment = ObjectSchema(fields: ["bankName", "bankAddress", "bankAccountNo", "bankAccountIBAN", "swiftCode", "terms"].map {
        o($0, .string(maxLength: 500, allowEmpty: true))
    })

    static let delivery = ObjectSchema(fields: [
        o("approach", .string(maxLength: 100, allowEmpty: true)),
        o("packaging", .string(maxLength: 100, allowEmpty: true)),
        o("dateValidity", .string(maxLength: 30, allowEmpty: true)),
        o("exportPort", .string(maxLength: 100, allowEmpty: true)),
        o("countryOfOrigin", .string(maxLength: 2, allowEmpty: true)),
        o("grossWeight", .decimal(nonNegative: true)),
        o("netWeight", .decimal(nonNegative: true)),
        o("terms", .string(maxLength: 500, allowEmpty: true)),
    ])

    static let unitValue = ObjectSchema(fields: [
        m("currencySold", .string(maxLength: 3)),
        m("amountEGP", .decimal(nonNegative: true)),
        o("amountSold", .decimal(nonNegative: true)),
        o("currencyExchangeRate", .decimal(nonNegative: true)),
    ])

    static let discount = ObjectSchema(fields: [
        o("rate", .decimal(nonNegative: true)),
        m("amount", .decimal(nonNegative: true)),
    ])

    static let line = ObjectSchema(fields: [
        m("description", .string(maxLength: 500)),
        m("itemType", .string(maxLength: 30)),
        m("itemCode", .string(maxLength: 100)),
        m("unitType", .string(maxLength: 30)),
        m("quantity", .decimal(nonNegative: true)),
        o("internalCode", .string(maxLength: 50, allowEmpty: true)),
        m("salesTotal", .decimal(nonNegative: true)),
        m("total", .decimal()),
        m("valueDifference", .decimal()),
        m("totalTaxableFees", .decimal(nonNegative: true)),
        m("netTotal", .decimal()),
        m("itemsDiscount", .decimal(nonNegative: true)),
        m("unitValue", .object(unitValue)),
        o("discount", .object(discount)),
        m("taxableItems", .array(of: .object(ReceiptSchema.taxableItem))),
    ])

    static let document = ObjectSchema(fields: [
        m("issuer", .object(issuer)),
        m("receiver", .object(receiver)),
        m("documentType", .string(maxLength: 20)),
        m("documentTypeVersion", .string(maxLength: 100)),
        m("dateTimeIssued", .string(maxLength: 30, pattern: .utcDateTime)),
        o("serviceDeliveryDate", .string(maxLength: 30, allowEmpty: true)),
        m("taxpayerActivityCode", .string(maxLength: 10)),
        m("internalID", .string(maxLength: 50)),
        o("purchaseOrderReference", .string(maxLength: 100, allowEmpty: true)),
        o("purchaseOrderDescription", .string(maxLength: 500, allowEmpty: true)),
        o("salesOrderReference", .string(maxLength: 100, allowEmpty: true)),
        o("salesOrderDescription", .string(maxLength: 500, allowEmpty: true)),
        o("proformaInvoiceNumber", .string(maxLength: 50, allowEmpty: true)),
        o("payment", .object(payment)),
        o("delivery", .object(delivery)),
        m("invoiceLines", .array(of: .object(line), minCount: 1)),
        m("totalDiscountAmount", .decimal(nonNegative: true)),
        m("totalSalesAmount", .decimal(nonNegative: true)),
        m("netAmount", .decimal()),
        m("taxTotals", .array(of: .object(ObjectSchema(fields: [
            m("taxType", .string(maxLength: 30)),
            m("amount", .decimal(nonNegative: true)),
        ])))),
        m("totalAmount", .decimal()),
        m("extraDiscountAmount", .decimal(nonNegative: true)),
        m("totalItemsDiscountAmount", .decimal(nonNegative: true)),
        o("references", .array(of: .string(maxLength: 64, pattern: .sha256Hex))),
        o("signatures", .array(of: .object(ObjectSchema(fields: [
            m("signatureType", .string(maxLength: 1)),
            m("value", .string(maxLength: 1 << 20)),
        ])))),
    ])
}

extension CompiledSchema {
    static let invoice = CompiledSchema(InvoiceSchema.document)
    static let invoiceTables = invoice.permanentTables()
}
