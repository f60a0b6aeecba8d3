// The invoice document read APIs (spec/documents-api.md; shapes as public clients read them:
// R-KANDIL `SubmissionDocument.cs`, `DocumentSummary.cs`, `DocumentExtended.cs`; R-ELAREEG
// `DocumentSummaryDto.cs`, `DocumentRetrievalDto.cs`; R-AXE `eta_log.py`):
//   GET documentsubmissions/{uuid}?pageNo&pageSize   Get Submission (submitter only)
//   GET documents/{uuid}/raw                          Get Document (issuer or receiver)
//   GET documents/{uuid}/details                      Get Document Details (validation steps)
// Another taxpayer gets 404, as for receipts.
//
// Stand-in decisions: `overallStatus` is `In Progress`, `Valid`, `Partially Valid` or `Invalid`
// (the spellings R-AXE compares against); a summary's amounts are `total` (from the stored
// column) plus `totalSales`, `totalDiscount` and `netAmount` read from the document when it is
// parsed (raw, details); `document` is the submitted JSON object, byte for byte in its values
// and key order; validation steps are one per rule stage plus the signature step.

import EisalCore
import EisalStore
import Foundation
import Hummingbird

/// Answers the document read APIs.
struct DocumentQueries<Store: PlatformStore>: Sendable {
    let store: Store
    let configuration: PlatformConfiguration

