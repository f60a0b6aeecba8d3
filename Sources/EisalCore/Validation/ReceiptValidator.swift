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
        var walker = StructureWalker()
        walker.check(node, ReceiptSchema.receipt, path: "")
        errors = walker.errors
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

/// Walks the token tree against the schema. The property path is a stack of components that is
/// only turned into text when an error is reported, so valid receipts allocate no paths.
private struct StructureWalker {
    enum Component {
        case name(String)
        case index(Int)
    }

    var errors: [ETAError] = []
    var stack: [Component] = []

    var path: String {
        var text = ""
        for component in stack {
            switch component {
            case let .name(name): text += text.isEmpty ? name : "." + name
            case let .index(i): text += "[\(i)]"
            }
        }
        return text
    }

    mutating func add(_ rule: ValidationRule, _ message: (String) -> String) {
        let path = self.path
        errors.append(issue(rule, message(path), path))
    }

    mutating func check(_ node: JSONNode, _ schema: ObjectSchema, path root: String) {
        if !root.isEmpty { stack.append(.name(root)) }
        check(node, schema)
    }

    mutating func check(_ node: JSONNode, _ schema: ObjectSchema) {
        var members = MemberCursor(node)
        for field in schema.fields {
            stack.append(.name(field.name))
            if let value = members.find(field.name) {
                check(value, field.kind, required: field.required)
            } else if field.required {
                add(.required) { "\($0) is mandatory." }
            }
            stack.removeLast()
        }
    }

    mutating func check(_ value: JSONNode, _ kind: FieldKind, required: Bool) {
        if value.isNull {
            add(.type) { "\($0) must not be null\(required ? "" : "; leave the property out instead")." }
            return
        }
        switch kind {
        case let .string(maxLength, pattern, allowEmpty):
            guard let s = value.string else {
                add(.type) { "\($0) must be a string, found \(value.kindDescription)." }
                return
            }
            if s.isEmpty {
                if required, !allowEmpty { add(.required) { "\($0) is mandatory and must not be empty." } }
                if !allowEmpty, !required, let pattern { add(.pattern) { "\($0) must not be empty: \(pattern.explanation)." } }
                return
            }
            let length = s.utf16.count
            if length > maxLength { add(.maxLength) { "\($0) is \(length) characters long; the maximum is \(maxLength)." } }
            if let pattern, !pattern.matches(s) { add(.pattern) { "\($0) \(pattern.explanation); found '\(s.prefix(80))'." } }
        case let .decimal(maxDecimals, nonNegative):
            guard value.kind == .number else {
                add(.type) { "\($0) must be a JSON number, found \(value.kindDescription)." }
                return
            }
            // The parser has checked the number grammar; look at the lexeme's bytes only.
            let lexeme = value.rawBytes
            var decimals = 0, afterPoint = false, exponent = false, nonZeroDigit = false
            for b in lexeme {
                switch b {
                case UInt8(ascii: "."): afterPoint = true
                case UInt8(ascii: "e"), UInt8(ascii: "E"): exponent = true
                case UInt8(ascii: "0") ... UInt8(ascii: "9"):
                    if !exponent {
                        if afterPoint { decimals += 1 }
                        if b != UInt8(ascii: "0") { nonZeroDigit = true }
                    }
                default: break
                }
            }
            let text = { String(decoding: lexeme, as: UTF8.self) }
            if exponent {
                add(.numberFormat) { "\($0) must be written without an exponent; found \(text())." }
                return
            }
            if let maxDecimals, decimals > maxDecimals {
                add(.numberFormat) { "\($0) has \(decimals) decimals; at most \(maxDecimals) are allowed." }
            }
            if nonNegative, lexeme.first == UInt8(ascii: "-"), nonZeroDigit { add(.nonNegative) { "\($0) must not be negative; found \(text())." } }
        case let .object(schema):
            guard value.kind == .object else {
                add(.type) { "\($0) must be an object, found \(value.kindDescription)." }
                return
            }
            check(value, schema)
        case let .array(element, minCount, maxCount):
            guard value.kind == .array else {
                add(.type) { "\($0) must be an array, found \(value.kindDescription)." }
                return
            }
            if value.count < minCount {
                let isItems = stack.count == 1
                add(minCount > 0 && isItems ? .itemCount : .required) { "\($0) must have at least \(minCount) element(s)." }
            }
            if let maxCount, value.count > maxCount { add(.itemCount) { "\($0) has more than \(maxCount) elements." } }
            for (i, e) in value.elements.enumerated() {
                stack.append(.index(i))
                check(e, element, required: true)
                stack.removeLast()
            }
        }
    }
}
