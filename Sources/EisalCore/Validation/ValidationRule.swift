// The validation rules, in the order they run, each with a stable identifier that appears as
// the `code` of every error it reports.
// Sources: ETA SDK /main-calculations/ (r1–r24 and the core equations), /receiptissuancefaq/
// (structure, code, core-field and national-id validators), /ereceiptapi/02-submit-receipt/;
// spec/receipt-structure.md "Calculation and validation rules" (tolerance and the T2–T20
// stand-in decision), spec/serialization.md (null, booleans and exponents rejected).

/// A validation rule: its identifier (the `code` of the errors it reports) and what it checks.
public struct ValidationRule: Sendable, Hashable, Identifiable {
    /// Which group of checks a rule belongs to.
    public enum Stage: String, Sendable, Hashable {
        case structure, codes, core, calculation, dates, references
    }

    public let id: String
    public let stage: Stage
    public let summary: String

    init(_ id: String, _ stage: Stage, _ summary: String) {
        self.id = id
        self.stage = stage
        self.summary = summary
    }
}

extension ValidationRule {
    // Structure (run on the token tree, before decoding).
    static let required = ValidationRule("Structure.Required", .structure, "A mandatory property is missing or empty.")
    static let type = ValidationRule("Structure.Type", .structure, "A property has the wrong JSON type (null and booleans are never accepted).")
    static let maxLength = ValidationRule("Structure.MaxLength", .structure, "A text property is longer than its maximum length.")
    static let pattern = ValidationRule("Structure.Pattern", .structure, "A text property does not match its pattern (RIN, SHA-256, date-time).")
    static let numberFormat = ValidationRule("Structure.NumberFormat", .structure, "A number uses an exponent, is a negative zero, or has more than 5 decimals (r5, r6, r10, r12, r14–r16, r18–r22).")
    static let nonNegative = ValidationRule("Structure.NonNegative", .structure, "A price, discount, rate or tax amount is negative (r7, r8).")
    static let itemCount = ValidationRule("Structure.ItemCount", .structure, "itemData has no line or more lines than allowed (300).")
    static let typeVersion = ValidationRule("Structure.TypeVersion", .structure, "documentType.typeVersion is not a supported version (1.2).")
    // Codes.
    static let receiptType = ValidationRule("Code.ReceiptType", .codes, "documentType.receiptType is not a known receipt type (s, r, SR, RWR).")
    static let currency = ValidationRule("Code.Currency", .codes, "header.currency is not an ISO 4217 code from CurrencyCodes.")
    static let country = ValidationRule("Code.Country", .codes, "seller.branchAddress.country is not a code from CountryCodes.")
    static let activityCode = ValidationRule("Code.ActivityCode", .codes, "seller.activityCode is not a code from ActivityCodes.")
    static let paymentMethod = ValidationRule("Code.PaymentMethod", .codes, "paymentMethod is not a payment method code.")
    static let buyerType = ValidationRule("Code.BuyerType", .codes, "buyer.type is not B, P or F.")
    static let itemType = ValidationRule("Code.ItemType", .codes, "itemType is not GS1 or EGS.")
    static let itemCode = ValidationRule("Code.ItemCode", .codes, "itemCode does not fit its itemType (GS1: 8–14 digits; EGS: EG-{RIN}-{code}), or is an EGS code of another taxpayer (the RIN part must be the issuer's: an issuer may use only its own EGS codes until code usage is registered). GS1 codes are global: any well-formed one is accepted.")
    static let unitType = ValidationRule("Code.UnitType", .codes, "unitType is not a code from UnitTypes.")
    static let taxType = ValidationRule("Code.TaxType", .codes, "taxType is not a tax type T1–T20.")
    static let taxSubtype = ValidationRule("Code.TaxSubtype", .codes, "subType is not a subtype of its taxType (TaxSubtypes).")
    static let orderDeliveryMode = ValidationRule("Code.OrderDeliveryMode", .codes, "header.orderdeliveryMode is not FC, TO or TC; mandatory on SR receipts.")
    static let returnReason = ValidationRule("Code.ReturnReason", .codes, "header.documentUseReason is not a ReturnWithNoReferenceReasonTypes code; mandatory on RWR receipts.")
    // Core fields.
    static let buyerIdentity = ValidationRule("Core.BuyerIdentity", .core, "Buyer id and name rules: B needs a 9-digit RIN and a name; P ids are 14 digits; both mandatory at or above 150,000 EGP (r2, r3, national id validator).")
    static let exchangeRate = ValidationRule("Core.ExchangeRate", .core, "header.exchangeRate must be above 0 when currency is not EGP.")
    static let reservedZero = ValidationRule("Core.ReservedZero", .core, "feesAmount and adjustment accept only 0.")
    static let taxTotalsUnique = ValidationRule("Core.TaxTypeUnique", .core, "A tax type appears more than once in taxTotals, or more than once on a line.")
    static let returnAmounts = ValidationRule("Core.ReturnAmounts", .core, "Return receipts (r, RWR) state amounts as positive: totalAmount and every quantity above 0, no line totalSale, netSale or total below 0.")
    // Calculations (± the configured tolerance).
    static let totalSale = ValidationRule("Calc.TotalSale", .calculation, "itemData.totalSale = quantity × unitPrice (r11).")
    static let netSale = ValidationRule("Calc.NetSale", .calculation, "itemData.netSale = totalSale − Σ commercialDiscountData.amount − additionalCommercialDiscount.amount (r13).")
    static let vat = ValidationRule("Calc.T1Amount", .calculation, "T1 amount = (T2 + netSale + Σ(T5…T12) + valueDifference + T3) × rate / 100.")
    static let lineTotal = ValidationRule("Calc.LineTotal", .calculation, "itemData.total = netSale + T1 + T2 + T3 + Σ(T5…T12) + Σ(T13…T20) − T4 − Σ itemDiscountData.amount − additionalItemDiscount.amount (r17).")
    static let totalSales = ValidationRule("Calc.TotalSales", .calculation, "totalSales = Σ itemData.totalSale.")
    static let totalCommercialDiscount = ValidationRule("Calc.TotalCommercialDiscount", .calculation, "totalCommercialDiscount = Σ line commercial discounts (incl. additional) and ≤ totalSales (r9).")
    static let totalItemsDiscount = ValidationRule("Calc.TotalItemsDiscount", .calculation, "totalItemsDiscount = Σ line item discounts (incl. additional).")
    static let netAmount = ValidationRule("Calc.NetAmount", .calculation, "netAmount = Σ itemData.netSale.")
    static let taxTotals = ValidationRule("Calc.TaxTotals", .calculation, "taxTotals[t].amount = Σ itemData.taxableItems[type t].amount, one entry per tax type used.")
    static let totalAmount = ValidationRule("Calc.TotalAmount", .calculation, "totalAmount = Σ itemData.total − Σ extraReceiptDiscountData.amount + adjustment.")
    // Dates.
    static let notInFuture = ValidationRule("Date.NotInFuture", .dates, "header.dateTimeIssued is not in the future (beyond the clock tolerance) (r4).")
    static let submissionWindow = ValidationRule("Date.SubmissionWindow", .dates, "header.dateTimeIssued is not older than the submission window (24 h by default) unless referenceOldUUID is set.")
    // References.
    static let returnReference = ValidationRule("Ref.ReturnReference", .references, "Return receipts (r) carry referenceUUID, which differs from their own uuid and, when known to the validator, names a valid sale receipt of the same seller issued at most 540 days earlier whose total is not exceeded.")
    static let previousUUID = ValidationRule("Ref.PreviousUUID", .references, "header.previousUUID differs from the receipt's own uuid.")

