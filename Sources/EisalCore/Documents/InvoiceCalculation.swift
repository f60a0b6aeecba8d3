// The calculation rules of an invoice document (InvoiceRuleCatalogue.swift: the equations and
// their source). Each declared amount is compared with what the equation gives from the other
// declared amounts, within the tolerance; a finding names the equation and both values. Written
// once, generic over the exact arithmetic (as the receipt equations, Calculation.swift): 128-bit
// fixed point first, Foundation `Decimal` when a number does not fit.

import Foundation

/// One pass of the equations over a document.
struct InvoiceCalculation<N: CalculationNumber> {
    typealias Rule = ValidationRule.Invoice
    let document: InvoiceDocument
    let tolerance: N
    let toleranceText: String
    var errors: [ETAError] = []
    /// Cleared when a number or a result did not fit `N`; the findings are then meaningless.
    var decided = true

    init(document: InvoiceDocument, tolerance: N, toleranceText: String) {
        self.document = document
        self.tolerance = tolerance
        self.toleranceText = toleranceText
    }

    /// Taxable fees (T5…T12) and non-taxable fees (T13…T20) by number.
    static var taxableFees: ClosedRange<Int> { 5 ... 12 }
    static var nonTaxableFees: ClosedRange<Int> { 13 ... 20 }

    static func number(_ taxType: String) -> Int? {
        guard taxType.first == "T" || taxType.first == "t" else { return nil }
        return Int(taxType.dropFirst())
    }

    mutating func value(_ amount: ETADecimal?) -> N {
        guard let amount else { return .zero }
        guard let n = N(amount: amount) else { decided = false; return .zero }
        return n
    }

    mutating func check(_ rule: ValidationRule, declared: ETADecimal, computed: N, formula: @autoclosure () -> String, path: @autoclosure () -> String) {
        let declaredValue = value(declared)
        guard decided else { return }
        switch declaredValue.isClose(to: computed, tolerance: tolerance) {
        case true?: return
        case false?:
            let p = path()
            errors.append(issue(rule, "\(p) is \(declared.lexeme) but \(formula()) gives \(Self.text(computed.decimalValue)) (tolerance ±\(toleranceText)).", p))
        case nil:
            decided = false
        }
    }

    static func text(_ value: Decimal) -> String {
        var rounded = Decimal(), v = value
        NSDecimalRound(&rounded, &v, 5, .plain)
        return "\(rounded)"
    }

