// Polling and retrieval. Sources: ETA SDK /ereceiptapi/06-get-receipt-submission/ (inputs,
// paging PageNo/PageSize), /ereceiptapi/04-get-receipt/ (rawDocument + metadata),
// /ereceiptapi/05-get-receipt-details-anonymously (no token; uuid + dateTimeIssued),
// /ereceiptapi/07-search-receipts, /ereceiptapi/08-get-recent-receipts/; response fields from
// public clients as listed in spec/receipts-api.md (R-NEWBEE rows and metadata, R-AXE errors).
// A taxpayer sees only receipts it issued or received and only its own submissions; anything
// else is 404, so existence is not leaked.

import EisalCore
import EisalStore
import Foundation

/// Builds the read APIs' responses.
struct QueryService<Store: PlatformStore>: Sendable {
    let store: Store
    let configuration: PlatformConfiguration
    let tables = CodeTables.shared

    static func dateTime(_ seconds: Int64) -> String { UTCDateTime(secondsSinceEpoch: seconds).iso8601 }

    static func number(_ lexeme: String) -> ETADecimal { ETADecimal(lexeme: lexeme) ?? 0 }

    func typeName(_ code: String) -> String {
        switch ReceiptKind(code: code) {
        case .sale: "Sale Receipt"
        case .return: "Return Receipt"
        case .retail: "Retail Receipt"
        case .returnWithoutReference: "Return Receipt Without Reference"
        case nil: code
        }
    }

    /// A receipt row as Get Receipt Submission, Search and Recent list it.
    func row(_ r: DocumentRecord, hasReturns: Bool) -> ReceiptRow {
        let currency = tables.currencies[r.currency]
        return ReceiptRow(
            uuid: r.uuid, receiptNumber: r.receiptNumber, dateTimeIssued: r.dateTimeIssued, dateTimeReceived: Self.dateTime(r.receivedAt),
            documentType: r.receiptType, documentTypeNamePrimaryLang: typeName(r.receiptType), documentTypeNameSecondaryLang: typeName(r.receiptType),
            currency: r.currency, currencyNamePrimaryLang: currency?.nameEnglish ?? r.currency,
            currencyNameSecondaryLang: currency?.nameArabic.isEmpty == false ? currency!.nameArabic : r.currency,
            documentTypeVersion: r.typeVersion, totalAmount: Self.number(r.totalAmount), exchangeRate: Self.number(r.exchangeRate),
            sellerID: r.sellerRIN, sellerName: r.sellerName, buyerId: r.buyerId, buyerName: r.buyerName, buyerType: r.buyerType,
            status: r.status.rawValue, longId: r.longId, deviceSerialNumber: r.posSerial, submissionUUID: r.submissionUUID,
            hasReturnReceipts: hasReturns, errors: r.status == .invalid ? r.errors : nil
        )
    }

    /// Rows for a page of receipts, with one query for `hasReturnReceipts`.
    func rows(_ receipts: [DocumentRecord]) async throws -> [ReceiptRow] {
        let withReturns = try await store.uuidsWithReturns(among: receipts.map(\.uuid))
        return receipts.map { row($0, hasReturns: withReturns.contains($0.uuid)) }
    }

    func visible(_ r: DocumentRecord, to principal: Principal) -> Bool {
        principal.mayActFor(r.sellerRIN) || (!r.buyerId.isEmpty && principal.mayActFor(r.buyerId))
    }

    func submissionDetails(uuid: String, principal: Principal, query: QueryParameters) async throws -> ReceiptSubmissionDetails {
        guard let s = try await store.submission(uuid: uuid), s.family == DocumentFamily.receipt.name, principal.mayActFor(s.taxpayerRIN) else {
            throw PlatformError.notFound("Submission \(uuid)", target: "submissionUuid")
        }
        let (pageNo, pageSize) = try query.paging()
        let page = try await store.receipts(ofSubmission: uuid, matching: try filter(query), sort: try query.sort(), pageNo: pageNo, pageSize: pageSize, withText: false)
        return ReceiptSubmissionDetails(
            submissionUuid: s.uuid, sellerId: s.taxpayerRIN, dateTimeReceived: Self.dateTime(s.receivedAt), submitterName: s.submitterName,
            deviceSerialNumber: s.posSerial, submissionChannel: s.channel, receiptsCount: s.receiptCount, invalidReceiptsCount: s.invalidCount,
            status: s.status.rawValue, receipts: try await rows(page.items), metadata: ReceiptPageMetadata(totalCount: page.totalCount, pageNo: pageNo, pageSize: pageSize)
        )
    }

