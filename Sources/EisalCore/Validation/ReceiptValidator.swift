// Full validation of one receipt: structure on the token tree, then codes, core fields,
// calculations, dates and references on the decoded model. Rules are listed, with their
// sources, in ValidationRule.swift. The clock, windows and tolerance are parameters.

import Foundation

/// A receipt that a return receipt refers to, as the platform knows it.
public struct ReferencedReceipt: Sendable, Hashable {
    public var uuid: String
    public var sellerRIN: String
    public var dateTimeIssued: UTCDateTime
    public var totalAmount: Decimal
    /// Whether the referenced receipt is a valid sale receipt.
    public var isValidSale: Bool

    public init(uuid: String, sellerRIN: String, dateTimeIssued: UTCDateTime, totalAmount: Decimal, isValidSale: Bool) {
        self.uuid = uuid
        self.sellerRIN = sellerRIN
        self.dateTimeIssued = dateTimeIssued
        self.totalAmount = totalAmount
        self.isValidSale = isValidSale
    }
}

/// Everything validation depends on besides the receipt: the clock, windows, tolerance and,
/// on the platform, the receipts that returns refer to.
public struct ValidationContext: Sendable {
    /// The current time.
    public var now: UTCDateTime
    /// How far in the future `dateTimeIssued` may be (clock skew), in seconds. Default 300.
    public var futureTolerance: Int64
    /// How old `dateTimeIssued` may be, in seconds; `nil` turns the check off. Default 24 h.
    public var submissionWindow: Int64?
    /// Allowed difference per equation. Default 0.5 (spec/receipt-structure.md stand-in decision).
    public var roundingTolerance: Decimal
    /// Total (EGP) at or above which a natural person buyer must be identified. Default 150,000 (v1.2).
    public var buyerIdentificationThreshold: Decimal
    /// Most lines in one receipt. Default 300.
    public var maximumItems: Int
    /// Oldest sale a return may refer to, in days. Default 540.
    public var returnWindowDays: Int64
    /// Looks up a referenced receipt by UUID. `nil` (the default) means references are not
    /// resolved (offline validation); only their form is checked.
    public var referencedReceipt: (@Sendable (String) -> ReferencedReceipt?)?
    /// Invoice documents: total (EGP) at or above which a natural person receiver must be
    /// identified. Default 50,000 (the v1.0 figure, spec/receipt-structure.md).
    public var receiverIdentificationThreshold: Decimal = 50_000
    /// Invoice documents: looks up a document a credit or debit note refers to. `nil` (the
    /// default): references are not resolved (offline validation); only their form is checked.
    public var referencedDocument: (@Sendable (String) -> ReferencedDocument?)?

    public init(
        now: UTCDateTime, futureTolerance: Int64 = 300, submissionWindow: Int64? = 86_400,
        roundingTolerance: Decimal = Decimal(string: "0.5")!, buyerIdentificationThreshold: Decimal = 150_000,
        maximumItems: Int = 300, returnWindowDays: Int64 = 540,
        referencedReceipt: (@Sendable (String) -> ReferencedReceipt?)? = nil
    ) {
        self.now = now
        self.futureTolerance = futureTolerance
        self.submissionWindow = submissionWindow
        self.roundingTolerance = roundingTolerance
        self.buyerIdentificationThreshold = buyerIdentificationThreshold
        self.maximumItems = maximumItems
        self.returnWindowDays = returnWindowDays
        self.referencedReceipt = referencedReceipt
    }

    /// A context at the current system time.
    public static func current() -> ValidationContext {
        ValidationContext(now: UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)))
    }
}

/// The outcome of validating one receipt.
public struct ValidationReport: Sendable {
    /// Every problem found, in rule order; empty when valid.
    public var errors: [ETAError]
    /// The decoded receipt, when its structure allowed decoding.
    public var receipt: Receipt?
    public var isValid: Bool { errors.isEmpty }
}

/// Validates receipts of type version 1.2.
public struct ReceiptValidator: Sendable {
    public let codeTables: CodeTables

    public init(codeTables: CodeTables = .shared) {
        self.codeTables = codeTables
    }

    /// Structure checks only (the platform's synchronous "minimal validation").
    public func validateStructure(_ node: JSONNode, maximumItems: Int = 300) -> [ETAError] {
        var errors: [ETAError] = []
        guard node.kind == .object else {
            return [ETAError(code: ValidationRule.type.id, message: "A receipt must be a JSON object, found \(node.kindDescription).", target: "receipt", propertyPath: "")]
        }
        errors = StructureWalker.errors(node)
        if let items = node["itemData"], items.kind == .array, items.count > maximumItems {
            errors.append(issue(.itemCount, "itemData has \(items.count) lines; at most \(maximumItems) are allowed.", "itemData"))
        }
        if let version = node["documentType"]?["typeVersion"]?.string, version != "1.2" {
            errors.append(issue(.typeVersion, "Receipt type version '\(version)' is not supported; use 1.2.", "documentType.typeVersion"))
        }
        if let type = node["documentType"]?["receiptType"]?.string, !type.isEmpty, !codeTables.receiptTypes.contains(type) {
            errors.append(issue(.receiptType, "Receipt type '\(type)' is not known (s, r, SR, RWR).", "documentType.receiptType"))
        }
        return errors
    }

    /// Runs every rule on `node` (one receipt as received).
    /// - Parameter structureChecked: the structure rules already passed on these exact bytes
    ///   (the platform's intake ran them before accepting the receipt); they are not run again.
    public func validate(_ node: JSONNode, context: ValidationContext, structureChecked: Bool = false) -> ValidationReport {
        var errors = structureChecked ? [] : validateStructure(node, maximumItems: context.maximumItems)
        guard errors.isEmpty else { return ValidationReport(errors: errors, receipt: nil) }
        let receipt: Receipt
        do {
            receipt = try Receipt(tokenTree: node)
        } catch {
            errors.append(issue(.type, "The receipt could not be read: \(error)", ""))
            return ValidationReport(errors: errors, receipt: nil)
        }
        var checker = ModelChecker(receipt: receipt, tables: codeTables, context: context)
        checker.run()
        return ValidationReport(errors: checker.errors, receipt: receipt)
    }
}

func issue(_ rule: ValidationRule, _ message: String, _ path: String) -> ETAError {
    let target = path.split(separator: ".").last.map { String($0.split(separator: "[").first ?? $0) } ?? path
    return ETAError(code: rule.id, message: message, target: target, propertyPath: path)
}
