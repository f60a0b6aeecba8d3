// The calculation rules of a receipt (line totals, VAT, receipt totals, tax totals).
// Sources: ETA SDK /receipt-issuance/ (receipt structure v1.2 field notes) and
// shared/spec/receipt-structure.md "Calculation rules"; rule identifiers in ValidationRule.swift.
//
// The equations are written once, generic over the exact arithmetic: 128-bit fixed point
// (`FixedDecimal`, fast) or Foundation `Decimal` (the fallback for numbers that do not fit).

import Foundation

/// Exact decimal arithmetic the calculation rules run on.
protocol CalculationNumber {
    static var zero: Self { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    /// `self / 100`.
    var hundredth: Self { get }
    /// A received amount; `nil` when this arithmetic cannot hold it.
    init?(amount: ETADecimal)
    /// `|self − other| ≤ tolerance`; `nil` when this arithmetic cannot decide.
    func isClose(to other: Self, tolerance: Self) -> Bool?
    /// Negative, zero or positive; `nil` when this arithmetic cannot decide.
    func compare(_ other: Self) -> Int?
    /// The value for messages.
    var decimalValue: Decimal { get }
}

extension FixedDecimal: CalculationNumber {
    init?(amount: ETADecimal) {
        guard let fixed = amount.fixed else { return nil }
        self = fixed
    }

    var decimalValue: Decimal { decimal }
}

extension Decimal: CalculationNumber {
    var hundredth: Decimal { self / 100 }

    init?(amount: ETADecimal) { self = amount.value }

    func isClose(to other: Decimal, tolerance: Decimal) -> Bool? {
        var difference = self - other
        if difference < 0 { difference = -difference }
        return difference <= tolerance
    }

    func compare(_ other: Decimal) -> Int? { self < other ? -1 : (self == other ? 0 : 1) }

    var decimalValue: Decimal { self }
}

/// What the equations found wrong.
enum CalculationFinding {
    /// `path` is `declared` but the equation gives `computed`.
    case mismatch(ValidationRule, path: String, declared: String, computed: Decimal, formula: String)
    case message(ValidationRule, String, path: String)
}

/// One pass of the equations over a receipt.
struct Calculation<N: CalculationNumber> {
    let receipt: Receipt
    let tolerance: N
    var findings: [CalculationFinding] = []
    /// Cleared when a number or a result did not fit `N`; the findings are then meaningless.
    var decided = true

    init(receipt: Receipt, tolerance: N) {
        self.receipt = receipt
        self.tolerance = tolerance
    }

    mutating func value(_ amount: ETADecimal?) -> N {
        guard let amount else { return .zero }
        guard let n = N(amount: amount) else { decided = false; return .zero }
        return n
    }

    mutating func sum(_ discounts: [Discount]?) -> N {
        var total = N.zero
        for discount in discounts ?? [] { total = total + value(discount.amount) }
        return total
    }

    mutating func expect(_ rule: ValidationRule, _ path: @autoclosure () -> String, declared: ETADecimal, computed: N, _ formula: @autoclosure () -> String) {
        guard let close = value(declared).isClose(to: computed, tolerance: tolerance) else { decided = false; return }
        if !close { findings.append(.mismatch(rule, path: path(), declared: declared.lexeme, computed: computed.decimalValue, formula: formula())) }
    }

    func text(_ n: N) -> String {
        var value = n.decimalValue
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 5, .plain)
        return rounded.description
    }