    /// Every rule in the order the validator runs them.
    public static let all: [ValidationRule] = [
        required, type, maxLength, pattern, numberFormat, nonNegative, itemCount, typeVersion,
        receiptType, currency, country, activityCode, paymentMethod, buyerType, itemType, itemCode, unitType,
        taxType, taxSubtype, orderDeliveryMode, returnReason,
        buyerIdentity, exchangeRate, reservedZero, taxTotalsUnique, returnAmounts,
        totalSale, netSale, vat, lineTotal, totalSales, totalCommercialDiscount, totalItemsDiscount, netAmount, taxTotals, totalAmount,
        notInFuture, submissionWindow,
        returnReference, previousUUID,
    ]
}

extension ValidationRule {
    /// `errors` in the order of a rule catalogue (`order`: rule id → position), errors of one
    /// rule in the order they were found; ids not in the catalogue last.
    static func inCatalogueOrder(_ errors: [ETAError], _ order: [String: Int]) -> [ETAError] {
        guard errors.count > 1 else { return errors }
        return errors.enumerated().sorted {
            let a = order[$0.element.code ?? ""] ?? .max, b = order[$1.element.code ?? ""] ?? .max
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
    }

    /// A generated rule page: `title`, `intro` lines, the numbered table of `rules`, `defaults`.
    static func markdownPage(title: String, intro: [String], rules: [ValidationRule], defaults: String) -> String {
        var lines = ["# " + title, ""] + intro + ["", "| # | rule | stage | checks |", "|---|---|---|---|"]
        for (i, rule) in rules.enumerated() {
            lines.append("| \(i + 1) | `\(rule.id)` | \(rule.stage.rawValue) | \(rule.summary.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        lines += ["", defaults]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rule catalogue as a Markdown page (docs/validation-rules.md is this text; a test keeps
    /// the two equal).
    public static var catalogueMarkdown: String {
        markdownPage(title: "Validation rules", intro: [
            "Generated from `EisalCore/Validation/ValidationRule.swift` by `eisal receipt rules`; a test keeps this page",
            "equal to the code. Each rule's id is the `code` of the errors it reports; `propertyPath` names the",
            "property (`header.dateTimeIssued`, `itemData[0].quantity`). Rules run in this order; structure",
            "errors stop the later stages (the receipt cannot be read reliably).",
        ], rules: all, defaults: "Defaults: rounding tolerance ±0.5 per equation, clock tolerance 300 s, submission window 24 h, 300 lines per receipt, returns within 540 days, buyer identification from 150,000 EGP. All are parameters of `ValidationContext`.")
    }

}
