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
    /// The submission's id (30 characters).
    public var submissionUUID: String
    /// Same value under the name some clients read (compatibility, on by default).
    public var submissionId: String?
    public var acceptedDocuments: [AcceptedDocument]
    public var rejectedDocuments: [RejectedDocument]

    public init(submissionUUID: String, submissionId: String? = nil, acceptedDocuments: [AcceptedDocument], rejectedDocuments: [RejectedDocument]) {
        self.submissionUUID = submissionUUID
        self.submissionId = submissionId
        self.acceptedDocuments = acceptedDocuments
        self.rejectedDocuments = rejectedDocuments
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
