// Full validation of one invoice document: structure on the token tape (the receipts' walker
// with the invoice schema), then codes, core fields, calculations, dates and references on the
// decoded model. Rules, their order and sources: InvoiceRuleCatalogue.swift. Arithmetic is
// exact decimal (Foundation `Decimal`), never binary floating point.

import Foundation

/// A document that a credit or debit note refers to, as the platform knows it.
public struct ReferencedDocument: Sendable, Hashable {
    public var uuid: String
    public var issuerRIN: String
    public var receiverID: String
    /// `i`, `c`, `d`, … lower case.
    public var documentType: String
    /// Whether the document is Valid (not Invalid, Rejected or Cancelled).
    public var isValid: Bool

    public init(uuid: String, issuerRIN: String, receiverID: String, documentType: String, isValid: Bool) {
        self.uuid = uuid
        self.issuerRIN = issuerRIN
        self.receiverID = receiverID
        self.documentType = documentType
        self.isValid = isValid
    }
}

/// The outcome of validating one invoice document.
public struct InvoiceValidationReport: Sendable {
    /// Every problem found, in rule order; empty when valid.
    public var errors: [ETAError]
    /// The decoded document, when its structure allowed decoding.
    public var document: InvoiceDocument?
    public var isValid: Bool { errors.isEmpty }
}

/// Validates invoice documents of type versions 1.0 and 0.9.
public struct InvoiceValidator: Sendable {
    public let codeTables: CodeTables
    public static let supportedVersions: Set<String> = ["1.0", "0.9"]

    public init(codeTables: CodeTables = .shared) {
        self.codeTables = codeTables
    }

    /// Structure checks only (the platform's synchronous check).
    public func validateStructure(_ node: JSONNode) -> [ETAError] {
        guard node.kind == .object else {
            return [issue(ValidationRule.Invoice.type, "A document must be a JSON object, found \(node.kindDescription).", "")]
        }
        var errors = StructureWalker.errors(node, schema: .invoice, tables: CompiledSchema.invoiceTables)
        if let version = node["documentTypeVersion"]?.string, !version.isEmpty, !Self.supportedVersions.contains(version) {
            errors.append(issue(ValidationRule.Invoice.typeVersion, "Document type version '\(version)' is not supported; use 1.0 (or 0.9, without the signature check).", "documentTypeVersion"))
        }
        if let type = node["documentType"]?.string, !type.isEmpty, !codeTables.documentTypes.contains(type) {
            errors.append(issue(ValidationRule.Invoice.documentType, "Document type '\(type)' is not known (i, c, d, ei, ec, ed).", "documentType"))
        }
        return errors
    }

    /// Runs every rule on `node` (one document as received); `structureChecked`: the structure
    /// rules already passed on these bytes.
    public func validate(_ node: JSONNode, context: ValidationContext, structureChecked: Bool = false) -> InvoiceValidationReport {
        let structure = structureChecked ? [] : validateStructure(node)
        guard structure.isEmpty else { return InvoiceValidationReport(errors: structure, document: nil) }
        let document: InvoiceDocument
        do throws(TokenTreeDecodingError) {
            document = try InvoiceDocument(tokenTree: node)
        } catch {
            return InvoiceValidationReport(errors: [issue(ValidationRule.Invoice.type, "The document could not be read: \(error)", "")], document: nil)
        }
        var checker = InvoiceChecker(document: document, tables: codeTables, context: context)
        checker.run()
        return InvoiceValidationReport(errors: checker.errors, document: document)
    }
}

/// The rules that run on the decoded document.
struct InvoiceChecker {
    typealias Rule = ValidationRule.Invoice
    let document: InvoiceDocument
    let tables: CodeTables
    let context: ValidationContext
    var errors: [ETAError] = []

    init(document: InvoiceDocument, tables: CodeTables, context: ValidationContext) {
        self.document = document
        self.tables = tables
        self.context = context
    }

    mutating func add(_ rule: ValidationRule, _ message: String, _ path: String) {
        errors.append(issue(rule, message, path))
    }