    static func dateTime(_ seconds: Int64) -> String { UTCDateTime(secondsSinceEpoch: seconds).iso8601 }

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.get("documentsubmissions/{uuid}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await submission(try context.parameters.require("uuid"), principal: principal, query: try request.queryParameters()))
        }
        group.get("documents/search") { request, context -> Response in
            try Response.json(try await search(principal: try context.requirePrincipal(), query: try request.queryParameters()))
        }
        group.get("documents/recent") { request, context -> Response in
            try Response.json(try await recent(principal: try context.requirePrincipal(), query: try request.queryParameters()))
        }
        group.get("documents/{uuid}/raw") { _, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await document(try context.parameters.require("uuid"), principal: principal, details: false))
        }
        group.get("documents/{uuid}/details") { _, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await document(try context.parameters.require("uuid"), principal: principal, details: true))
        }
    }

    func submission(_ uuid: String, principal: Principal, query: QueryParameters) async throws -> JSONValue {
        guard let s = try await store.submission(uuid: uuid), s.family == DocumentFamily.invoice.name, principal.mayActFor(s.taxpayerRIN) else {
            throw PlatformError.notFound("Submission \(uuid)", target: "submissionUuid")
        }
        let pageNo = max(1, Int(query["pageNo"] ?? "") ?? 1)
        let pageSize = min(max(1, Int(query["pageSize"] ?? "") ?? 100), 100)
        let page = try await store.receipts(ofSubmission: uuid, status: nil, receiptNumber: nil, uuid: nil, pageNo: pageNo, pageSize: pageSize, withText: false)
        let overall: String = switch s.status {
        case .inProgress: "In Progress"
        case .valid: "Valid"
        case .partiallyValid: "Partially Valid"
        case .invalid: "Invalid"
        }
        return .object([
            ("submissionId", .string(s.uuid)), ("uuid", .string(s.uuid)), ("documentCount", .number(String(s.receiptCount))),
            ("dateTimeReceived", .string(Self.dateTime(s.receivedAt))), ("overallStatus", .string(overall)),
            ("documentSummary", .array(try await rows(page.items))),
            ("documentSummaryMetadata", .object([("totalPages", .number(String((page.totalCount + pageSize - 1) / pageSize))), ("totalCount", .number(String(page.totalCount)))])),
        ])
    }

    func document(_ uuid: String, principal: Principal, details: Bool) async throws -> JSONValue {
        guard let r = try await store.receipt(uuid: uuid), r.family == DocumentFamily.invoice.name,
              principal.mayActFor(r.sellerRIN) || DocumentVisibility.receiverMayAct(r, principal) else {
            throw PlatformError.notFound("Document \(uuid)", target: "uuid")
        }
        let node = try JSONParser().parse(r.raw).root
        var members = summary(r, document: node, lifecycle: try await store.lifecycle(uuid: r.uuid) ?? DocumentLifecycle())
        members.append(("document", node.value))
        members.append(("transformationStatus", .string("original")))
        members.append(("validationResults", validationResults(r, steps: details)))
        return .object(members)
    }

    func rows(_ records: [DocumentRecord]) async throws -> [JSONValue] {
        var rows: [JSONValue] = []
        for r in records { rows.append(.object(summary(r, document: nil, lifecycle: try await store.lifecycle(uuid: r.uuid) ?? DocumentLifecycle()))) }
        return rows
    }

    /// The DocumentSummary row (also the head of raw and details).
    func summary(_ r: DocumentRecord, document: JSONNode?, lifecycle l: DocumentLifecycle) -> [(String, JSONValue)] {
        let kind = InvoiceKind(rawValue: r.receiptType)
        func amount(_ key: String) -> [(String, JSONValue)] {
            guard let lexeme = document?[key]?.numberLexeme else { return [] }
            return [(key, .number(lexeme))]
        }
        var members: [(String, JSONValue)] = [
            ("uuid", .string(r.uuid)), ("submissionUUID", .string(r.submissionUUID)), ("longId", .string(r.longId)), ("internalId", .string(r.receiptNumber)),
            ("typeName", .string(r.receiptType)), ("documentTypeNamePrimaryLang", .string(kind?.name ?? r.receiptType)),
            ("documentTypeNameSecondaryLang", .string(kind?.name ?? r.receiptType)), ("typeVersionName", .string(r.typeVersion)),
            ("issuerId", .string(r.sellerRIN)), ("issuerName", .string(r.sellerName)), ("issuerType", .string("B")),
            ("receiverId", .string(r.buyerId)), ("receiverName", .string(r.buyerName)), ("receiverType", .string(r.buyerType)),
            ("dateTimeIssued", .string(r.dateTimeIssued)), ("dateTimeReceived", .string(Self.dateTime(r.receivedAt))),
        ]
        if let lexeme = document?["totalSalesAmount"]?.numberLexeme { members.append(("totalSales", .number(lexeme))) }
        if let lexeme = document?["totalDiscountAmount"]?.numberLexeme { members.append(("totalDiscount", .number(lexeme))) }
        members += amount("netAmount")
        members.append(("total", .number(ETADecimal(lexeme: r.totalAmount)?.lexeme ?? "0")))
        members.append(("status", .string(r.status.rawValue)))
        let reason: String? = switch r.status {
        case .cancelled: l.cancelReason
        case .rejected: l.rejectReason
        case .invalid: r.errors.first?.message
        default: l.cancelDeclinedAt == nil ? l.cancelReason : nil
        }
        members.append(("documentStatusReason", reason.map { .string($0) } ?? .null))
        func date(_ seconds: Int64?) -> JSONValue { seconds.map { .string(Self.dateTime($0)) } ?? .null }
        members += [
            ("cancelRequestDate", date(l.cancelRequestedAt)), ("rejectRequestDate", date(l.rejectRequestedAt)),
            ("cancelRequestDelayedDate", date(l.cancelEffectiveAt)), ("rejectRequestDelayedDate", date(l.rejectEffectiveAt)),
            ("declineCancelRequestDate", date(l.cancelDeclinedAt)), ("declineRejectRequestDate", date(l.rejectDeclinedAt)),
        ]
        return members
    }

    /// `{status, validationSteps: [{name, status, error}]}`: one step per rule stage and the
    /// signature step, each Valid or Invalid with the errors of its rules.
    func validationResults(_ r: DocumentRecord, steps: Bool) -> JSONValue {
        // The validation verdict: a document later cancelled or rejected was validated Valid.
        let status: String = switch r.status {
        case .submitted: "In progress"
        case .invalid: "Invalid"
        default: "Valid"
        }
        var members: [(String, JSONValue)] = [("status", .string(status))]
        guard steps else { return .object(members) }
        let stages: [(name: String, prefixes: [String])] = [
            ("Structure validator", ["Structure."]), ("Code validator", ["Code."]), ("Core fields validator", ["Core."]),
            ("Calculations validator", ["Calc."]), ("Dates validator", ["Date."]), ("References validator", ["Ref."]), ("Signature validator", ["Signature."]),
        ]
        let writer = JSONValueEncoder()
        members.append(("validationSteps", .array(stages.map { stage in
            let errors = r.errors.filter { e in stage.prefixes.contains { (e.code ?? "").hasPrefix($0) } }
            let stepStatus = r.status == .submitted ? "In progress" : (errors.isEmpty ? "Valid" : "Invalid")
            let error: JSONValue = errors.isEmpty ? .null : ((try? writer.encode(ETAError(code: errors[0].code, message: "\(errors.count) error(s)", target: stage.name, details: errors))) ?? .null)
            return .object([("name", .string(stage.name)), ("status", .string(stepStatus)), ("error", error)])
        })))
        return .object(members)
    }
}
