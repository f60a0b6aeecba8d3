// The receipt calls of the SDK (issue 19; spec/receipts-api.md): Submit Receipts, Get Receipt
// Submission (a page, or every page), Get Receipt (raw), Search and Recent Receipts. Paths as
// the contract documents them, under `/api/v1/`. The right way to use them (batches, waits,
// retries) is `ReceiptSubmitter` and `SubmissionPoller`.

import AsyncHTTPClient
import EisalCore
import Foundation

extension EisalClient {
    /// The Submit Receipts body of `receipts` (JSON texts, sent byte for byte).
    public static func receiptSubmissionBody(_ receipts: [[UInt8]]) -> [UInt8] {
        var body = Array(#"{"receipts":["#.utf8)
        body.reserveCapacity(receipts.reduce(16) { $0 + $1.count + 1 })
        for (k, receipt) in receipts.enumerated() {
            if k > 0 { body.append(UInt8(ascii: ",")) }
            body += receipt
        }
        body += Array("]}".utf8)
        return body
    }

    /// Submit Receipts: one POST of `receipts`; the 202 body. Use ``ReceiptSubmitter`` for
    /// batching and the retry rules.
    public func submitReceipts(_ receipts: [[UInt8]]) async throws -> ReceiptSubmissionResponse {
        try await decode(ReceiptSubmissionResponse.self, .POST, "/api/v1/receiptsubmissions", json: Self.receiptSubmissionBody(receipts))
    }

    /// Get Receipt Submission: one page of a submission's receipts and its status.
    public func receiptSubmission(_ uuid: String, pageNo: Int = 1, pageSize: Int = 100) async throws -> ReceiptSubmissionDetails {
        try await decode(ReceiptSubmissionDetails.self, .GET, "/api/v1/receiptsubmissions/\(uuid)/details", query: [("PageNo", String(pageNo)), ("PageSize", String(pageSize))])
    }

    /// Get Receipt Submission with every page of its receipts.
    public func receiptSubmissionAllPages(_ uuid: String, pageSize: Int = 100) async throws -> ReceiptSubmissionDetails {
        var first = try await receiptSubmission(uuid, pageNo: 1, pageSize: pageSize)
        var page = 1
        while page < first.metadata.totalPages {
            page += 1
            first.receipts += try await receiptSubmission(uuid, pageNo: page, pageSize: pageSize).receipts
        }
        return first
    }

    /// Get Receipt: the receipt as submitted with the platform's fields; nil when it is unknown (404).
    public func receiptRaw(_ uuid: String) async throws -> JSONDocument? {
        do {
            let reply = try await call(.GET, "/api/v1/receipts/\(uuid)/raw")
            return try JSONParser().parse(reply.body)
        } catch EisalClientError.http(status: 404, _, _) {
            return nil
        }
    }

    /// Search Receipts (`query`: the contract's parameters, e.g. `DateTimeIssuedFrom`, `PageNo`).
    public func searchReceipts(_ query: [(String, String)]) async throws -> ReceiptPage {
        try await decode(ReceiptPage.self, .GET, "/api/v1/receipts/search", query: query)
    }

    /// Get Recent Receipts (`query`: `PageNo`, `PageSize` and the contract's filters).
    public func recentReceipts(_ query: [(String, String)] = []) async throws -> ReceiptPage {
        try await decode(ReceiptPage.self, .GET, "/api/v1/receipts/recent", query: query)
    }
}
