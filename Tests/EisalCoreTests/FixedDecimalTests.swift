@testable import EisalCore
import Foundation
import EisalTestSupport
import Testing

/// The calculation rules run on 128-bit fixed point with Foundation `Decimal` as the fallback;
/// these tests hold the two to the same answers.
@Suite("Fixed-point arithmetic of the calculation rules")
struct FixedDecimalTests {
    /// A small deterministic generator (tests must not depend on the run).
    struct Generator {
        var random: SeededRandom
        init(state: UInt64) { random = SeededRandom(seed: state) }
        mutating func next() -> UInt64 { random.next() }

        /// A plain lexeme with up to `digits` integer digits and up to 5 decimals, sometimes negative.
        mutating func lexeme(digits: Int = 9) -> String {
            let integer = String(next() % UInt64(pow(10.0, Double(digits))))
            let decimals = Int(next() % 6)
            var text = (next() % 5 == 0 ? "-" : "") + integer
            if decimals > 0 { text += "." + String((0 ..< decimals).map { _ in Character(String(next() % 10)) }) }
            return text
        }
    }

    @Test(arguments: ["0", "-0", "10.50", "14.00", "0.00001", "-5", "13532.343", "999999999999999999", "123456789.123456789",
                      "0.1234567890123456789", "123456789012345678901234567890.12345"])
    func plainLexemesAreExact(_ lexeme: String) throws {
        let fixed = try #require(FixedDecimal(plainLexeme: lexeme.utf8))
        #expect(fixed.decimal == Decimal(string: lexeme, locale: Locale(identifier: "en_US_POSIX")))
        #expect(ETADecimal(lexeme: lexeme)?.value == Decimal(string: lexeme, locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test(arguments: ["1e5", "-2.5E-3", "1234567890123456789012345678901234567", "0.0000000000000000000000000000000000001", "", "-", "1.2.3", "--1", "1.", "."])
    func otherLexemesAreLeftToDecimal(_ lexeme: String) {
        #expect(FixedDecimal(plainLexeme: lexeme.utf8) == nil)
    }

    @Test func operationsAgreeWithDecimal() throws {
        var g = Generator(state: 7)
        for _ in 0 ..< 3_000 {
            let (a, b) = (g.lexeme(), g.lexeme(digits: 6))
            let (fa, fb) = (try #require(FixedDecimal(plainLexeme: a.utf8)), try #require(FixedDecimal(plainLexeme: b.utf8)))
            let (da, db) = (Decimal(string: a)!, Decimal(string: b)!)
            #expect((fa + fb).decimal == da + db, "\(a) + \(b)")
            #expect((fa - fb).decimal == da - db, "\(a) - \(b)")
            #expect((fa * fb).decimal == da * db, "\(a) × \(b)")
            #expect((fa * fb).hundredth.decimal == da * db / 100, "\(a) × \(b) / 100")
            #expect(fa.compare(fb) == (da < db ? -1 : da == db ? 0 : 1))
            let tolerance = FixedDecimal(plainLexeme: "0.5".utf8)!
            var difference = da - db
            if difference < 0 { difference = -difference }
            #expect(fa.isClose(to: fb, tolerance: tolerance) == (difference <= Decimal(string: "0.5")!), "\(a) ≈ \(b)")
        }
    }

    @Test func overflowIsReportedNotWrapped() throws {
        let big = try #require(FixedDecimal(plainLexeme: "99999999999999999999999999999999999".utf8))
        let product = big * big
        #expect(product.overflowed)
        #expect((product + .zero).overflowed)
        #expect(product.isClose(to: .zero, tolerance: .zero) == nil)
        let fine = try #require(FixedDecimal(plainLexeme: "0.00001".utf8))
        // Scales add up in products; past the maximum with significant digits it overflows too.
        var tiny = fine
        for _ in 0 ..< 7 { tiny = tiny * fine }
        #expect(tiny.overflowed)
    }

    /// Mismatch findings of both arithmetics on the same receipt.
    func findings<N: CalculationNumber>(_: N.Type, _ receipt: Receipt, tolerance: N) -> (decided: Bool, text: [String]) {
        var calculation = Calculation<N>(receipt: receipt, tolerance: tolerance)
        let decided = calculation.run()
        return (decided, calculation.findings.map { finding in
            switch finding {
            case let .mismatch(rule, path, declared, computed, formula): "\(rule.id) \(path) \(declared) \(computed) \(formula)"
            case let .message(rule, message, path): "\(rule.id) \(path) \(message)"
            }
        })
    }

    @Test func receiptEquationsAgreeWithDecimal() throws {
        var g = Generator(state: 2026)
        let sample = try JSONParser().parse(SampleReceipt.text()).root.value
        let numberPaths = ["itemData[0].quantity", "itemData[0].unitPrice", "itemData[0].netSale", "itemData[0].totalSale", "itemData[0].total",
                           "itemData[0].commercialDiscountData[0].amount", "itemData[0].taxableItems[0].amount", "itemData[0].taxableItems[0].rate",
                           "itemData[1].quantity", "itemData[1].unitPrice", "itemData[1].itemDiscountData[0].amount", "itemData[1].total",
                           "totalSales", "totalCommercialDiscount", "totalItemsDiscount", "netAmount", "totalAmount", "taxTotals[0].amount"]
        var disagreements: [String] = []
        var mismatchesSeen = 0
        for round in 0 ..< 400 {
            var value = sample
            for _ in 0 ..< 1 + Int(g.next() % 3) {
                let path = numberPaths[Int(g.next() % UInt64(numberPaths.count))]
                value = value.setting(steps(path), to: .number(g.lexeme(digits: 1 + Int(g.next() % 8))))
            }
            if round % 10 == 0 { value = value.setting(steps("itemData[1].taxableItems[0].taxType"), to: .string("T21")) }
            let receipt = try Receipt(tokenTree: try JSONParser().parse(JSONWriter().string(value)).root)
            let fixed = findings(FixedDecimal.self, receipt, tolerance: FixedDecimal(plainLexeme: "0.5".utf8)!)
            let exact = findings(Decimal.self, receipt, tolerance: Decimal(string: "0.5")!)
            #expect(fixed.decided)
            mismatchesSeen += exact.text.count
            if fixed.text != exact.text { disagreements.append("\(fixed.text) vs \(exact.text)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
        #expect(mismatchesSeen > 400)
    }

    @Test func numbersThatDoNotFitFallBackToDecimal() throws {
        // An exponent lexeme and a 40-digit one: fixed point cannot decide, Decimal does, and the
        // validator reports what Decimal finds.
        let text = SampleReceipt.text()
            .replacingOccurrences(of: #""quantity": 2,"#, with: #""quantity": 2e0,"#)
            .replacingOccurrences(of: #""totalSales": 202.5,"#, with: #""totalSales": 202.50000000000000000000000000000000000001,"#)
        let receipt = try Receipt(tokenTree: try JSONParser().parse(text).root)
        #expect(findings(FixedDecimal.self, receipt, tolerance: FixedDecimal(plainLexeme: "0.5".utf8)!).decided == false)
        #expect(findings(Decimal.self, receipt, tolerance: Decimal(string: "0.5")!).text.isEmpty)
        // Structure rules would stop at the exponent; the platform's worker runs the model rules
        // on receipts whose structure passed, so ask for those directly.
        let report = ReceiptValidator().validate(try JSONParser().parse(text).root, context: SampleReceipt.context, structureChecked: true)
        #expect(!report.errors.contains { ($0.code ?? "").hasPrefix("Calc.") }, "\(report.errors)")
        let wrong = text.replacingOccurrences(of: #""totalAmount": 224.15,"#, with: #""totalAmount": 234.15,"#)
        let wrongReport = ReceiptValidator().validate(try JSONParser().parse(wrong).root, context: SampleReceipt.context, structureChecked: true)
        #expect(wrongReport.errors.map(\.propertyPath) == ["totalAmount"])
    }
}