    mutating func run() {
        checkCodes()
        checkCore()
        checkCalculations()
        checkDates()
        checkReferences()
        errors = ValidationRule.inCatalogueOrder(errors, Rule.order)
    }

    // MARK: Codes

    mutating func checkCodes() {
        let d = document
        if d.issuer.type != "B" { add(Rule.partyType, "Issuer type '\(d.issuer.type)' is not B: documents are issued by taxpayers registered in Egypt.", "issuer.type") }
        if !tables.buyerTypes.contains(d.receiver.type) { add(Rule.partyType, "Receiver type '\(d.receiver.type)' is not known (B, P, F).", "receiver.type") }
        if let country = d.issuer.address?.country, !tables.countries.contains(country) {
            add(Rule.country, "Country '\(country)' is not a known country code.", "issuer.address.country")
        }
        if let country = d.receiver.address?.country, !tables.countries.contains(country) {
            add(Rule.country, "Country '\(country)' is not a known country code.", "receiver.address.country")
        }
        if let origin = d.delivery?.countryOfOrigin, !origin.isEmpty, !tables.countries.contains(origin) {
            add(Rule.country, "Country of origin '\(origin)' is not a known country code.", "delivery.countryOfOrigin")
        }
        if !tables.activityCodes.contains(d.taxpayerActivityCode) {
            add(Rule.activityCode, "Activity code '\(d.taxpayerActivityCode)' is not a known activity code.", "taxpayerActivityCode")
        }
        for (i, line) in d.invoiceLines.enumerated() {
            func p() -> String { "invoiceLines[\(i)]" }
            if !tables.currencies.contains(line.unitValue.currencySold) {
                add(Rule.currency, "Currency '\(line.unitValue.currencySold)' is not an ISO 4217 code.", "\(p()).unitValue.currencySold")
            }
            if !tables.itemTypes.contains(line.itemType) {
                add(Rule.itemType, "Item type '\(line.itemType)' is not GS1 or EGS.", "\(p()).itemType")
            } else if !ItemCodes.fits(type: line.itemType, code: line.itemCode) {
                add(Rule.itemCode, line.itemType == "GS1"
                    ? "GS1 item code '\(line.itemCode)' must be 8 to 14 digits."
                    : "EGS item code '\(line.itemCode)' must look like EG-{9-digit RIN}-{code}.", "\(p()).itemCode")
            } else if line.itemType == "EGS", let owner = ItemCodes.egsOwner(line.itemCode), let issuer = d.issuer.id, owner != issuer {
                add(Rule.itemCode, "EGS item code '\(line.itemCode)' belongs to taxpayer \(owner): an issuer may use only its own EGS codes (EG-\(issuer)-…).", "\(p()).itemCode")
            }
            if !tables.unitTypes.contains(line.unitType) {
                add(Rule.unitType, "Unit type '\(line.unitType)' is not a code from UnitTypes.", "\(p()).unitType")
            }
            for (j, tax) in line.taxableItems.enumerated() {
                if !tables.isTaxType(tax.taxType) {
                    add(Rule.taxType, "Tax type '\(tax.taxType)' is not known (T1–T20).", "\(p()).taxableItems[\(j)].taxType")
                } else if tables.subtypeTaxType[tax.subType] != tax.taxType {
                    add(Rule.taxSubtype, "Subtype '\(tax.subType)' is not a subtype of \(tax.taxType).", "\(p()).taxableItems[\(j)].subType")
                }
            }
        }
        for (i, total) in d.taxTotals.enumerated() where !tables.isTaxType(total.taxType) {
            add(Rule.taxType, "Tax type '\(total.taxType)' is not known (T1–T20).", "taxTotals[\(i)].taxType")
        }
    }

    // MARK: Core fields

