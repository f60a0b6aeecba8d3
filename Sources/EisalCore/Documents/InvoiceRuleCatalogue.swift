// The validation rules of invoice documents, in the order they run, each with a stable
// identifier that appears as the `code` of every error it reports (the receipt rules' ids where
// the rule is the same kind of check). docs/document-rules.md is generated from this list.
//
// Sources: structure and codes: ETA SDK /documents/invoice-v1-0/ (spec/documents-api.md
// outline), the code tables (spec/code-tables/); receiver rules: FAQ core-field validator
// (receiver id and name required unless the receiver type is P) and the national id validator
// (50,000 EGP for v1.0, spec/receipt-structure.md); issuer branch: FAQ rule 16.
// Calculations: the equations of ETA's invoice calculations as its signed v1.0 sample obeys them
// to the cent on every line (spec/examples/invoice-v1.0.eta-sample.json; verified in
// InvoiceValidationTests): sales total, discount, net total, taxable fees, T1, T2, T4, the
// rate-based fees T5–T12 and T13–T20, line total, and the document totals. [inferred from the
// sample; the SDK's calculation page for documents was not read] Tolerance: the receipt
// stand-in (±0.5 per equation, configurable).

extension ValidationRule {
    /// Invoice document rules.
    public enum Invoice {
        static let required = ValidationRule("Structure.Required", .structure, "A mandatory property is missing or empty.")
        static let type = ValidationRule("Structure.Type", .structure, "A property has the wrong JSON type (null and booleans are never accepted).")
        static let maxLength = ValidationRule("Structure.MaxLength", .structure, "A text property is longer than its maximum length.")
        static let pattern = ValidationRule("Structure.Pattern", .structure, "A text property does not match its pattern (issuer RIN, reference UUIDs, date-time).")
        static let numberFormat = ValidationRule("Structure.NumberFormat", .structure, "A number uses an exponent, is a negative zero, or has more than 5 decimals.")
        static let nonNegative = ValidationRule("Structure.NonNegative", .structure, "A quantity, unit value, discount, rate, fee or tax amount is negative.")
        static let itemCount = ValidationRule("Structure.ItemCount", .structure, "invoiceLines has no line.")
        static let typeVersion = ValidationRule("Structure.TypeVersion", .structure, "documentTypeVersion is not a supported version (1.0, or 0.9: 1.0 without the signature check).")
        static let documentType = ValidationRule("Code.DocumentType", .codes, "documentType is not i, c, d, ei, ec or ed (any case).")
        static let partyType = ValidationRule("Code.PartyType", .codes, "issuer.type is not B; receiver.type is not B, P or F.")
        static let country = ValidationRule("Code.Country", .codes, "An address country (or delivery.countryOfOrigin) is not a code from CountryCodes.")
        static let activityCode = ValidationRule("Code.ActivityCode", .codes, "taxpayerActivityCode is not a code from ActivityCodes.")
        static let currency = ValidationRule("Code.Currency", .codes, "unitValue.currencySold is not an ISO 4217 code from CurrencyCodes.")
        static let itemType = ValidationRule("Code.ItemType", .codes, "itemType is not GS1 or EGS.")
        static let itemCode = ValidationRule("Code.ItemCode", .codes, "itemCode does not fit its itemType (GS1: 8–14 digits; EGS: EG-{RIN}-{code} of the issuer).")
        static let unitType = ValidationRule("Code.UnitType", .codes, "unitType is not a code from UnitTypes.")
        static let taxType = ValidationRule("Code.TaxType", .codes, "taxType is not a tax type T1–T20.")
        static let taxSubtype = ValidationRule("Code.TaxSubtype", .codes, "subType is not a subtype of its taxType (TaxSubtypes).")
        static let issuerBranch = ValidationRule("Core.IssuerBranch", .core, "A business issuer (B) names its branch: issuer.address.branchID (FAQ rule 16).")
        static let receiverIdentity = ValidationRule("Core.ReceiverIdentity", .core, "Receiver rules by type: B needs a 9-digit RIN other than the issuer's, a name and an address; P ids are 14 digits, and id and name are mandatory at or above 50,000 EGP; F needs a name and an address outside Egypt.")
        static let exchangeRate = ValidationRule("Core.ExchangeRate", .core, "A line sold in another currency than EGP gives unitValue.amountSold and a currencyExchangeRate above 0.")
        static let quantity = ValidationRule("Core.Quantity", .core, "A line's quantity is above 0.")
        static let taxTypeUnique = ValidationRule("Core.TaxTypeUnique", .core, "A tax type appears more than once in taxTotals, or more than once on a line.")
        static let exportFields = ValidationRule("Core.ExportFields", .core, "Export types (ei, ec, ed) give serviceDeliveryDate as yyyy-MM-dd (ETA SDK /documents/export-invoice-v1-0).")
        static let references = ValidationRule("Core.References", .core, "Credit and debit notes (c, d, ec, ed) list the UUIDs of the documents they correct in references; no UUID twice.")
        static let amountEGP = ValidationRule("Calc.AmountEGP", .calculation, "unitValue.amountEGP = amountSold × currencyExchangeRate when currencySold is not EGP.")
        static let salesTotal = ValidationRule("Calc.SalesTotal", .calculation, "salesTotal = quantity × unitValue.amountEGP.")
        static let discount = ValidationRule("Calc.Discount", .calculation, "discount.amount = salesTotal × discount.rate / 100 when the rate is above 0.")
        static let netTotal = ValidationRule("Calc.NetTotal", .calculation, "netTotal = salesTotal − discount.amount.")
        static let taxableFees = ValidationRule("Calc.TotalTaxableFees", .calculation, "totalTaxableFees = Σ amounts of the line's T5…T12.")
        static let t1 = ValidationRule("Calc.T1Amount", .calculation, "T1 amount = (netTotal + totalTaxableFees + valueDifference + T2 + T3) × rate / 100.")
        static let t2 = ValidationRule("Calc.T2Amount", .calculation, "T2 amount = (netTotal + totalTaxableFees + valueDifference + T3) × rate / 100.")
        static let t4 = ValidationRule("Calc.T4Amount", .calculation, "T4 amount = (netTotal − itemsDiscount) × rate / 100.")
        static let rateTax = ValidationRule("Calc.RateTaxAmount", .calculation, "T5…T20 with a rate above 0: amount = netTotal × rate / 100 (with rate 0 the amount is a fixed fee).")
        static let lineTotal = ValidationRule("Calc.LineTotal", .calculation, "total = netTotal + totalTaxableFees + T1 + T2 + T3 − T4 + Σ(T13…T20) − itemsDiscount.")
        static let totalSalesAmount = ValidationRule("Calc.TotalSalesAmount", .calculation, "totalSalesAmount = Σ salesTotal.")
        static let totalDiscountAmount = ValidationRule("Calc.TotalDiscountAmount", .calculation, "totalDiscountAmount = Σ discount.amount.")
        static let netAmount = ValidationRule("Calc.NetAmount", .calculation, "netAmount = Σ netTotal.")
        static let totalItemsDiscountAmount = ValidationRule("Calc.TotalItemsDiscountAmount", .calculation, "totalItemsDiscountAmount = Σ itemsDiscount.")
        static let taxTotals = ValidationRule("Calc.TaxTotals", .calculation, "taxTotals[t].amount = Σ taxableItems[type t].amount over the lines, one entry per tax type used.")
        static let totalAmount = ValidationRule("Calc.TotalAmount", .calculation, "totalAmount = Σ total − extraDiscountAmount.")
        static let notInFuture = ValidationRule("Date.NotInFuture", .dates, "dateTimeIssued is not in the future (beyond the clock tolerance).")
        static let submissionWindow = ValidationRule("Date.SubmissionWindow", .dates, "dateTimeIssued is not older than the document submission window (7 days by default; a placeholder, as the real value is a workflow parameter).")
        static let documentReference = ValidationRule("Ref.DocumentReference", .references, "Each reference, when known to the validator, names a valid invoice (for a debit note also a valid debit note) of the same issuer and receiver, other than the document itself.")