    mutating func run() {
        let d = document
        var salesTotal = N.zero, discountTotal = N.zero, netAmount = N.zero, itemsDiscount = N.zero, total = N.zero
        var taxTotals: [String: N] = [:]
        var taxOrder: [String] = []
        for (i, line) in d.invoiceLines.enumerated() {
            func p() -> String { "invoiceLines[\(i)]" }
            let unit = line.unitValue
            if unit.currencySold != "EGP", let sold = unit.amountSold, let rate = unit.currencyExchangeRate, rate.value > 0 {
                check(Rule.amountEGP, declared: unit.amountEGP, computed: value(sold) * value(rate), formula: "amountSold × currencyExchangeRate", path: "\(p()).unitValue.amountEGP")
            }
            let sales = value(line.salesTotal), net = value(line.netTotal), lineItemsDiscount = value(line.itemsDiscount)
            check(Rule.salesTotal, declared: line.salesTotal, computed: value(line.quantity) * value(unit.amountEGP), formula: "quantity × unitValue.amountEGP", path: "\(p()).salesTotal")
            let discount = value(line.discount?.amount)
            if let rate = line.discount?.rate, rate.value > 0, let amount = line.discount?.amount {
                check(Rule.discount, declared: amount, computed: (sales * value(rate)).hundredth, formula: "salesTotal × discount.rate / 100", path: "\(p()).discount.amount")
            }
            check(Rule.netTotal, declared: line.netTotal, computed: sales - discount, formula: "salesTotal − discount.amount", path: "\(p()).netTotal")

            var byNumber: [Int: N] = [:]
            for tax in line.taxableItems {
                let amount = value(tax.amount)
                if let n = Self.number(tax.taxType) { byNumber[n] = (byNumber[n] ?? .zero) + amount }
                if taxTotals[tax.taxType] == nil { taxOrder.append(tax.taxType) }
                taxTotals[tax.taxType] = (taxTotals[tax.taxType] ?? .zero) + amount
            }
            func t(_ n: Int) -> N { byNumber[n] ?? .zero }
            var fees = N.zero
            for n in Self.taxableFees { fees = fees + t(n) }
            check(Rule.taxableFees, declared: line.totalTaxableFees, computed: fees, formula: "Σ T5…T12", path: "\(p()).totalTaxableFees")
            let declaredFees = value(line.totalTaxableFees), difference = value(line.valueDifference)
            for (j, tax) in line.taxableItems.enumerated() {
                func tp() -> String { "\(p()).taxableItems[\(j)].amount" }
                let rate = value(tax.rate)
                switch Self.number(tax.taxType) {
                case 1:
                    check(Rule.t1, declared: tax.amount, computed: ((net + declaredFees + difference + t(2) + t(3)) * rate).hundredth,
                          formula: "(netTotal + totalTaxableFees + valueDifference + T2 + T3) × rate / 100", path: tp())
                case 2:
                    check(Rule.t2, declared: tax.amount, computed: ((net + declaredFees + difference + t(3)) * rate).hundredth,
                          formula: "(netTotal + totalTaxableFees + valueDifference + T3) × rate / 100", path: tp())
                case 4:
                    check(Rule.t4, declared: tax.amount, computed: ((net - lineItemsDiscount) * rate).hundredth, formula: "(netTotal − itemsDiscount) × rate / 100", path: tp())
                case let n? where (5 ... 20).contains(n) && tax.rate.value > 0:
                    check(Rule.rateTax, declared: tax.amount, computed: (net * rate).hundredth, formula: "netTotal × rate / 100", path: tp())
                default:
                    break // T3 and fees with rate 0 are fixed amounts.
                }
            }
            var nonTaxable = N.zero
            for n in Self.nonTaxableFees { nonTaxable = nonTaxable + t(n) }
            check(Rule.lineTotal, declared: line.total, computed: net + declaredFees + t(1) + t(2) + t(3) - t(4) + nonTaxable - lineItemsDiscount,
                  formula: "netTotal + totalTaxableFees + T1 + T2 + T3 − T4 + Σ(T13…T20) − itemsDiscount", path: "\(p()).total")
            salesTotal = salesTotal + sales
            discountTotal = discountTotal + discount
            netAmount = netAmount + net
            itemsDiscount = itemsDiscount + lineItemsDiscount
            total = total + value(line.total)
        }
        check(Rule.totalSalesAmount, declared: d.totalSalesAmount, computed: salesTotal, formula: "Σ salesTotal", path: "totalSalesAmount")
        check(Rule.totalDiscountAmount, declared: d.totalDiscountAmount, computed: discountTotal, formula: "Σ discount.amount", path: "totalDiscountAmount")
        check(Rule.netAmount, declared: d.netAmount, computed: netAmount, formula: "Σ netTotal", path: "netAmount")
        check(Rule.totalItemsDiscountAmount, declared: d.totalItemsDiscountAmount, computed: itemsDiscount, formula: "Σ itemsDiscount", path: "totalItemsDiscountAmount")
        var declaredTypes: Set<String> = []
        for (i, tax) in d.taxTotals.enumerated() {
            declaredTypes.insert(tax.taxType)
            check(Rule.taxTotals, declared: tax.amount, computed: taxTotals[tax.taxType] ?? .zero, formula: "Σ \(tax.taxType) amounts of the lines", path: "taxTotals[\(i)].amount")
        }
        for type in taxOrder where !declaredTypes.contains(type) {
            errors.append(issue(Rule.taxTotals, "taxTotals has no entry for \(type), which the lines use (Σ \(Self.text((taxTotals[type] ?? .zero).decimalValue))).", "taxTotals"))
        }
        check(Rule.totalAmount, declared: d.totalAmount, computed: total - value(d.extraDiscountAmount), formula: "Σ total − extraDiscountAmount", path: "totalAmount")
    }
}