    mutating func checkCore() {
        let d = document
        if d.issuer.type == "B", (d.issuer.address?.branchID ?? "").isEmpty {
            add(Rule.issuerBranch, "A business issuer names its branch in issuer.address.branchID (head office: 0).", "issuer.address.branchID")
        }
        checkReceiver()
        for (i, line) in d.invoiceLines.enumerated() {
            if line.quantity.value <= 0 { add(Rule.quantity, "The quantity must be above 0.", "invoiceLines[\(i)].quantity") }
            if line.unitValue.currencySold != "EGP" {
                if (line.unitValue.amountSold?.value ?? 0) <= 0 {
                    add(Rule.exchangeRate, "A line sold in \(line.unitValue.currencySold) gives unitValue.amountSold (above 0).", "invoiceLines[\(i)].unitValue.amountSold")
                }
                if (line.unitValue.currencyExchangeRate?.value ?? 0) <= 0 {
                    add(Rule.exchangeRate, "A line sold in \(line.unitValue.currencySold) gives unitValue.currencyExchangeRate (above 0).", "invoiceLines[\(i)].unitValue.currencyExchangeRate")
                }
            }
            var seen: Set<String> = []
            for (j, tax) in line.taxableItems.enumerated() where !seen.insert(tax.taxType).inserted {
                add(Rule.taxTypeUnique, "Tax type \(tax.taxType) appears more than once on this line.", "invoiceLines[\(i)].taxableItems[\(j)].taxType")
            }
        }
        var seen: Set<String> = []
        for (i, total) in d.taxTotals.enumerated() where !seen.insert(total.taxType).inserted {
            add(Rule.taxTypeUnique, "Tax type \(total.taxType) appears more than once in taxTotals.", "taxTotals[\(i)].taxType")
        }
        if d.kind?.isExport == true {
            let date = d.serviceDeliveryDate ?? ""
            if !Self.isPlainDate(date) {
                add(Rule.exportFields, date.isEmpty ? "An export document gives serviceDeliveryDate (yyyy-MM-dd)." : "serviceDeliveryDate '\(date)' must be a date like 2026-11-30.", "serviceDeliveryDate")
            }
        }
        let references = d.references ?? []
        if d.kind?.needsReferences == true, references.isEmpty {
            add(Rule.references, "A \(d.kind!.name.lowercased()) lists the UUIDs of the documents it corrects in references.", "references")
        }
        var seenReferences: Set<String> = []
        for (i, reference) in references.enumerated() where !seenReferences.insert(reference.lowercased()).inserted {
            add(Rule.references, "Reference \(reference) appears twice.", "references[\(i)]")
        }
    }

