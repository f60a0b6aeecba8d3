// ETA code tables, bundled as resources (Resources/CodeTables, copied unchanged from
// shared/spec/code-tables/; provenance in SOURCES.md there).
// Sources: ETA SDK /files/TaxTypes.json, /files/NonTaxableTaxTypes.json, /files/TaxSubtypes.json,
// /files/UnitTypes.json, /files/WeightUnitTypes.json, /files/CurrencyCodes.json,
// /files/CountryCodes.json, /files/ActivityCodes.json, /files/ReturnWithNoReferenceReasonTypes.json;
// hand-made CSVs: /codes/payment-methods/ (payment-methods.csv), buyer types, order delivery
// modes, item types, receipt types (see SOURCES.md).

import Foundation

/// One code of a table, with its names.
public struct CodeEntry: Sendable, Hashable {
    public var code: String
    public var nameEnglish: String
    public var nameArabic: String
}

/// A table of codes.
public struct CodeTable: Sendable {
    /// The entries in file order (duplicates in ETA's file, like `ST` in UnitTypes, kept once).
    public let entries: [CodeEntry]
    private let index: [String: Int]
    /// Whether lookups ignore case.
    public let caseInsensitive: Bool

    init(entries: [CodeEntry], caseInsensitive: Bool = false) {
        var unique: [CodeEntry] = []
        var index: [String: Int] = [:]
        for entry in entries {
            let key = caseInsensitive ? entry.code.uppercased() : entry.code
            if index[key] == nil {
                index[key] = unique.count
                unique.append(entry)
            }
        }
        self.entries = unique
        self.index = index
        self.caseInsensitive = caseInsensitive
    }

    /// Whether `code` is in the table.
    public func contains(_ code: String) -> Bool { self[code] != nil }

    /// The entry for `code`.
    public subscript(code: String) -> CodeEntry? {
        index[caseInsensitive ? code.uppercased() : code].map { entries[$0] }
    }
}

/// All code tables the validator uses. Load once (``CodeTables/shared``) and share.
public struct CodeTables: Sendable {
    public let taxTypes: CodeTable
    public let nonTaxableTaxTypes: CodeTable
    public let taxSubtypes: CodeTable
    /// Tax type each subtype belongs to (`TaxtypeReference`).
    public let subtypeTaxType: [String: String]
    public let unitTypes: CodeTable
    public let weightUnitTypes: CodeTable
    public let currencies: CodeTable
    public let countries: CodeTable
    public let activityCodes: CodeTable
    public let returnWithoutReferenceReasons: CodeTable
    public let paymentMethods: CodeTable
    public let buyerTypes: CodeTable
    public let orderDeliveryModes: CodeTable
    public let itemTypes: CodeTable
    public let receiptTypes: CodeTable
    /// Invoice document types (`i`, `c`, `d`, `ei`, `ec`, `ed`), compared case-insensitively.
    public let documentTypes: CodeTable

    /// Whether `code` is any tax type, T1–T20.
    public func isTaxType(_ code: String) -> Bool { taxTypes.contains(code) || nonTaxableTaxTypes.contains(code) }

    /// The tables bundled with Eisal, loaded on first use.
    public static let shared: CodeTables = {
        do { return try CodeTables(bundle: .module) } catch { fatalError("bundled code tables are unreadable: \(error)") }
    }()

    /// Loads the tables from a bundle holding `CodeTables/`.
    public init(bundle: Bundle) throws {
        func url(_ name: String) throws -> URL {
            guard let url = bundle.url(forResource: "CodeTables/\(name)", withExtension: nil)
                ?? bundle.resourceURL?.appendingPathComponent("CodeTables/\(name)") else {
                throw CocoaError(.fileNoSuchFile)
            }
            return url
        }
        func json(_ name: String) throws -> [[String: String]] {
            var data = try Data(contentsOf: url(name))
            if data.starts(with: [0xEF, 0xBB, 0xBF]) { data = data.dropFirst(3) }
            let array = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
            return array.map { row in
                var out: [String: String] = [:]
                for (k, v) in row { out[k.lowercased()] = "\(v)" }
                return out
            }
        }
        func table(_ name: String) throws -> CodeTable {
            CodeTable(entries: try json(name).map { CodeEntry(code: $0["code"] ?? "", nameEnglish: $0["desc_en"] ?? "", nameArabic: $0["desc_ar"] ?? "") })
        }
        func csv(_ name: String, caseInsensitive: Bool = false) throws -> CodeTable {
            let text = try String(contentsOf: url(name), encoding: .utf8)
            let rows = text.split(whereSeparator: \.isNewline).dropFirst()
            let entries = rows.compactMap { line -> CodeEntry? in
                let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count >= 2, fields[0] != "?" else { return nil }
                return CodeEntry(code: String(fields[0]), nameEnglish: String(fields[1]), nameArabic: "")
            }
            return CodeTable(entries: entries, caseInsensitive: caseInsensitive)
        }
        taxTypes = try table("TaxTypes.json")
        nonTaxableTaxTypes = try table("NonTaxableTaxTypes.json")
        let subtypes = try json("TaxSubtypes.json")
        taxSubtypes = CodeTable(entries: subtypes.map { CodeEntry(code: $0["code"] ?? "", nameEnglish: $0["desc_en"] ?? "", nameArabic: $0["desc_ar"] ?? "") })
        var reference: [String: String] = [:]
        for row in subtypes { if let code = row["code"], let type = row["taxtypereference"] { reference[code] = type } }
        subtypeTaxType = reference
        unitTypes = try table("UnitTypes.json")
        weightUnitTypes = try table("WeightUnitTypes.json")
        currencies = try table("CurrencyCodes.json")
        countries = try table("CountryCodes.json")
        activityCodes = try table("ActivityCodes.json")
        returnWithoutReferenceReasons = try table("ReturnWithNoReferenceReasonTypes.json")
        paymentMethods = try csv("payment-methods.csv")
        buyerTypes = try csv("buyer-types.csv")
        orderDeliveryModes = try csv("order-delivery-modes.csv")
        itemTypes = try csv("item-types.csv")
        // Receipt types are compared case-insensitively (stand-in decision, receipt-structure.md);
        // RWR is the return-without-reference code quoted by public clients.
        var receipts = try csv("receipt-types.csv", caseInsensitive: true).entries
        receipts.append(CodeEntry(code: "RWR", nameEnglish: "Return receipt without reference", nameArabic: ""))
        receiptTypes = CodeTable(entries: receipts, caseInsensitive: true)
        // ETA's own v1.0 sample writes `"documentType": "I"`: compared case-insensitively, like receipt types.
        documentTypes = try csv("document-types.csv", caseInsensitive: true)
    }
}
