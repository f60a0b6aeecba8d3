// Search Documents and Get Recent Documents (ETA SDK /einvoicingapi/16-search-documents/,
// /einvoicingapi/04-get-recent-documents; parameters as R-ELAREEG `DocumentOperationsClient.cs`
// sends them; spec/documents-api.md):
//   GET documents/search?submissionDateFrom&submissionDateTo | issueDateFrom&issueDateTo
//       [&continuationToken&pageSize&direction&status&documentType&receiverType&receiverId
//        &issuerType&issuerId&uuid&internalID]
//       → {result: DocumentSummary[], metadata: {continuationToken, remainingRecordsCount,
//          queryContainsCompleteResultSet}}; the last page's token is "EndofResultSet".
//   GET documents/recent?pageNo&pageSize[&the same filters] → {result, metadata: {totalPages, totalCount}}
// A taxpayer sees documents it issued (direction Sent) or received (Received), never others.
//
// Stand-in decisions:
// - The first search call needs a date range of at most `documents.search.span.days` (30, the
//   SDK's "currently 30"); later calls pass the token with the same filters (a token used with
//   other filters is a BadArgument).
// - Paging by keyset: newest received first, ties by UUID. Every document that matched when the
//   search began is returned exactly once across the pages, however many are submitted meanwhile;
//   a document received during the search may appear once or not at all, never twice.
// - The token is opaque: Base64URL of the last row's reception time and UUID and a digest of the filters.
// - A receiver sees a document once it was validated Valid (and after it is cancelled or
//   rejected); a Submitted or Invalid document is its issuer's alone (in Get Document too).
// - Recent lists documents received in the last `documents.recent.days` (31) only: older ones
//   are for Search and packages (the SDK: "documents issued more than a configured number of days
//   ago are not returned"). Newest received first; pageSize at most 100.

import Crypto
import EisalCore
import EisalStore
import Foundation

extension DocumentQueries {
    static var endOfResultSet: String { "EndofResultSet" }

    func search(principal: Principal, query: QueryParameters) async throws -> JSONValue {
        let pageSize = try Self.pageSize(query)
        var q = ReceiptQuery(taxpayerRIN: principal.tin, pageNo: 1, pageSize: pageSize)
        q.family = DocumentFamily.invoice.name
        q.receiverSeesValidatedOnly = true
        q.keyset = true
        try Self.filters(query, into: &q)
        let digest = Self.filterDigest(query)
        if let token = query["continuationToken"] {
            if token == Self.endOfResultSet { return Self.searchPage([], token: Self.endOfResultSet, remaining: 0, complete: true) }
            guard let after = Self.decode(token, digest: digest) else {
                throw PlatformError.badArgument("continuationToken is not one this search returned (pass it with the same filters as the first call).", target: "continuationToken")
            }
            q.after = after
        }
        // On every page: a token carries no authority of its own (the filters are the same each time).
        try requireSpan(query)
        if query["issuerType"].map({ $0.uppercased() != "B" }) == true { return Self.searchPage([], token: Self.endOfResultSet, remaining: 0, complete: q.after == nil) }
        let page = try await store.search(q)
        let remaining = max(0, page.totalCount - page.items.count)
        let token = remaining == 0 ? Self.endOfResultSet : page.items.last.map { Self.encode(.init(receivedAt: $0.receivedAt, uuid: $0.uuid), digest: digest) } ?? Self.endOfResultSet
        return Self.searchPage(try await rows(page.items), token: token, remaining: remaining, complete: q.after == nil && remaining == 0)
    }

    func recent(principal: Principal, query: QueryParameters) async throws -> JSONValue {
        let pageSize = try Self.pageSize(query)
        let pageNo = try query.int("pageNo") ?? 1
        guard (1 ... Int(Int32.max)).contains(pageNo) else { throw PlatformError.badArgument("pageNo must be between 1 and \(Int32.max).", target: "pageNo") }
        var q = ReceiptQuery(taxpayerRIN: principal.tin, pageNo: pageNo, pageSize: pageSize)
        q.family = DocumentFamily.invoice.name
        q.receiverSeesValidatedOnly = true
        q.sort = ReceiptSort(key: .dateTimeReceived, descending: true)
        try Self.filters(query, into: &q)
        let oldest = configuration.clock.now() - configuration.recentDocumentsDays * 86_400
        q.filter.receivedFrom = max(q.filter.receivedFrom ?? oldest, oldest)
        if query["issuerType"].map({ $0.uppercased() != "B" }) == true {
            return .object([("result", .array([])), ("metadata", .object([("totalPages", .number("0")), ("totalCount", .number("0"))]))])
        }
        let page = try await store.search(q)
        return .object([
            ("result", .array(try await rows(page.items))),
            ("metadata", .object([("totalPages", .number(String((page.totalCount + pageSize - 1) / pageSize))), ("totalCount", .number(String(page.totalCount)))])),
        ])
    }