    /// `yyyy-MM-dd`, a real calendar date.
    static func isPlainDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, let y = Int(parts[0]), let m = Int(parts[1]), let day = Int(parts[2]) else { return false }
        return UTCDateTime(String(format: "%04d-%02d-%02dT00:00:00Z", y, m, day)) != nil && (1 ... 12).contains(m) && (1 ... 31).contains(day)
    }

    mutating func checkReceiver() {
        let r = document.receiver
        let id = r.id ?? "", name = r.name ?? ""
        switch r.type {
        case "B":
            if !FieldPattern.rin.matches(id) {
                add(Rule.receiverIdentity, "A business receiver (B) needs receiver.id: a 9-digit registration number.", "receiver.id")
            } else if id == document.issuer.id {
                add(Rule.receiverIdentity, "The receiver is the issuer: a taxpayer does not issue documents to itself.", "receiver.id")
            }
            if name.isEmpty { add(Rule.receiverIdentity, "A business receiver (B) needs receiver.name.", "receiver.name") }
            if r.address == nil { add(Rule.receiverIdentity, "A business receiver (B) needs receiver.address.", "receiver.address") }
        case "P":
            if !id.isEmpty, !(id.utf8.count == 14 && id.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }) {
                add(Rule.receiverIdentity, "A natural person's id (P) is a 14-digit national id.", "receiver.id")
            }
            if document.totalAmount.value >= context.receiverIdentificationThreshold {
                if id.isEmpty { add(Rule.receiverIdentity, "receiver.id is mandatory for a natural person at or above \(context.receiverIdentificationThreshold) EGP.", "receiver.id") }
                if name.isEmpty { add(Rule.receiverIdentity, "receiver.name is mandatory for a natural person at or above \(context.receiverIdentificationThreshold) EGP.", "receiver.name") }
            }
        case "F":
            if name.isEmpty { add(Rule.receiverIdentity, "A foreign receiver (F) needs receiver.name.", "receiver.name") }
            if let address = r.address {
                if address.country == "EG" { add(Rule.receiverIdentity, "A foreign receiver (F) has an address outside Egypt.", "receiver.address.country") }
            } else {
                add(Rule.receiverIdentity, "A foreign receiver (F) needs receiver.address.", "receiver.address")
            }
        default:
            break // Code.PartyType reported it.
        }
    }

    // MARK: Calculations

    /// Fixed point first; `Decimal` when a number or a result does not fit (same findings either way).
    mutating func checkCalculations() {
        let text = "\(context.roundingTolerance)"
        if let tolerance = FixedDecimal(context.roundingTolerance) {
            var fast = InvoiceCalculation<FixedDecimal>(document: document, tolerance: tolerance, toleranceText: text)
            fast.run()
            if fast.decided {
                errors += fast.errors
                return
            }
        }
        var exact = InvoiceCalculation<Decimal>(document: document, tolerance: context.roundingTolerance, toleranceText: text)
        exact.run()
        errors += exact.errors
    }

    // MARK: Dates

    mutating func checkDates() {
        guard let issued = UTCDateTime(document.dateTimeIssued) else { return }
        if issued.secondsSinceEpoch > context.now.secondsSinceEpoch + context.futureTolerance {
            add(Rule.notInFuture, "dateTimeIssued \(document.dateTimeIssued) is in the future.", "dateTimeIssued")
        } else if let window = context.submissionWindow, issued.secondsSinceEpoch < context.now.secondsSinceEpoch - window {
            add(Rule.submissionWindow, "dateTimeIssued \(document.dateTimeIssued) is older than the submission window (\(window / 3600) h).", "dateTimeIssued")
        }
    }

    // MARK: References

    mutating func checkReferences() {
        guard let lookup = context.referencedDocument, let kind = document.kind else { return }
        for (i, reference) in (document.references ?? []).enumerated() {
            let path = "references[\(i)]"
            // Another issuer's document reads as unknown: the errors must not tell its type, parties or status.
            guard let referenced = lookup(reference.lowercased()), referenced.issuerRIN == document.issuer.id else {
                add(Rule.documentReference, "Reference \(reference) does not name a document of this issuer.", path)
                continue
            }
            let allowed: Set<String> = kind == .debitNote || kind == .exportDebitNote ? ["i", "ei", "d", "ed"] : ["i", "ei"]
            if !allowed.contains(referenced.documentType) {
                add(Rule.documentReference, "Reference \(reference) is a document of type '\(referenced.documentType)'; a \(kind.name.lowercased()) refers to invoices.", path)
            } else if referenced.receiverID != (document.receiver.id ?? "") {
                add(Rule.documentReference, "Reference \(reference) was issued to '\(referenced.receiverID)'; a note refers to documents of its own receiver.", path)
            } else if !referenced.isValid {
                add(Rule.documentReference, "Reference \(reference) is not a valid document.", path)
            }
        }
    }
}

/// The item code rules shared by receipts and documents.
enum ItemCodes {
    /// GS1: 8–14 digits; EGS: `EG-{RIN}-{internal}`.
    static func fits(type: String, code: String) -> Bool {
        if type == "GS1" { return (8 ... 14).contains(code.utf8.count) && code.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        let parts = code.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "EG" && FieldPattern.rin.matches(String(parts[1])) && !parts[2].isEmpty
    }

    /// The RIN part of an EGS code.
    static func egsOwner(_ code: String) -> String? {
        let parts = code.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? String(parts[1]) : nil
    }
}
