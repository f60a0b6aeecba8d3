// The receipt family's rules for the platform's shared intake and processing: structure of
// receipt v1.2, the indexed facts, the receipt UUID (spec/serialization.md) and full validation.

/// Receipts as a ``DocumentRules`` family.
public struct ReceiptRules: DocumentRules {
    public var family: DocumentFamily { .receipt }
    let validator: ReceiptValidator
    /// Most lines in one receipt (FAQ: 300).
    public var maximumItems: Int

    public init(codeTables: CodeTables = .shared, maximumItems: Int = 300) {
        validator = ReceiptValidator(codeTables: codeTables)
        self.maximumItems = maximumItems
    }

    public func structureProblems(_ document: JSONNode) -> [ETAError] {
        validator.validateStructure(document, maximumItems: maximumItems)
    }

    public func facts(_ document: JSONNode) -> DocumentFacts { document.kind == .object ? DocumentFacts(receipt: document) : DocumentFacts() }

    public func uuid(of document: JSONNode) -> String { ReceiptUUID.compute(document) }

    public func validate(_ document: JSONNode, context: ValidationContext) -> [ETAError] {
        validator.validate(document, context: context, structureChecked: true).errors
    }
}
