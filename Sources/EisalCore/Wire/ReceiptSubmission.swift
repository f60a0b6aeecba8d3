// Wire types of Submit Receipts. Source: ETA SDK /ereceiptapi/02-submit-receipt/
// (shared/seeds/receipt-submission-api.txt); spec/receipts-api.md §02.

/// The body of `POST /api/v1/receiptsubmissions`.
public struct ReceiptSubmission: Codable, Sendable, Hashable {
    /// One or more receipts.
    public var receipts: [Receipt]
    /// Issuer (`I`) and optionally service provider (`S`) signatures; omitted when `nil`.
    public var signatures: [DocumentSignature]?

    public init(receipts: [Receipt], signatures: [DocumentSignature]? = nil) {
        self.receipts = receipts
        self.signatures = signatures
    }
}

/// A CAdES-BES signature of a submission.
public struct DocumentSignature: Codable, Sendable, Hashable {
    /// `I` issuer or `S` service provider.
    public var signatureType: String
    /// Base64 CAdES-BES signature.
    public var value: String

    public init(signatureType: String, value: String) {
        self.signatureType = signatureType
        self.value = value
    }
}

/// HTTP 202 body of Submit Receipts.
public struct ReceiptSubmissionResponse: Codable, Sendable, Hashable {
    /// The submission's id (30 characters); `null` when every receipt was refused (nothing stored).
    public var submissionUUID: String?
    /// Whether `submissionId` repeats the id (the name some clients read; on by default).
    public var includesSubmissionIdAlias: Bool
    public var acceptedDocuments: [AcceptedDocument]
    public var rejectedDocuments: [RejectedDocument]

    public init(submissionUUID: String?, includesSubmissionIdAlias: Bool = true, acceptedDocuments: [AcceptedDocument], rejectedDocuments: [RejectedDocument]) {
        self.submissionUUID = submissionUUID
        self.includesSubmissionIdAlias = includesSubmissionIdAlias
        self.acceptedDocuments = acceptedDocuments
        self.rejectedDocuments = rejectedDocuments
    }

    enum CodingKeys: String, CodingKey {
        case submissionUUID, submissionId, acceptedDocuments, rejectedDocuments
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let alias = try container.decodeIfPresent(String.self, forKey: .submissionId)
        submissionUUID = try container.decodeIfPresent(String.self, forKey: .submissionUUID) ?? alias
        includesSubmissionIdAlias = container.contains(.submissionId)
        acceptedDocuments = try container.decodeIfPresent([AcceptedDocument].self, forKey: .acceptedDocuments) ?? []
        rejectedDocuments = try container.decodeIfPresent([RejectedDocument].self, forKey: .rejectedDocuments) ?? []
    }

    /// `submissionUUID` is always written (`null` when nothing was accepted), then the alias.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(submissionUUID, forKey: .submissionUUID)
        if includesSubmissionIdAlias { try container.encode(submissionUUID, forKey: .submissionId) }
        try container.encode(acceptedDocuments, forKey: .acceptedDocuments)
        try container.encode(rejectedDocuments, forKey: .rejectedDocuments)
    }
}

/// A receipt accepted for further processing (not yet valid).
public struct AcceptedDocument: Codable, Sendable, Hashable {
    public var uuid: String
    public var longId: String
    public var receiptNumber: String

    public init(uuid: String, longId: String, receiptNumber: String) {
        self.uuid = uuid
        self.longId = longId
        self.receiptNumber = receiptNumber
    }
}

/// A receipt refused by the synchronous checks.
public struct RejectedDocument: Codable, Sendable, Hashable {
    public var receiptNumber: String
    public var uuid: String
    public var error: ETAError

    public init(receiptNumber: String, uuid: String, error: ETAError) {
        self.receiptNumber = receiptNumber
        self.uuid = uuid
        self.error = error
    }
}
