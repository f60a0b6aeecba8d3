// The calculation law of a receipt, written once (ETA SDK /main-calculations/ rules r10–r17 and
// the core table; spec/receipt-structure.md "Calculation and validation rules"): how each derived
// amount follows from what it is made of. The validator (Calculation.swift) checks declared
// amounts against it; the SDK's ReceiptBuilder fills them in from it. Generic over the exact
// arithmetic the validator runs on; the public face works on `Decimal`.

import Foundation

/// The equations of a receipt.
public enum ReceiptLaw {
    /// r11: `totalSale = quantity × unitPrice`.
    static func totalSale<N: CalculationNumber>(quantity: N, unitPrice: N) -> N { quantity * unitPrice }

    /// r13: `netSale = totalSale − Σ commercial discounts (incl. the additional one)`.
    static func netSale<N: CalculationNumber>(totalSale: N, commercialDiscounts: N) -> N { totalSale - commercialDiscounts }

    /// `Σ T5…T12` of a line (`t[n]` is the amount of tax type Tn, `t.count == 21`).
    static func taxableFees<N: CalculationNumber>(_ t: [N]) -> N { (5 ... 12).reduce(N.zero) { $0 + t[$1] } }

    /// `Σ T13…T20` of a line.
    static func nonTaxableFees<N: CalculationNumber>(_ t: [N]) -> N { (13 ... 20).reduce(N.zero) { $0 + t[$1] } }

    /// The base of T1 (VAT): `T2 + netSale + Σ T5…T12 + valueDifference + T3`.
    static func vatBase<N: CalculationNumber>(netSale: N, t: [N], valueDifference: N) -> N {
        t[2] + netSale + taxableFees(t) + valueDifference + t[3]
    }

    /// T1 = base × rate / 100.
    static func vat<N: CalculationNumber>(base: N, rate: N) -> N { (base * rate).hundredth }

    /// r17: `total = netSale + T1 + T2 + T3 + Σ T5…T20 − T4 − Σ item discounts (incl. the additional one)`.
    static func lineTotal<N: CalculationNumber>(netSale: N, t: [N], itemDiscounts: N) -> N {
        netSale + t[1] + t[2] + t[3] + taxableFees(t) + nonTaxableFees(t) - t[4] - itemDiscounts
    }

    /// `totalAmount = Σ line totals − Σ extra receipt discounts + adjustment`.
    static func totalAmount<N: CalculationNumber>(linesTotal: N, extraDiscounts: N, adjustment: N) -> N { linesTotal - extraDiscounts + adjustment }

    // MARK: The public face, on Decimal

    /// One tax of a line as the builder is given it: its type, rate and, optionally, its amount.
    public struct Tax: Sendable {
        public var taxType: String
        public var rate: Decimal
        /// Given amount; nil lets the law compute it (T1 from its base; any other type as
        /// `netSale × rate / 100`, the SDK's convention: ETA publishes no formula for T2–T20 and
        /// the platform checks only their sums).
        public var amount: Decimal?

        public init(taxType: String, rate: Decimal, amount: Decimal? = nil) {
            self.taxType = taxType
            self.rate = rate
            self.amount = amount
        }
    }

    /// The derived amounts of one line, each rounded to 5 decimals (r10–r17).
    public struct LineAmounts: Sendable, Hashable {
        public var totalSale: Decimal
        public var netSale: Decimal
        /// Each tax's amount, in the order given.
        public var taxAmounts: [Decimal]
        public var total: Decimal
    }

    /// The derived amounts of a line from its inputs.
    public static func line(quantity: Decimal, unitPrice: Decimal, commercialDiscounts: Decimal, itemDiscounts: Decimal, valueDifference: Decimal,
                            taxes: [Tax]) -> LineAmounts {
        let totalSale = round5(totalSale(quantity: quantity, unitPrice: unitPrice))
        let netSale = round5(netSale(totalSale: totalSale, commercialDiscounts: commercialDiscounts))
        var t = [Decimal](repeating: 0, count: 21)
        var amounts = [Decimal](repeating: 0, count: taxes.count)
        // Every tax but T1 first: T1's base includes T2, T3 and T5–T12.
        for (k, tax) in taxes.enumerated() where tax.taxType != "T1" {
            amounts[k] = round5(tax.amount ?? (netSale * tax.rate).hundredth)
            if let n = typeNumber(tax.taxType) { t[n] += amounts[k] }
        }
        for (k, tax) in taxes.enumerated() where tax.taxType == "T1" {
            amounts[k] = round5(tax.amount ?? vat(base: vatBase(netSale: netSale, t: t, valueDifference: valueDifference), rate: tax.rate))
            t[1] += amounts[k]
        }
        return LineAmounts(totalSale: totalSale, netSale: netSale, taxAmounts: amounts, total: round5(lineTotal(netSale: netSale, t: t, itemDiscounts: itemDiscounts)))
    }

    /// The receipt's total from its lines' totals.
    public static func totalAmount(lineTotals: [Decimal], extraDiscounts: Decimal, adjustment: Decimal = 0) -> Decimal {
        round5(totalAmount(linesTotal: lineTotals.reduce(0, +), extraDiscounts: extraDiscounts, adjustment: adjustment))
    }

    /// `n` of a tax type `Tn` with 1 ≤ n ≤ 20.
    static func typeNumber(_ type: String) -> Int? {
        guard type.utf8.first == UInt8(ascii: "T"), let n = Int(type.dropFirst()), (1 ... 20).contains(n) else { return nil }
        return n
    }

    /// Rounded to 5 decimals (ETA's precision), half away from zero.
    public static func round5(_ value: Decimal) -> Decimal {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 5, .plain)
        return rounded
    }
}