    static func searchPage(_ rows: [JSONValue], token: String, remaining: Int, complete: Bool) -> JSONValue {
        .object([
            ("result", .array(rows)),
            ("metadata", .object([("continuationToken", .string(token)), ("remainingRecordsCount", .number(String(remaining))),
                                  ("queryContainsCompleteResultSet", .bool(complete))])),
        ])
    }

    static func pageSize(_ query: QueryParameters) throws -> Int {
        let size = try query.int("pageSize") ?? 100
        guard (1 ... 100).contains(size) else { throw PlatformError.badArgument("pageSize must be between 1 and 100.", target: "pageSize") }
        return size
    }

    /// The first call's date range: submission or issue dates, both ends, within the span.
    func requireSpan(_ query: QueryParameters) throws {
        let span = configuration.documentSearchSpanDays * 86_400
        let pairs = [("submissionDateFrom", "submissionDateTo"), ("issueDateFrom", "issueDateTo")]
        var given = false
        for (from, to) in pairs {
            let a = try query.date(from), b = try query.date(to)
            if a == nil && b == nil { continue }
            guard let a, let b else { throw PlatformError.badArgument("Give both \(from) and \(to).", target: a == nil ? from : to) }
            guard a <= b else { throw PlatformError.badArgument("\(from) is after \(to).", target: from) }
            guard b - a <= span else {
                throw PlatformError.badArgument("The search spans more than \(configuration.documentSearchSpanDays) days (\(from) to \(to)); narrow it or use document packages.", target: to)
            }
            given = true
        }
        guard given else {
            throw PlatformError.badArgument("The first search call needs submissionDateFrom and submissionDateTo, or issueDateFrom and issueDateTo (at most \(configuration.documentSearchSpanDays) days apart).", target: "submissionDateFrom")
        }
    }

    static func filters(_ query: QueryParameters, into q: inout ReceiptQuery) throws {
        if let direction = query["direction"] {
            switch direction.lowercased() {
            case "sent": q.direction = "submitted"
            case "received": q.direction = "received"
            default: throw PlatformError.badArgument("direction must be Sent or Received.", target: "direction")
            }
        }
        q.filter.receivedFrom = try query.date("submissionDateFrom")
        q.filter.receivedTo = try query.date("submissionDateTo")
        q.filter.issuedFrom = try query.date("issueDateFrom")
        q.filter.issuedTo = try query.date("issueDateTo")
        if let text = query["status"] {
            guard let status = DocumentStatus.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                throw PlatformError.badArgument("status must be one of \(DocumentStatus.allCases.map(\.rawValue).joined(separator: ", ")).", target: "status")
            }
            q.filter.status = status
        }
        if let type = query["documentType"] { q.filter.receiptTypes = [type.lowercased()] }
        q.filter.receiverType = query["receiverType"]?.uppercased()
        q.filter.receiverId = query["receiverId"]
        q.filter.issuerId = query["issuerId"]
        q.filter.uuid = query["uuid"]?.lowercased()
        q.filter.receiptNumber = query["internalID"]
    }

    /// A digest of the filters a token belongs to (everything but the token and the page size).
    static func filterDigest(_ query: QueryParameters) -> String {
        let text = query.values.filter { $0.key != "continuationtoken" && $0.key != "pagesize" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return String(Hex.lowercase(SHA256.hash(data: Array(text.utf8))).prefix(16))
    }

    static func encode(_ position: ReceiptQuery.Keyset, digest: String) -> String {
        Data("\(position.receivedAt)|\(position.uuid)|\(digest)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String, digest: String) -> ReceiptQuery.Keyset? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let at = Int64(parts[0]), parts[2] == digest else { return nil }
        return .init(receivedAt: at, uuid: String(parts[1]))
    }
}
