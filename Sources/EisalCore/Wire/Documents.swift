// Wire types of the invoice document APIs, as the SDK reads them (spec/documents-api.md; field
// names as R-ODOO, R-AXE, R-ELAREEG and R-KANDIL read them). The platform writes these bodies
// (DocumentQueries, SubmissionRoutes); DocumentWireTests holds the two to the same shapes.
// Optional members are optional here: a client of the real system must not fail on one it omits.

/// Submit Documents' 202 body.
public struct DocumentSubmissionResponse: Codable, Sendable, Hashable {
    public var submissionId: String?
    public var submissionUUID: String?
    public var acceptedDocuments: [AcceptedDocumentRow]
    public var rejectedDocuments: [RejectedDocumentRow]

    /// The submission's id, whichever name carried it.
    public var id: String? { submissionId ?? submissionUUID }

    public struct AcceptedDocumentRow: Codable, Sendable, Hashable {
        public var uuid: String
        public var longId: String?
        public var internalId: String?
        public var hashKey: String?
    }

    public struct RejectedDocumentRow: Codable, Sendable, Hashable {
        public var internalId: String?
        public var error: ETAError
    }
}

/// One row of Get Submission, Search and Recent (the head of Get Document too).
public struct DocumentSummary: Codable, Sendable, Hashable {
    public var uuid: String
    public var submissionUUID: String?
    public var longId: String?
    public var internalId: String?
    public var typeName: String?
    public var typeVersionName: String?
    public var issuerId: String?
    public var issuerName: String?
    public var receiverId: String?
    public var receiverName: String?
    public var receiverType: String?
    public var dateTimeIssued: String?
    public var dateTimeReceived: String?
    public var total: ETADecimal?
    /// `Submitted`, `Valid`, `Invalid`, `Rejected`, `Cancelled`.
    public var status: String
    public var documentStatusReason: String?
    public var cancelRequestDate: String?
    public var cancelRequestDelayedDate: String?
    public var rejectRequestDate: String?
    public var rejectRequestDelayedDate: String?
    public var declineCancelRequestDate: String?
    public var declineRejectRequestDate: String?
}

/// Get Submission.
public struct DocumentSubmissionDetails: Codable, Sendable, Hashable {
    public var uuid: String?
    public var submissionId: String?
    public var documentCount: Int?
    public var dateTimeReceived: String?
    /// `In Progress`, `Valid`, `Partially Valid`, `Invalid`.
    public var overallStatus: String
    public var documentSummary: [DocumentSummary]
    public var documentSummaryMetadata: Metadata?

    public struct Metadata: Codable, Sendable, Hashable {
        public var totalPages: Int?
        public var totalCount: Int?
    }

    /// Whether the platform is still validating the submission.
    public var inProgress: Bool { overallStatus.lowercased().replacingOccurrences(of: " ", with: "") == "inprogress" }
}

/// Search Documents (continuation token) and Get Recent Documents (pages).
public struct DocumentSearchPage: Codable, Sendable, Hashable {
    public var result: [DocumentSummary]
    public var metadata: Metadata

    public struct Metadata: Codable, Sendable, Hashable {
        public var continuationToken: String?
        public var remainingRecordsCount: Int?
        public var totalPages: Int?
        public var totalCount: Int?
    }

    /// The token of the next page; nil on the last one (`EndofResultSet`).
    public var nextToken: String? {
        guard let token = metadata.continuationToken, token != "EndofResultSet", !token.isEmpty else { return nil }
        return token
    }
}
