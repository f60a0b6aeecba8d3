// Rules that run on the decoded receipt: codes, core fields, calculations, dates, references.
// Identifiers and sources: ValidationRule.swift. Arithmetic is exact decimal (Foundation
// `Decimal`), never binary floating point.

import Foundation

struct ModelChecker {
    let receipt: Receipt
    let tables: CodeTables
    let context: ValidationContext
    var errors: [ETAError] = []

    init(receipt: Receipt, tables: CodeTables, context: ValidationContext) {
        self.receipt = receipt
        self.tables = tables
        self.context = context
    }

    mutating func add(_ rule: ValidationRule, _ message: String, _ path: String) {
        errors.append(issue(rule, message, path))
    }

    var kind: ReceiptKind? { ReceiptKind(code: receipt.documentType.receiptType) }

    static let ruleOrder = Dictionary(uniqueKeysWithValues: ValidationRule.all.enumerated().map { ($1.id, $0) })

    mutating func run() {
        checkCodes()
        checkCore()
        checkCalculations()
        checkDates()
        checkReferences()
        // Report in the order of the rule catalogue.
        errors = ValidationRule.inCatalogueOrder(errors, Self.ruleOrder)
    }

    // MARK: Codes

    mutating func checkCodes() {
        let r = receipt
        if !tables.currencies.contains(r.header.currency) {
            add(.currency, "Currency '\(r.header.currency)' is not an ISO 4217 code.", "header.currency")
        }
        if !tables.countries.contains(r.seller.branchAddress.country) {
            add(.country, "Country '\(r.seller.branchAddress.country)' is not a known country code.", "seller.branchAddress.country")
        }
        if !tables.activityCodes.contains(r.seller.activityCode) {
            add(.activityCode, "Activity code '\(r.seller.activityCode)' is not a known activity code.", "seller.activityCode")
        }
        if !tables.paymentMethods.contains(r.paymentMethod) {
            add(.paymentMethod, "Payment method '\(r.paymentMethod)' is not known (C, V, CC, VC, VO, PR, GC, P, O).", "paymentMethod")
        }
        if !tables.buyerTypes.contains(r.buyer.type) {
            add(.buyerType, "Buyer type '\(r.buyer.type)' is not known (B, P, F).", "buyer.type")
        }
        for (i, item) in r.itemData.enumerated() {
            // Paths are spelled only for a finding (a valid receipt builds none).
            func p() -> String { "itemData[\(i)]" }
            if !tables.itemTypes.contains(item.itemType) {
                add(.itemType, "Item type '\(item.itemType)' is not GS1 or EGS.", "\(p()).itemType")
            } else if !itemCodeFits(item) {
                add(.itemCode, item.itemType == "GS1"
                    ? "GS1 item code '\(item.itemCode)' must be 8 to 14 digits."
                    : "EGS item code '\(item.itemCode)' must look like EG-{9-digit RIN}-{code}.", "\(p()).itemCode")
            } else if item.itemType == "EGS", let owner = egsOwner(item.itemCode), owner != r.seller.rin {
                add(.itemCode, "EGS item code '\(item.itemCode)' belongs to taxpayer \(owner): an issuer may use only its own EGS codes (EG-\(r.seller.rin)-…).", "\(p()).itemCode")
            }
            if !tables.unitTypes.contains(item.unitType) {
                add(.unitType, "Unit type '\(item.unitType)' is not a code from UnitTypes.", "\(p()).unitType")
            }
            for (j, tax) in (item.taxableItems ?? []).enumerated() {
                func tp() -> String { "\(p()).taxableItems[\(j)]" }
                if !tables.isTaxType(tax.taxType) {
                    add(.taxType, "Tax type '\(tax.taxType)' is not known (T1–T20).", "\(tp()).taxType")
                } else if tables.subtypeTaxType[tax.subType] != tax.taxType {
                    add(.taxSubtype, "Subtype '\(tax.subType)' is not a subtype of \(tax.taxType).", "\(tp()).subType")
                }
            }
        }
        for (i, total) in (r.taxTotals ?? []).enumerated() where !tables.isTaxType(total.taxType) {
            add(.taxType, "Tax type '\(total.taxType)' is not known (T1–T20).", "taxTotals[\(i)].taxType")
        }
        let mode = r.header.orderdeliveryMode ?? ""
        if mode.isEmpty {
            if kind == .retail { add(.orderDeliveryMode, "header.orderdeliveryMode is mandatory on SR receipts.", "header.orderdeliveryMode") }
        } else if !tables.orderDeliveryModes.contains(mode) {
            add(.orderDeliveryMode, "Order delivery mode '\(mode)' is not known (FC, TO, TC).", "header.orderdeliveryMode")
        }
        let reason = r.header.documentUseReason ?? ""
        if reason.isEmpty {
            if kind == .returnWithoutReference { add(.returnReason, "header.documentUseReason is mandatory on returns without reference (I or B).", "header.documentUseReason") }
        } else if !tables.returnWithoutReferenceReasons.contains(reason) {
            add(.returnReason, "Return reason '\(reason)' is not known (I, B).", "header.documentUseReason")
        }
    }

