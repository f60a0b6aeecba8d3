// The two families of documents the contract knows: receipts (B2C, from POS, eReceipt APIs) and
// invoice documents (B2B/B2G, from ERPs, eInvoicing APIs). What differs between them at the
// platform's shared seams (the submission's root key, the name of the issuer's own number in the
// 202 body, the kind of job that validates them) is this value; their structure, UUID and rules
// are a ``DocumentRules``.

/// A family of documents.
public struct DocumentFamily: Hashable, Sendable, CustomStringConvertible {
    /// Stored with each submission and document (`receipt`).
    public let name: String
    /// The submission's root member holding the documents (`receipts`).
    public let submissionKey: String
    /// The member of an accepted or rejected document carrying the issuer's own number (`receiptNumber`).
    public let numberKey: String
    /// The kind of leased job that validates a submission of this family.
    public let validationJob: String
    /// Property paths (inside one document) of the claimed UUID, the issuer's own number and the issuer's RIN.
    public let uuidPath: String
    public let numberPath: String
    public let issuerPath: String

    public init(name: String, submissionKey: String, numberKey: String, validationJob: String, uuidPath: String, numberPath: String, issuerPath: String) {
        self.name = name
        self.submissionKey = submissionKey
        self.numberKey = numberKey
        self.validationJob = validationJob
        self.uuidPath = uuidPath
        self.numberPath = numberPath
        self.issuerPath = issuerPath
    }

    /// eReceipts: `{"receipts": [...]}`, numbered by `receiptNumber` (ETA SDK /ereceiptapi/02-submit-receipt/).
    public static let receipt = DocumentFamily(name: "receipt", submissionKey: "receipts", numberKey: "receiptNumber", validationJob: "validation",
                                               uuidPath: "header.uuid", numberPath: "header.receiptNumber", issuerPath: "seller.rin")

    public var description: String { name }
}

/// What one family defines for the platform's shared intake and processing: its structure, the
/// facts stored as columns, the UUID rule, and full validation. Platform-only rules (the POS, the
/// chain, references to stored documents) are the platform's part of a family.
public protocol DocumentRules: Sendable {
    var family: DocumentFamily { get }
    /// The synchronous structure check of one document; empty when it matches its type version.
    func structureProblems(_ document: JSONNode) -> [ETAError]
    /// The document's stored facts, read from the tape. Tolerant: a missing or mistyped member
    /// reads as `""` (intake reads the claimed UUID and number before the structure check).
    func facts(_ document: JSONNode) -> DocumentFacts
    /// The UUID the contract computes from the document as received.
    func uuid(of document: JSONNode) -> String
    /// Full validation of a document whose structure was checked, as of `context`.
    func validate(_ document: JSONNode, context: ValidationContext) -> [ETAError]
}