    func visibleReceipt(_ uuid: String, principal: Principal) async throws -> DocumentRecord {
        guard let r = try await store.receipt(uuid: uuid), r.family == DocumentFamily.receipt.name, visible(r, to: principal) else { throw PlatformError.notFound("Receipt \(uuid)", target: "uuid") }
        return r
    }

    /// Highest number of decimals used by any number in the receipt.
    static func maxPrecision(_ node: JSONNode) -> Int {
        switch node.kind {
        case .number: return ETADecimal(lexeme: node.numberLexeme ?? "")?.decimalPlaces ?? 0
        case .object: return node.members.map { maxPrecision($0.value) }.max() ?? 0
        case .array: return node.elements.map(maxPrecision).max() ?? 0
        default: return 0
        }
    }

    func envelope(_ r: DocumentRecord, receipt: JSONValue, rawDocument: String? = nil, validationResults: ReceiptValidationResults? = nil) throws -> ReceiptEnvelope {
        let node = try JSONParser().parse(r.raw).root
        return ReceiptEnvelope(submissionUUID: r.submissionUUID, dateTimeReceived: Self.dateTime(r.receivedAt), dateTimeIssued: r.dateTimeIssued,
                               submissionChannel: Self.channel(r), maxPrecision: Self.maxPrecision(node), rawDocument: rawDocument,
                               validationResults: validationResults, receipt: receipt)
    }

    static func channel(_ r: DocumentRecord) -> String { r.posSerial.isEmpty ? "ERP" : "POS" }

    /// The receipt as submitted plus the platform's fields (`uuid`, `longId`, `status`, …).
    func summary(_ r: DocumentRecord, expanded: Bool) async throws -> JSONValue {
        let returns = try await store.returns(referencing: r.uuid)
        var members: [(String, JSONValue)] = [("uuid", .string(r.uuid)), ("longId", .string(r.longId)), ("status", .string(r.status.rawValue))]
        func number(_ lexeme: String) -> JSONValue { .number(Self.number(lexeme).lexeme) }
        if expanded, case let .object(submitted) = try JSONParser().parse(r.raw).root.value {
            members += submitted.filter { $0.0 != "uuid" }
        } else {
            members += [("receiptNumber", .string(r.receiptNumber)), ("dateTimeIssued", .string(r.dateTimeIssued)), ("totalAmount", number(r.totalAmount)),
                        ("currency", .string(r.currency)), ("sellerId", .string(r.sellerRIN)), ("sellerName", .string(r.sellerName)),
                        ("buyerId", .string(r.buyerId)), ("buyerName", .string(r.buyerName)), ("receiptType", .string(r.receiptType)), ("typeVersion", .string(r.typeVersion))]
        }
        members += [
            ("dateTimeReceived", .string(Self.dateTime(r.receivedAt))), ("hasReturnReceipts", .bool(!returns.isEmpty)),
            ("returnReceipts", .array(returns.map { .object([("uuid", .string($0.uuid)), ("dateTimeIssued", .string($0.dateTimeIssued))]) })),
        ]
        return .object(members)
    }

    func raw(uuid: String, principal: Principal) async throws -> ReceiptEnvelope {
        let r = try await visibleReceipt(uuid, principal: principal)
        return try envelope(r, receipt: try await summary(r, expanded: false), rawDocument: String(decoding: r.raw, as: UTF8.self))
    }

    func details(uuid: String, principal: Principal) async throws -> ReceiptEnvelope {
        let r = try await visibleReceipt(uuid, principal: principal)
        return try envelope(r, receipt: try await summary(r, expanded: true), validationResults: validationResults(r))
    }

    func validationResults(_ r: DocumentRecord) -> ReceiptValidationResults {
        let status: String = switch r.status {
        case .submitted: "In progress"
        case .valid: "Valid"
        case .invalid: "Invalid"
        case .cancelled: "Cancelled"
        case .rejected: "Rejected"
        }
        return ReceiptValidationResults(status: status, errors: r.errors)
    }