    /// The RIN part of an EGS code `EG-{RIN}-{internal}`. Until Eisal keeps a registry of EGS code
    /// usage (ETA's /api/09-create-egs-code-usage), the code an issuer may use is one of its own.
    func egsOwner(_ code: String) -> String? { ItemCodes.egsOwner(code) }

    func itemCodeFits(_ item: ReceiptItem) -> Bool { ItemCodes.fits(type: item.itemType, code: item.itemCode) }

    // MARK: Core fields

    mutating func checkCore() {
        let r = receipt
        let id = r.buyer.id ?? ""
        let name = r.buyer.name ?? ""
        switch r.buyer.type {
        case "B":
            if !FieldPattern.rin.matches(id) { add(.buyerIdentity, "A business buyer (B) needs buyer.id: a 9-digit registration number.", "buyer.id") }
            if name.isEmpty { add(.buyerIdentity, "A business buyer (B) needs buyer.name.", "buyer.name") }
        case "P":
            if !id.isEmpty, !(id.utf8.count == 14 && id.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }) {
                add(.buyerIdentity, "A natural person's buyer.id must be a 14-digit national id.", "buyer.id")
            }
            // The threshold is in EGP (spec/receipt-structure.md): a foreign-currency total counts at its exchange rate.
            let inEGP = r.header.currency == "EGP" ? r.totalAmount.value : r.totalAmount.value * (r.header.exchangeRate?.value ?? 0)
            if inEGP >= context.buyerIdentificationThreshold {
                if id.isEmpty { add(.buyerIdentity, "buyer.id is mandatory when totalAmount is \(context.buyerIdentificationThreshold) EGP or more.", "buyer.id") }
                if name.isEmpty { add(.buyerIdentity, "buyer.name is mandatory when totalAmount is \(context.buyerIdentificationThreshold) EGP or more.", "buyer.name") }
            }
        default:
            break
        }
        if r.header.currency != "EGP", (r.header.exchangeRate?.value ?? 0) <= 0 {
            add(.exchangeRate, "header.exchangeRate must be above 0 when currency is \(r.header.currency).", "header.exchangeRate")
        }
        if let fees = r.feesAmount, fees.value != 0 { add(.reservedZero, "feesAmount accepts only 0.", "feesAmount") }
        if let adjustment = r.adjustment, adjustment.value != 0 { add(.reservedZero, "adjustment accepts only 0.", "adjustment") }
        var seen: Set<String> = []
        for (i, total) in (r.taxTotals ?? []).enumerated() where !seen.insert(total.taxType).inserted {
            add(.taxTotalsUnique, "Tax type \(total.taxType) appears more than once in taxTotals.", "taxTotals[\(i)].taxType")
        }
        for (i, item) in r.itemData.enumerated() {
            var lineTypes: Set<String> = []
            for (j, tax) in (item.taxableItems ?? []).enumerated() where !lineTypes.insert(tax.taxType).inserted {
                add(.taxTotalsUnique, "Tax type \(tax.taxType) appears more than once on this line.", "itemData[\(i)].taxableItems[\(j)].taxType")
            }
        }
        if kind?.isReturn == true { checkReturnAmounts() }
    }

    /// Return receipts state what comes back as positive amounts (spec/receipt-structure.md,
    /// [DOC*] R-SERVE addendum §6): the total and every quantity above 0, no line amount below 0.
    mutating func checkReturnAmounts() {
        let r = receipt
        if r.totalAmount.value <= 0 { add(.returnAmounts, "totalAmount of a return receipt must be above 0; found \(r.totalAmount.lexeme).", "totalAmount") }
        for (i, item) in r.itemData.enumerated() {
            if item.quantity.value <= 0 { add(.returnAmounts, "itemData[\(i)].quantity of a return receipt must be above 0; found \(item.quantity.lexeme).", "itemData[\(i)].quantity") }
            for (name, amount) in [("totalSale", item.totalSale), ("netSale", item.netSale), ("total", item.total)] where amount.value < 0 {
                add(.returnAmounts, "itemData[\(i)].\(name) of a return receipt must not be negative; found \(amount.lexeme).", "itemData[\(i)].\(name)")
            }
        }
    }

    // MARK: Calculations

    /// A computed amount for a message: rounded to 5 decimals, or exact when rounding would hide
    /// the difference the message reports (a tolerance of 0 compares exact values).
    func text(_ d: Decimal) -> String {
        var value = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 5, .plain)
        return rounded == d || context.roundingTolerance >= Decimal(string: "0.00001")! ? rounded.description : d.description
    }

    /// Runs the equations on 128-bit fixed point; on the rare receipt whose numbers do not fit,
    /// runs them again on Foundation `Decimal`. Both are exact, so the verdict is the same.
    mutating func checkCalculations() {
        if let tolerance = FixedDecimal(context.roundingTolerance) {
            var fast = Calculation<FixedDecimal>(receipt: receipt, tolerance: tolerance)
            if fast.run() {
                for finding in fast.findings { report(finding) }
                return
            }
        }
        var exact = Calculation<Decimal>(receipt: receipt, tolerance: context.roundingTolerance)
        _ = exact.run()
        for finding in exact.findings { report(finding) }
    }

    mutating func report(_ finding: CalculationFinding) {
        switch finding {
        case let .mismatch(rule, path, declared, computed, formula):
            add(rule, "\(path) is \(declared) but \(formula) gives \(text(computed)) (tolerance ±\(context.roundingTolerance)).", path)
        case let .message(rule, message, path):
            add(rule, message, path)
        }
    }

    // MARK: Dates

    mutating func checkDates() {
        guard let issued = UTCDateTime(receipt.header.dateTimeIssued) else { return }
        let now = context.now.secondsSinceEpoch
        if issued.secondsSinceEpoch > now + context.futureTolerance {
            add(.notInFuture, "header.dateTimeIssued \(receipt.header.dateTimeIssued) is in the future (now \(context.now.iso8601)).", "header.dateTimeIssued")
        }
        if let window = context.submissionWindow, issued.secondsSinceEpoch < now - window, (receipt.header.referenceOldUUID ?? "").isEmpty {
            add(.submissionWindow, "header.dateTimeIssued \(receipt.header.dateTimeIssued) is older than the submission window of \(window / 3600) hours.", "header.dateTimeIssued")
        }
    }

    // MARK: References

    mutating func checkReferences() {
        let h = receipt.header
        if !h.previousUUID.isEmpty, h.previousUUID.lowercased() == h.uuid.lowercased() {
            add(.previousUUID, "header.previousUUID must be the UUID of the previous receipt of this POS, not of this receipt.", "header.previousUUID")
        }
        guard kind == .return else { return }
        let reference = h.referenceUUID ?? ""
        guard !reference.isEmpty else {
            add(.returnReference, "header.referenceUUID is mandatory on return receipts: the UUID of the sale receipt being returned.", "header.referenceUUID")
            return
        }
        if reference.lowercased() == h.uuid.lowercased() {
            add(.returnReference, "header.referenceUUID must name the sale receipt, not this return receipt.", "header.referenceUUID")
            return
        }
        guard let lookup = context.referencedReceipt else { return }
        guard let sale = lookup(reference.lowercased()), sale.isValidSale else {
            add(.returnReference, "header.referenceUUID \(reference) does not name a valid sale receipt.", "header.referenceUUID")
            return
        }
        if sale.sellerRIN != receipt.seller.rin {
            add(.returnReference, "The referenced sale receipt was issued by another taxpayer.", "header.referenceUUID")
        }
        if let issued = UTCDateTime(h.dateTimeIssued), issued.secondsSinceEpoch - sale.dateTimeIssued.secondsSinceEpoch > context.returnWindowDays * 86400 {
            add(.returnReference, "The referenced sale receipt is older than \(context.returnWindowDays) days.", "header.referenceUUID")
        }
        if receipt.totalAmount.value > sale.totalAmount + context.roundingTolerance {
            add(.returnReference, "totalAmount \(receipt.totalAmount.lexeme) exceeds the referenced sale's total \(text(sale.totalAmount)).", "totalAmount")
        }
    }
}
