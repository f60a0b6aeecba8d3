// The document calls of the SDK (issue 17, item 5): Submit Documents, Get Submission (and a
// wait sized to the submission, as the FAQ asks of pollers), Get Document (raw, details),
// Search (with every page) and Recent, Cancel, Reject and the declines. Paths as the contract
// documents them (spec/documents-api.md), under `/api/v1.0/`.

import AsyncHTTPClient
import EisalCore
import Foundation

/// The filters of Search and Recent Documents (nil: not filtered).
public struct DocumentSearchFilters: Sendable, Hashable {
    /// Start of the submission-date range (Search's first call needs this range or the issue-date one).
    public var submissionDateFrom: UTCDateTime?
    /// End of the submission-date range.
    public var submissionDateTo: UTCDateTime?
    /// Start of the issue-date range (`dateTimeIssued`).
    public var issueDateFrom: UTCDateTime?
    /// End of the issue-date range.
    public var issueDateTo: UTCDateTime?
    /// `Sent` or `Received`.
    public var direction: String?
    /// A document status, e.g. `Valid` or `Cancelled`.
    public var status: String?
    /// A document type code: `i`, `c`, `d`, `ei`, `ec` or `ed`.
    public var documentType: String?
    /// The receiver's id (a RIN for a business).
    public var receiverId: String?
    /// The issuer's RIN.
    public var issuerId: String?
    /// The issuer's internal document number (`internalID`).
    public var internalID: String?

    /// Filters; every one defaults to nil (not filtered).
    public init(submissionDateFrom: UTCDateTime? = nil, submissionDateTo: UTCDateTime? = nil, issueDateFrom: UTCDateTime? = nil, issueDateTo: UTCDateTime? = nil,
                direction: String? = nil, status: String? = nil, documentType: String? = nil, receiverId: String? = nil, issuerId: String? = nil, internalID: String? = nil) {
        self.submissionDateFrom = submissionDateFrom
        self.submissionDateTo = submissionDateTo
        self.issueDateFrom = issueDateFrom
        self.issueDateTo = issueDateTo
        self.direction = direction
        self.status = status
        self.documentType = documentType
        self.receiverId = receiverId
        self.issuerId = issuerId
        self.internalID = internalID
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        func add(_ name: String, _ value: String?) { if let value { q.append((name, value)) } }
        add("submissionDateFrom", submissionDateFrom?.iso8601)
        add("submissionDateTo", submissionDateTo?.iso8601)
        add("issueDateFrom", issueDateFrom?.iso8601)
        add("issueDateTo", issueDateTo?.iso8601)
        add("direction", direction)
        add("status", status)
        add("documentType", documentType)
        add("receiverId", receiverId)
        add("issuerId", issuerId)
        add("internalID", internalID)
        return q
    }
}

extension EisalClient {
    /// Submits documents (each a JSON object text, sent as written: their UUIDs are computed
    /// from these bytes). A 2xx is never resubmitted by this call.
    public func submitDocuments(_ documents: [String]) async throws -> DocumentSubmissionResponse {
        let body = Array(#"{"documents":["#.utf8) + Array(documents.joined(separator: ",").utf8) + Array("]}".utf8)
        return try await decode(DocumentSubmissionResponse.self, .POST, "/api/v1.0/documentsubmissions", json: body)
    }

    /// Get Submission, one page.
    public func documentSubmission(_ id: String, pageNo: Int = 1, pageSize: Int = 100) async throws -> DocumentSubmissionDetails {
        try await decode(DocumentSubmissionDetails.self, .GET, "/api/v1.0/documentsubmissions/\(id)", query: [("pageNo", String(pageNo)), ("pageSize", String(pageSize))])
    }

    /// Polls Get Submission until it is no longer in progress: first after a wait sized to the
    /// submission (FAQ: wait in proportion to its size), then at `interval`, for at most `timeout`.
    public func waitForDocumentSubmission(_ id: String, documents: Int, interval: Duration = .seconds(1), timeout: Duration = .seconds(300)) async throws -> DocumentSubmissionDetails {
        let deadline = ContinuousClock.now + timeout
        try await Task.sleep(for: .milliseconds(200 + 20 * documents))
        while true {
            let details = try await documentSubmission(id)
            if !details.inProgress || ContinuousClock.now >= deadline { return details }
            try await Task.sleep(for: interval)
        }
    }

    /// Get Document (`raw`) or Get Document Details: the summary and the whole body's JSON text.
    public func document(_ uuid: String, details: Bool = false) async throws -> (summary: DocumentSummary, json: String) {
        let reply = try await call(.GET, "/api/v1.0/documents/\(uuid)/\(details ? "details" : "raw")")
        let summary = try JSONNodeDecoder().decode(DocumentSummary.self, from: try JSONParser().parse(reply.body).root)
        return (summary, String(decoding: reply.body, as: UTF8.self))
    }

    /// One page of Search Documents (`continuationToken` nil: the first page).
    public func searchDocuments(_ filters: DocumentSearchFilters, pageSize: Int = 100, continuationToken: String? = nil) async throws -> DocumentSearchPage {
        var query = filters.query + [("pageSize", String(pageSize))]
        if let continuationToken { query.append(("continuationToken", continuationToken)) }
        return try await decode(DocumentSearchPage.self, .GET, "/api/v1.0/documents/search", query: query)
    }

    /// Every page of a search, following the continuation tokens.
    public func searchAllDocuments(_ filters: DocumentSearchFilters, pageSize: Int = 100) async throws -> [DocumentSummary] {
        var all: [DocumentSummary] = [], token: String? = nil
        repeat {
            let page = try await searchDocuments(filters, pageSize: pageSize, continuationToken: token)
            all += page.result
            token = page.nextToken
        } while token != nil
        return all
    }

    /// Get Recent Documents (prefer Search: Recent is throttled harder).
    public func recentDocuments(_ filters: DocumentSearchFilters = .init(), pageNo: Int = 1, pageSize: Int = 100) async throws -> DocumentSearchPage {
        try await decode(DocumentSearchPage.self, .GET, "/api/v1.0/documents/recent", query: filters.query + [("pageNo", String(pageNo)), ("pageSize", String(pageSize))])
    }

    /// Cancel (issuer) or reject (receiver) a document.
    public func cancelDocument(_ uuid: String, reason: String) async throws { try await changeState(uuid, status: "cancelled", reason: reason) }
    /// Rejects a received document (receiver), giving `reason`.
    public func rejectDocument(_ uuid: String, reason: String) async throws { try await changeState(uuid, status: "rejected", reason: reason) }

    func changeState(_ uuid: String, status: String, reason: String) async throws {
        let body = JSONWriter().bytes(.object([("status", .string(status)), ("reason", .string(reason))]))
        _ = try await call(.PUT, "/api/v1.0/documents/state/\(uuid)/state", json: body)
    }

    /// The receiver declines the issuer's cancellation; the issuer declines the receiver's rejection.
    public func declineCancellation(_ uuid: String) async throws { _ = try await call(.PUT, "/api/v1.0/documents/state/\(uuid)/decline/cancelation") }
    /// Declines the receiver's rejection of a document (issuer).
    public func declineRejection(_ uuid: String) async throws { _ = try await call(.PUT, "/api/v1.0/documents/state/\(uuid)/decline/rejection") }
}