    func share(uuid: String, dateTimeIssued: String?) async throws -> ReceiptEnvelope {
        guard let text = dateTimeIssued, let asked = UTCDateTime(text, allowMissingSeconds: true),
              let r = try await store.receipt(uuid: uuid), r.family == DocumentFamily.receipt.name, r.issuedAt == asked.secondsSinceEpoch, r.status != .invalid else {
            throw PlatformError.notFound("Receipt \(uuid) issued at \(dateTimeIssued ?? "?")", target: "uuid")
        }
        return try envelope(r, receipt: try await summary(r, expanded: true))
    }

    /// The filters of Get Receipt Submission (06), Search Receipts (07) and Get Recent Receipts (08).
    /// Each listing accepts the others' names too (`DocumentId`/`Uuid`, `DocumentTypeVersion`/
    /// `DocumentTypeVersionNumber`, `ReceiverId`/`ReceiverRegisterationNumber`, `PosSerialNumber`/
    /// `DeviceSerialNumber`): clients mix them, and a filter silently ignored would list too much.
    func filter(_ query: QueryParameters) throws -> ReceiptFilter {
        var f = ReceiptFilter()
        f.status = try query.status()
        f.issuedFrom = try query.date("DateTimeIssuedFrom")
        f.issuedTo = try query.date("DateTimeIssuedTo")
        f.receivedFrom = try query.date("DateTimeReceivedFrom")
        f.receivedTo = try query.date("DateTimeReceivedTo")
        f.uuid = query["Uuid"] ?? query["DocumentId"]
        f.submissionUUID = query["SubmissionUuid"]
        f.receiptNumber = query["ReceiptNumber"]
        if let code = query["DocumentTypeCode"] { f.receiptTypes = [code] }
        if let name = query["DocumentTypeName"] {
            // Stand-in choice: a kind's own name ("Sale Receipt", case-insensitive) selects it;
            // the generic document type name "Receipt" (the SDK's example) selects every kind.
            let named = ReceiptKind.allCases.filter { name.lowercased() == "receipt" || typeName($0.rawValue).lowercased() == name.lowercased() }
            let codes = named.map(\.rawValue)
            f.receiptTypes = f.receiptTypes.map { asked in codes.filter { code in asked.contains { $0.lowercased() == code.lowercased() } } } ?? codes
        }
        f.typeVersion = query["DocumentTypeVersion"] ?? query["DocumentTypeVersionNumber"]
        f.posSerial = query["PosSerialNumber"] ?? query["DeviceSerialNumber"]
        f.channel = query["SubmissionChannel"]
        f.receiverId = query["ReceiverRegisterationNumber"] ?? query["ReceiverRegistrationNumber"] ?? query["ReceiverId"]
        f.receiverName = query["ReceiverName"]
        f.paymentMethod = query["PaymentMethod"]
        if let text = query["FreeText"] {
            // SDK page 07: String (100).
            guard text.count <= 100 else { throw PlatformError.badArgument("FreeText is at most 100 characters.", target: "FreeText") }
            f.freeText = text
        }
        return f
    }

    func search(principal: Principal, query: QueryParameters, recent: Bool) async throws -> ReceiptPage {
        let (pageNo, pageSize) = try query.paging()
        var q = ReceiptQuery(taxpayerRIN: principal.tin, pageNo: pageNo, pageSize: pageSize)
        if let direction = query["Direction"] {
            // `Received` is the SDK's example; `Submitted` (and `Issued`, `Sent`) the other side.
            guard ["received", "submitted", "issued", "sent"].contains(direction.lowercased()) else {
                throw PlatformError.badArgument("Direction must be Submitted or Received.", target: "Direction")
            }
            q.direction = direction
        }
        q.filter = try filter(query)
        q.sort = try query.sort()
        let f = q.filter
        for (from, to, name) in [(f.issuedFrom, f.issuedTo, "DateTimeIssued"), (f.receivedFrom, f.receivedTo, "DateTimeReceived")] {
            if let from, let to, to < from { throw PlatformError.badArgument("\(name)To is before \(name)From.", target: "\(name)To") }
            // Stand-in decision (spec/receipts-api.md §07): Search's ranges capped at 31 days.
            if !recent, let from, let to, to - from > 31 * 86400 { throw PlatformError.badArgument("\(name)From..\(name)To spans more than 31 days.", target: "\(name)To") }
        }
        let page = try await store.search(q)
        return ReceiptPage(receipts: try await rows(page.items), metadata: ReceiptPageMetadata(totalCount: page.totalCount, pageNo: pageNo, pageSize: pageSize))
    }
}

