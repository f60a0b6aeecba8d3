// The calculation rules of an invoice document (InvoiceRuleCatalogue.swift: the equations and
// their source). Each declared amount is compared with what the equation gives from the other
// declared amounts, within the tolerance; a finding names the equation and both values.

import Foundation

/// One pass of the equations over a document.
struct InvoiceCalculation {
    typealias Rule = ValidationRule.Invoice
    let document: InvoiceDocument
    let tolerance: Decimal
    var errors: [ETAError] = []

    init(document: InvoiceDocument, tolerance: Decimal) {
        self.document = document
        self.tolerance = tolerance
    }

    /// Taxable fees (T5…T12) and non-taxable fees (T13…T20) by number.
    static let taxableFees = 5 ... 12
    static let nonTaxableFees = 13 ... 20

    static func number(_ taxType: String) -> Int? {
        guard taxType.first == "T" || taxType.first == "t" else { return nil }
        return Int(taxType.dropFirst())
    }

    mutating func check(_ rule: ValidationRule, declared: ETADecimal, computed: Decimal, formula: String, path: String) {
        var difference = declared.value - computed
        if difference < 0 { difference = -difference }
        guard difference > tolerance else { return }
        errors.append(issue(rule, "\(path) is \(declared.lexeme) but \(formula) gives \(Self.text(computed)) (tolerance ±\(tolerance)).", path))
    }

    static func text(_ value: Decimal) -> String {
        var rounded = Decimal(), v = value
        NSDecimalRound(&rounded, &v, 5, .plain)
        return "\(rounded)"
    }

    mutating func run() {
        let d = document
        var salesTotal: Decimal = 0, discountTotal: Decimal = 0, netAmount: Decimal = 0, itemsDiscount: Decimal = 0, total: Decimal = 0
        var taxTotals: [String: Decimal] = [:]
        var taxOrder: [String] = []
        for (i, line) in d.invoiceLines.enumerated() {
            let p = "invoiceLines[\(i)]"
            let unit = line.unitValue
            if unit.currencySold != "EGP", let sold = unit.amountSold, let rate = unit.currencyExchangeRate, rate.value > 0 {
                check(Rule.amountEGP, declared: unit.amountEGP, computed: sold.value * rate.value, formula: "amountSold × currencyExchangeRate", path: "\(p).unitValue.amountEGP")
            }
            check(Rule.salesTotal, declared: line.salesTotal, computed: line.quantity.value * unit.amountEGP.value, formula: "quantity × unitValue.amountEGP", path: "\(p).salesTotal")
            let discount = line.discount?.amount.value ?? 0
            if let rate = line.discount?.rate?.value, rate > 0, let amount = line.discount?.amount {
                check(Rule.discount, declared: amount, computed: line.salesTotal.value * rate / 100, formula: "salesTotal × discount.rate / 100", path: "\(p).discount.amount")
            }
            let net = line.netTotal.value
            check(Rule.netTotal, declared: line.netTotal, computed: line.salesTotal.value - discount, formula: "salesTotal − discount.amount", path: "\(p).netTotal")

            var byNumber: [Int: Decimal] = [:]
            for tax in line.taxableItems {
                if let n = Self.number(tax.taxType) { byNumber[n, default: 0] += tax.amount.value }
                if taxTotals[tax.taxType] == nil { taxOrder.append(tax.taxType) }
                taxTotals[tax.taxType, default: 0] += tax.amount.value
            }
            func t(_ n: Int) -> Decimal { byNumber[n] ?? 0 }
            let fees = Self.taxableFees.reduce(Decimal(0)) { $0 + t($1) }
            check(Rule.taxableFees, declared: line.totalTaxableFees, computed: fees, formula: "Σ T5…T12", path: "\(p).totalTaxableFees")
            let declaredFees = line.totalTaxableFees.value, difference = line.valueDifference.value
            for (j, tax) in line.taxableItems.enumerated() {
                let tp = "\(p).taxableItems[\(j)].amount"
                let rate = tax.rate.value
                switch Self.number(tax.taxType) {
                case 1:
                    check(Rule.t1, declared: tax.amount, computed: (net + declaredFees + difference + t(2) + t(3)) * rate / 100,
                          formula: "(netTotal + totalTaxableFees + valueDifference + T2 + T3) × rate / 100", path: tp)
                case 2:
                    check(Rule.t2, declared: tax.amount, computed: (net + declaredFees + difference + t(3)) * rate / 100,
                          formula: "(netTotal + totalTaxableFees + valueDifference + T3) × rate / 100", path: tp)
                case 4:
                    check(Rule.t4, declared: tax.amount, computed: (net - line.itemsDiscount.value) * rate / 100,
                          formula: "(netTotal − itemsDiscount) × rate / 100", path: tp)
                case let n? where (5 ... 20).contains(n) && rate > 0:
                    check(Rule.rateTax, declared: tax.amount, computed: net * rate / 100, formula: "netTotal × rate / 100", path: tp)
                default:
                    break // T3 and fees with rate 0 are fixed amounts.
                }
            }
            let nonTaxable = Self.nonTaxableFees.reduce(Decimal(0)) { $0 + t($1) }
            check(Rule.lineTotal, declared: line.total, computed: net + declaredFees + t(1) + t(2) + t(3) - t(4) + nonTaxable - line.itemsDiscount.value,
                  formula: "netTotal + totalTaxableFees + T1 + T2 + T3 − T4 + Σ(T13…T20) − itemsDiscount", path: "\(p).total")
            salesTotal += line.salesTotal.value
            discountTotal += discount
            netAmount += net
            itemsDiscount += line.itemsDiscount.value
            total += line.total.value
        }
        check(Rule.totalSalesAmount, declared: d.totalSalesAmount, computed: salesTotal, formula: "Σ salesTotal", path: "totalSalesAmount")
        check(Rule.totalDiscountAmount, declared: d.totalDiscountAmount, computed: discountTotal, formula: "Σ discount.amount", path: "totalDiscountAmount")
        check(Rule.netAmount, declared: d.netAmount, computed: netAmount, formula: "Σ netTotal", path: "netAmount")
        check(Rule.totalItemsDiscountAmount, declared: d.totalItemsDiscountAmount, computed: itemsDiscount, formula: "Σ itemsDiscount", path: "totalItemsDiscountAmount")
        var declaredTypes: Set<String> = []
        for (i, tax) in d.taxTotals.enumerated() {
            declaredTypes.insert(tax.taxType)
            check(Rule.taxTotals, declared: tax.amount, computed: taxTotals[tax.taxType] ?? 0, formula: "Σ \(tax.taxType) amounts of the lines", path: "taxTotals[\(i)].amount")
        }
        for type in taxOrder where !declaredTypes.contains(type) {
            errors.append(issue(Rule.taxTotals, "taxTotals has no entry for \(type), which the lines use (Σ \(Self.text(taxTotals[type] ?? 0))).", "taxTotals"))
        }
        check(Rule.totalAmount, declared: d.totalAmount, computed: total - d.extraDiscountAmount.value, formula: "Σ total − extraDiscountAmount", path: "totalAmount")
    }
}
