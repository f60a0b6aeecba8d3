// Invoice documents as a ``DocumentRules`` family: `{"documents": [...]}` (ETA SDK
// /api/05-submit-documents/, spec/documents-api.md), numbered by `internalID`, validated by
// their own job kind. Unlike receipts a document does not carry its UUID: the platform computes
// it from what was sent.
//
// Document UUID (stand-in decision, spec/serialization.md "Document (invoice) hash for signing"
// and issue 17): the lower-case hex SHA-256 of canonical(document without its `signatures`
// member) — the same digest the issuer signs, so a document's UUID is what its signature covers.
// ETA does not publish how it derives its document UUIDs (they look like 26-character ids in
// public responses); a client that reads `uuid` from the 202 body, as every public client does,
// works with either.

import Crypto

extension DocumentFamily {
    /// eInvoicing documents: `{"documents": [...]}`, numbered by `internalID`, UUID computed by the platform.
    public static let invoice = DocumentFamily(name: "document", submissionKey: "documents", numberKey: "internalId", validationJob: "document-validation",
                                               uuidPath: "", numberPath: "internalID", issuerPath: "issuer.id")

    /// Whether documents of this family carry the UUID they claim (receipts) or get it from the platform (documents).
    public var claimsUUID: Bool { !uuidPath.isEmpty }
}

/// Invoice documents as a ``DocumentRules`` family.
public struct InvoiceRules: DocumentRules {
    public var family: DocumentFamily { .invoice }
    let validator: InvoiceValidator

    public init(codeTables: CodeTables = .shared) {
        validator = InvoiceValidator(codeTables: codeTables)
    }

    public func structureProblems(_ document: JSONNode) -> [ETAError] { validator.validateStructure(document) }

    public func facts(_ document: JSONNode) -> DocumentFacts { document.kind == .object ? DocumentFacts(invoice: document) : DocumentFacts() }

    public func uuid(of document: JSONNode) -> String { DocumentUUID.compute(document) }

    public func validate(_ document: JSONNode, context: ValidationContext) -> [ETAError] {
        validator.validate(document, context: context, structureChecked: true).errors
    }
}

/// The UUID of an invoice document.
public enum DocumentUUID {
    /// Lower-case hex SHA-256 of canonical(document without `signatures`).
    public static func compute(_ document: JSONNode) -> String { Hex.lowercase(DocumentDigest.compute(document)) }

    /// The canonical text the UUID and the issuer's signature are computed over.
    public static func canonicalText(_ document: JSONNode) -> String {
        String(decoding: CanonicalSerializer(style: .eta).bytes(document, root: .document), as: UTF8.self)
    }
}

extension DocumentFacts {
    /// Reads the facts of the invoice document object `node`, in the roles of the receipt names:
    /// the number is `internalID`, the seller the issuer, the buyer the receiver, the receipt type
    /// the document type (lower case), the currency that of the first line, the reference the first one.
    public init(invoice node: JSONNode) {
        self.init()
        func text(_ value: JSONNode?) -> String {
            guard let value else { return "" }
            if let s = value.string { return s }
            return value.kind == .number ? value.numberLexeme ?? "" : ""
        }
        receiptNumber = text(node["internalID"])
        dateTimeIssued = text(node["dateTimeIssued"])
        let issuer = node["issuer"], receiver = node["receiver"]
        sellerRIN = text(issuer?["id"])
        sellerName = text(issuer?["name"])
        branchCode = text(issuer?["address"]?["branchID"])
        buyerType = text(receiver?["type"])
        buyerID = text(receiver?["id"])
        buyerName = text(receiver?["name"])
        receiptType = text(node["documentType"]).lowercased()
        typeVersion = text(node["documentTypeVersion"])
        totalAmount = text(node["totalAmount"])
        if let first = node["invoiceLines"]?.elements.first { currency = text(first["unitValue"]?["currencySold"]) }
        if let reference = node["references"]?.elements.first { referenceUUID = text(reference).lowercased() }
    }
}