        /// Every rule in the order the validator runs them.
        public static let all: [ValidationRule] = [
            required, type, maxLength, pattern, numberFormat, nonNegative, itemCount, typeVersion,
            documentType, partyType, country, activityCode, currency, itemType, itemCode, unitType, taxType, taxSubtype,
            issuerBranch, receiverIdentity, exchangeRate, quantity, taxTypeUnique, exportFields, references,
            amountEGP, salesTotal, discount, netTotal, taxableFees, t1, t2, t4, rateTax, lineTotal,
            totalSalesAmount, totalDiscountAmount, netAmount, totalItemsDiscountAmount, taxTotals, totalAmount,
            notInFuture, submissionWindow,
            documentReference,
        ]

        static let order = Dictionary(all.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })

        /// The catalogue as a Markdown page (docs/document-rules.md is this text; a test keeps the two equal).
        public static var catalogueMarkdown: String {
            ValidationRule.markdownPage(title: "Document validation rules", intro: [
                "Generated from `EisalCore/Documents/InvoiceRuleCatalogue.swift` by `eisal document rules`; a test keeps",
                "this page equal to the code. Invoice documents (`i`, `c`, `d`, `ei`, `ec`, `ed`), type versions 1.0 and",
                "0.9. Each rule's id is the `code` of the errors it reports; `propertyPath` names the property",
                "(`invoiceLines[0].taxableItems[1].amount`). Rules run in this order; structure errors stop the",
                "later stages. Signatures are checked by the platform, not by these rules.",
            ], rules: all, defaults: "Defaults: rounding tolerance ±0.5 per equation, clock tolerance 300 s, submission window 7 days (platform), receiver identification from 50,000 EGP. All are parameters of `ValidationContext`.")
        }

    }
}
