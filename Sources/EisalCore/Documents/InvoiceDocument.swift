// Invoice documents (eInvoicing, B2B/B2G): invoice `i`, credit note `c`, debit note `d` and the
// export types `ei`/`ec`/`ed`, type versions 1.0 and 0.9 (0.9 is 1.0 without the signature check).
// Sources: ETA SDK /documents/invoice-v1-0/, /documents/export-invoice-v1-0, /types/ (as
// transcribed in spec/documents-api.md "Document structure v1.0"); member names as public
// clients send them (R-ODOO `_l10n_eg_eta_prepare_eta_invoice`, R-ELAREEG
// `InvoiceSubmissionClient.cs`) and as ETA's signed sample writes them
// (spec/examples/invoice-v1.0.eta-sample.json). Amounts keep their received lexemes.

/// One invoice document as received (the element of `documents[]`).
public struct InvoiceDocument: Codable, Sendable, Hashable {
    public var issuer: DocumentParty
    public var receiver: DocumentParty
    /// `i`, `c`, `d`, `ei`, `ec`, `ed` (compared case-insensitively; ETA's sample writes `I`).
    public var documentType: String
    /// `1.0` or `0.9`.
    public var documentTypeVersion: String
    public var dateTimeIssued: String
    /// Export types: when the service was delivered (`yyyy-MM-dd`).
    public var serviceDeliveryDate: String?
    public var taxpayerActivityCode: String
    /// The issuer's own number of the document (spelled `internalID` by every client).
    public var internalID: String
    public var purchaseOrderReference: String?
    public var purchaseOrderDescription: String?
    public var salesOrderReference: String?
    public var salesOrderDescription: String?
    public var proformaInvoiceNumber: String?
    public var payment: DocumentPayment?
    public var delivery: DocumentDelivery?
    public var invoiceLines: [InvoiceLine]
    public var totalDiscountAmount: ETADecimal
    public var totalSalesAmount: ETADecimal
    public var netAmount: ETADecimal
    public var taxTotals: [TaxTotal]
    public var totalAmount: ETADecimal
    public var extraDiscountAmount: ETADecimal
    public var totalItemsDiscountAmount: ETADecimal
    /// UUIDs of the documents a credit or debit note refers to.
    public var references: [String]?
    public var signatures: [DocumentSignature]?

    /// The type, lower-cased (`I` → `i`).
    public var kind: InvoiceKind? { InvoiceKind(rawValue: documentType.lowercased()) }
}

/// The document types.
public enum InvoiceKind: String, Sendable, Hashable, CaseIterable {
    case invoice = "i", creditNote = "c", debitNote = "d", exportInvoice = "ei", exportCreditNote = "ec", exportDebitNote = "ed"

    /// Credit and debit notes refer to the invoices they correct.
    public var needsReferences: Bool { self != .invoice && self != .exportInvoice }
    public var isExport: Bool { self == .exportInvoice || self == .exportCreditNote || self == .exportDebitNote }
    /// English name (document-types.csv).
    public var name: String {
        switch self {
        case .invoice: "Invoice"
        case .creditNote: "Credit note"
        case .debitNote: "Debit note"
        case .exportInvoice: "Export invoice"
        case .exportCreditNote: "Export credit note"
        case .exportDebitNote: "Export debit note"
        }
    }
}

/// The issuer or the receiver.
public struct DocumentParty: Codable, Sendable, Hashable {
    /// `B` business in Egypt, `P` natural person, `F` foreigner.
    public var type: String
    public var id: String?
    public var name: String?
    public var address: DocumentAddress?
}

/// An address; `branchID` only on the issuer.
public struct DocumentAddress: Codable, Sendable, Hashable {
    public var branchID: String?
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
}

public struct DocumentPayment: Codable, Sendable, Hashable {
    public var bankName: String?
    public var bankAddress: String?
    public var bankAccountNo: String?
    public var bankAccountIBAN: String?
    public var swiftCode: String?
    public var terms: String?
}

public struct DocumentDelivery: Codable, Sendable, Hashable {
    public var approach: String?
    public var packaging: String?
    public var dateValidity: String?
    public var exportPort: String?
    public var countryOfOrigin: String?
    public var grossWeight: ETADecimal?
    public var netWeight: ETADecimal?
    public var terms: String?
}

/// One line.
public struct InvoiceLine: Codable, Sendable, Hashable {
    public var description: String
    public var itemType: String
    public var itemCode: String
    public var unitType: String
    public var quantity: ETADecimal
    public var internalCode: String?
    public var salesTotal: ETADecimal
    public var total: ETADecimal
    public var valueDifference: ETADecimal
    public var totalTaxableFees: ETADecimal
    public var netTotal: ETADecimal
    public var itemsDiscount: ETADecimal
    public var unitValue: UnitValue
    public var discount: LineDiscount?
    public var taxableItems: [TaxableItem]
}

/// The unit price, in EGP and in the currency sold.
public struct UnitValue: Codable, Sendable, Hashable {
    public var currencySold: String
    public var amountEGP: ETADecimal
    public var amountSold: ETADecimal?
    public var currencyExchangeRate: ETADecimal?
}

/// A line's discount: a rate (percent of salesTotal) and/or an amount.
public struct LineDiscount: Codable, Sendable, Hashable {
    public var rate: ETADecimal?
    public var amount: ETADecimal
}
