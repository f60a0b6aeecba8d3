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
        guard errors.count > 1 else { return }
        let order = Self.ruleOrder
        errors = errors.enumerated().sorted {
            let a = order[$0.element.code ?? ""] ?? .max, b = order[$1.element.code ?? ""] ?? .max
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
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
            let p = "itemData[\(i)]"
            if !tables.itemTypes.contains(item.itemType) {
                add(.itemType, "Item type '\(item.itemType)' is not GS1 or EGS.", "\(p).itemType")
            } else if !itemCodeFits(item) {
                add(.itemCode, item.itemType == "GS1"
                    ? "GS1 item code '\(item.itemCode)' must be 8 to 14 digits."
                    : "EGS item code '\(item.itemCode)' must look like EG-{9-digit RIN}-{code}.", "\(p).itemCode")
            }
            if !tables.unitTypes.contains(item.unitType) {
                add(.unitType, "Unit type '\(item.unitType)' is not a code from UnitTypes.", "\(p).unitType")
            }
            for (j, tax) in (item.taxableItems ?? []).enumerated() {
                let tp = "\(p).taxableItems[\(j)]"
                if !tables.isTaxType(tax.taxType) {
                    add(.taxType, "Tax type '\(tax.taxType)' is not known (T1–T20).", "\(tp).taxType")
                } else if tables.subtypeTaxType[tax.subType] != tax.taxType {
                    add(.taxSubtype, "Subtype '\(tax.subType)' is not a subtype of \(tax.taxType).", "\(tp).subType")
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

    func itemCodeFits(_ item: ReceiptItem) -> Bool {
        let code = Array(item.itemCode.utf8)
        if item.itemType == "GS1" {
            return (8 ... 14).contains(code.count) && code.allSatisfy { $0 >= 48 && $0 <= 57 }
        }
        // EGS: EG-{RIN}-{internal}
        let parts = item.itemCode.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "EG" && FieldPattern.rin.matches(String(parts[1])) && !parts[2].isEmpty
    }

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
            if r.totalAmount.value >= context.buyerIdentificationThreshold {
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
    }

    // MARK: Calculations

    func close(_ declared: Decimal, _ computed: Decimal) -> Bool {
        var difference = declared - computed
        if difference < 0 { difference = -difference }
        return difference <= context.roundingTolerance
    }

    func text(_ d: Decimal) -> String {
        var value = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 5, .plain)
        return rounded.description
    }

    mutating func expect(_ rule: ValidationRule, _ path: String, declared: ETADecimal, computed: Decimal, _ formula: String) {
        if !close(declared.value, computed) {
            add(rule, "\(path) is \(declared.lexeme) but \(formula) gives \(text(computed)) (tolerance ±\(context.roundingTolerance)).", path)
        }
    }

    static func sum(_ discounts: [Discount]?) -> Decimal { (discounts ?? []).reduce(Decimal(0)) { $0 + $1.amount.value } }

    mutating func checkCalculations() {
        let r = receipt
        var totalSales = Decimal(0), netAmount = Decimal(0), commercial = Decimal(0), itemDiscounts = Decimal(0), linesTotal = Decimal(0)
        var taxByType: [String: Decimal] = [:]
        var taxTypeOrder: [String] = []
        for (i, item) in r.itemData.enumerated() {
            let p = "itemData[\(i)]"
            expect(.totalSale, "\(p).totalSale", declared: item.totalSale, computed: item.quantity.value * item.unitPrice.value, "quantity × unitPrice")
            let lineCommercial = Self.sum(item.commercialDiscountData) + (item.additionalCommercialDiscount?.amount.value ?? 0)
            expect(.netSale, "\(p).netSale", declared: item.netSale, computed: item.totalSale.value - lineCommercial, "totalSale − commercial discounts")
            var t: [Int: Decimal] = [:]
            var t1Rate: Decimal?
            for tax in item.taxableItems ?? [] {
                guard tax.taxType.hasPrefix("T"), let n = Int(tax.taxType.dropFirst()) else { continue }
                t[n, default: 0] += tax.amount.value
                if n == 1 { t1Rate = tax.rate.value }
                if taxByType[tax.taxType] == nil { taxTypeOrder.append(tax.taxType) }
                taxByType[tax.taxType, default: 0] += tax.amount.value
            }
            func tax(_ n: Int) -> Decimal { t[n] ?? 0 }
            let taxableFees = (5 ... 12).reduce(Decimal(0)) { $0 + tax($1) }
            let nonTaxableFees = (13 ... 20).reduce(Decimal(0)) { $0 + tax($1) }
            let valueDifference = item.valueDifference?.value ?? 0
            if let rate = t1Rate {
                let base = tax(2) + item.netSale.value + taxableFees + valueDifference + tax(3)
                let index = (item.taxableItems ?? []).firstIndex { $0.taxType == "T1" } ?? 0
                expect(.vat, "\(p).taxableItems[\(index)].amount", declared: item.taxableItems![index].amount, computed: base * rate / 100,
                       "(T2 + netSale + T5…T12 + valueDifference + T3) × rate / 100")
            }
            let lineItemDiscounts = Self.sum(item.itemDiscountData) + (item.additionalItemDiscount?.amount.value ?? 0)
            let lineTotal = item.netSale.value + tax(1) + tax(2) + tax(3) + taxableFees + nonTaxableFees - tax(4) - lineItemDiscounts
            expect(.lineTotal, "\(p).total", declared: item.total, computed: lineTotal, "netSale + taxes − T4 − item discounts")
            totalSales += item.totalSale.value
            netAmount += item.netSale.value
            commercial += lineCommercial
            itemDiscounts += lineItemDiscounts
            linesTotal += item.total.value
        }
        expect(.totalSales, "totalSales", declared: r.totalSales, computed: totalSales, "Σ itemData.totalSale")
        if let declared = r.totalCommercialDiscount {
            expect(.totalCommercialDiscount, "totalCommercialDiscount", declared: declared, computed: commercial, "Σ line commercial discounts")
            if declared.value > r.totalSales.value { add(.totalCommercialDiscount, "totalCommercialDiscount must not exceed totalSales.", "totalCommercialDiscount") }
        } else if commercial != 0 {
            add(.totalCommercialDiscount, "totalCommercialDiscount is missing but the lines carry commercial discounts of \(text(commercial)).", "totalCommercialDiscount")
        }
        if let declared = r.totalItemsDiscount {
            expect(.totalItemsDiscount, "totalItemsDiscount", declared: declared, computed: itemDiscounts, "Σ line item discounts")
        } else if itemDiscounts != 0 {
            add(.totalItemsDiscount, "totalItemsDiscount is missing but the lines carry item discounts of \(text(itemDiscounts)).", "totalItemsDiscount")
        }
        expect(.netAmount, "netAmount", declared: r.netAmount, computed: netAmount, "Σ itemData.netSale")
        let declaredTotals = r.taxTotals ?? []
        for (i, total) in declaredTotals.enumerated() {
            expect(.taxTotals, "taxTotals[\(i)].amount", declared: total.amount, computed: taxByType[total.taxType] ?? 0, "Σ line \(total.taxType) amounts")
        }
        for type in taxTypeOrder where !declaredTotals.contains(where: { $0.taxType == type }) {
            add(.taxTotals, "taxTotals has no entry for \(type), which the lines use (Σ \(text(taxByType[type] ?? 0))).", "taxTotals")
        }
        let extra = Self.sum(r.extraReceiptDiscountData)
        expect(.totalAmount, "totalAmount", declared: r.totalAmount, computed: linesTotal - extra + (r.adjustment?.value ?? 0), "Σ itemData.total − Σ extraReceiptDiscountData.amount")
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