    /// Runs every equation; `false` when `N` could not decide (then run it with `Decimal`).
    mutating func run() -> Bool {
        let r = receipt
        var totalSales = N.zero, netAmount = N.zero, commercial = N.zero, itemDiscounts = N.zero, linesTotal = N.zero
        var taxByType: [(type: String, amount: N)] = []
        var t = [N](repeating: .zero, count: 21)
        for (i, item) in r.itemData.enumerated() {
            expect(.totalSale, "itemData[\(i)].totalSale", declared: item.totalSale, computed: ReceiptLaw.totalSale(quantity: value(item.quantity), unitPrice: value(item.unitPrice)), "quantity × unitPrice")
            let lineCommercial = sum(item.commercialDiscountData) + value(item.additionalCommercialDiscount?.amount)
            let netSale = value(item.netSale)
            expect(.netSale, "itemData[\(i)].netSale", declared: item.netSale, computed: ReceiptLaw.netSale(totalSale: value(item.totalSale), commercialDiscounts: lineCommercial), "totalSale − commercial discounts")
            // T1…T20 amounts of this line, by number (one array for all lines).
            for n in t.indices { t[n] = .zero }
            var t1Rate: N?
            var t1Index = 0
            for (j, tax) in (item.taxableItems ?? []).enumerated() {
                let type = tax.taxType
                guard type.utf8.first == UInt8(ascii: "T"), let n = Int(type.dropFirst()) else { continue }
                let amount = value(tax.amount)
                if let k = taxByType.firstIndex(where: { $0.type == type }) {
                    taxByType[k].amount = taxByType[k].amount + amount
                } else {
                    taxByType.append((type, amount))
                }
                // Unknown types (T0, T21) are reported by the code-table rule and add to no equation.
                guard (1 ... 20).contains(n) else { continue }
                t[n] = t[n] + amount
                if n == 1 {
                    // The VAT rule checks the first T1 entry with the rate of the last (a line has one T1).
                    if t1Rate == nil { t1Index = j }
                    t1Rate = value(tax.rate)
                }
            }
            if let rate = t1Rate {
                let base = ReceiptLaw.vatBase(netSale: netSale, t: t, valueDifference: value(item.valueDifference))
                expect(.vat, "itemData[\(i)].taxableItems[\(t1Index)].amount", declared: item.taxableItems![t1Index].amount, computed: ReceiptLaw.vat(base: base, rate: rate),
                       "(T2 + netSale + T5…T12 + valueDifference + T3) × rate / 100")
            }
            let lineItemDiscounts = sum(item.itemDiscountData) + value(item.additionalItemDiscount?.amount)
            let lineTotal = ReceiptLaw.lineTotal(netSale: netSale, t: t, itemDiscounts: lineItemDiscounts)
            expect(.lineTotal, "itemData[\(i)].total", declared: item.total, computed: lineTotal, "netSale + taxes − T4 − item discounts")
            totalSales = totalSales + value(item.totalSale)
            netAmount = netAmount + netSale
            commercial = commercial + lineCommercial
            itemDiscounts = itemDiscounts + lineItemDiscounts
            linesTotal = linesTotal + value(item.total)
        }
        expect(.totalSales, "totalSales", declared: r.totalSales, computed: totalSales, "Σ itemData.totalSale")
        if let declared = r.totalCommercialDiscount {
            expect(.totalCommercialDiscount, "totalCommercialDiscount", declared: declared, computed: commercial, "Σ line commercial discounts")
            guard let order = value(declared).compare(value(r.totalSales)) else { return false }
            if order > 0 { findings.append(.message(.totalCommercialDiscount, "totalCommercialDiscount must not exceed totalSales.", path: "totalCommercialDiscount")) }
        } else {
            guard let order = commercial.compare(.zero) else { return false }
            if order != 0 {
                findings.append(.message(.totalCommercialDiscount, "totalCommercialDiscount is missing but the lines carry commercial discounts of \(text(commercial)).", path: "totalCommercialDiscount"))
            }
        }
        if let declared = r.totalItemsDiscount {
            expect(.totalItemsDiscount, "totalItemsDiscount", declared: declared, computed: itemDiscounts, "Σ line item discounts")
        } else {
            guard let order = itemDiscounts.compare(.zero) else { return false }
            if order != 0 {
                findings.append(.message(.totalItemsDiscount, "totalItemsDiscount is missing but the lines carry item discounts of \(text(itemDiscounts)).", path: "totalItemsDiscount"))
            }
        }
        expect(.netAmount, "netAmount", declared: r.netAmount, computed: netAmount, "Σ itemData.netSale")
        let declaredTotals = r.taxTotals ?? []
        for (i, total) in declaredTotals.enumerated() {
            let computed = taxByType.first { $0.type == total.taxType }?.amount ?? .zero
            expect(.taxTotals, "taxTotals[\(i)].amount", declared: total.amount, computed: computed, "Σ line \(total.taxType) amounts")
        }
        for (type, amount) in taxByType where !declaredTotals.contains(where: { $0.taxType == type }) {
            findings.append(.message(.taxTotals, "taxTotals has no entry for \(type), which the lines use (Σ \(text(amount))).", path: "taxTotals"))
        }
        let extra = sum(r.extraReceiptDiscountData)
        expect(.totalAmount, "totalAmount", declared: r.totalAmount, computed: ReceiptLaw.totalAmount(linesTotal: linesTotal, extraDiscounts: extra, adjustment: value(r.adjustment)),
               "Σ itemData.total − Σ extraReceiptDiscountData.amount")
        return decided
    }
}