/// Query-string parameters matched case-insensitively (stand-in decision, spec/common.md).
struct QueryParameters: Sendable {
    var values: [String: String]

    /// The first parameter whose value holds a control character, if any.
    private(set) var nameWithControlCharacter: String?

    init(_ pairs: [(String, String)]) {
        var values: [String: String] = [:]
        for (k, v) in pairs where values[k.lowercased()] == nil {
            values[k.lowercased()] = v
            if nameWithControlCharacter == nil, v.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { nameWithControlCharacter = k }
        }
        self.values = values
    }

    /// Parses a raw query string (`a=1&b=x+y%21`): `+` is a space, `%XX` a byte.
    init(query: String?) {
        let pairs = Array((query ?? "").utf8).split(separator: UInt8(ascii: "&")).map { pair in
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (FormBody.decode(parts[0]), parts.count > 1 ? FormBody.decode(parts[1]) : "")
        }
        self.init(pairs)
    }

    subscript(name: String) -> String? {
        guard let v = values[name.lowercased()], !v.isEmpty else { return nil }
        return v
    }

    /// `PageNo` (default 1) and `PageSize` (default 100, at most 1000). A page past the last one is
    /// empty, not an error. Stand-in choice: `PageNo` at most 2,147,483,647, the range of an
    /// ASP.NET `int` query parameter (inferred; larger values get `BadArgument`, never an overflow).
    func paging() throws -> (Int, Int) {
        let pageNo = try int("PageNo") ?? 1
        let pageSize = try int("PageSize") ?? 100
        guard (1 ... Int(Int32.max)).contains(pageNo) else { throw PlatformError.badArgument("PageNo must be between 1 and \(Int32.max).", target: "PageNo") }
        guard (1 ... 1000).contains(pageSize) else { throw PlatformError.badArgument("PageSize must be between 1 and 1000.", target: "PageSize") }
        return (pageNo, pageSize)
    }

    func int(_ name: String) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let v = Int(text) else { throw PlatformError.badArgument("\(name) must be a whole number.", target: name) }
        return v
    }

    func date(_ name: String) throws -> Int64? {
        guard let text = self[name] else { return nil }
        guard let d = UTCDateTime(text, allowMissingSeconds: true) else { throw PlatformError.badArgument("\(name) must be a UTC date-time like 2022-04-18T12:12:35Z.", target: name) }
        return d.secondsSinceEpoch
    }

    /// `SortBy` (a row field name, case-insensitive, or a common alias) and `SortDir` (`asc`/`desc`,
    /// default `asc`). Allowed values are [UNKNOWN] in the SDK; stand-in choice: an unknown name is
    /// a `BadArgument` that lists the accepted ones, never silently ignored. `SortDir` alone sorts
    /// by `dateTimeIssued`.
    func sort() throws -> ReceiptSort? {
        let by = self["SortBy"], dir = self["SortDir"]
        guard by != nil || dir != nil else { return nil }
        var descending = false
        if let dir {
            switch dir.lowercased() {
            case "asc", "ascending": descending = false
            case "desc", "descending": descending = true
            default: throw PlatformError.badArgument("SortDir must be asc or desc.", target: "SortDir")
            }
        }
        guard let by else { return ReceiptSort(key: .dateTimeIssued, descending: descending) }
        let aliases: [String: ReceiptSort.Key] = [
            "issuedate": .dateTimeIssued, "dateissued": .dateTimeIssued, "receiveddate": .dateTimeReceived, "datereceived": .dateTimeReceived,
            "total": .totalAmount, "documenttypecode": .documentType, "receipttype": .documentType, "buyername": .receiverName,
        ]
        guard let key = ReceiptSort.Key.allCases.first(where: { $0.rawValue.lowercased() == by.lowercased() }) ?? aliases[by.lowercased()] else {
            throw PlatformError.badArgument("SortBy must be one of \(ReceiptSort.Key.allCases.map(\.rawValue).joined(separator: ", ")).", target: "SortBy")
        }
        return ReceiptSort(key: key, descending: descending)
    }

    func status() throws -> DocumentStatus? {
        guard let text = self["Status"] else { return nil }
        guard let s = DocumentStatus.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw PlatformError.badArgument("Status must be Valid, Invalid, Cancelled or Submitted.", target: "Status")
        }
        return s
    }
}
