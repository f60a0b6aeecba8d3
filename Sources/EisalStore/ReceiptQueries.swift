// Receipt listings: the filters, order and paging of Get Receipt Submission, Search and Recent.

import EisalCore

/// Receipt predicates shared by Get Receipt Submission, Search Receipts and Get Recent Receipts.
/// Every member left nil matches everything.
public struct ReceiptFilter: Sendable, Hashable {
    public var issuedFrom: Int64?
    public var issuedTo: Int64?
    public var receivedFrom: Int64?
    public var receivedTo: Int64?
    public var status: DocumentStatus?
    public var uuid: String?
    public var submissionUUID: String?
    public var receiptNumber: String?
    /// `receiptType` codes, compared case-insensitively; an empty list matches nothing.
    public var receiptTypes: [String]?
    public var typeVersion: String?
    public var posSerial: String?
    /// `POS` (receipts with a device serial) or `ERP`; other values match nothing.
    public var channel: String?
    public var receiverId: String?
    public var receiverName: String?
    /// Documents: the issuer's RIN.
    public var issuerId: String?
    /// Documents: the receiver's type (`B`, `P`, `F`).
    public var receiverType: String?
    public var paymentMethod: String?
    /// Search Receipts' `FreeText`: fragments (`*` is a wildcard) of ids, names and the POS serial
    /// when at least 5 characters long besides `*`; exact issue date (`yyyy-MM-dd`) or exact total always.
    public var freeText: String?

    public init() {}
}

/// The order of a receipt listing (`SortBy`, `SortDir`).
public struct ReceiptSort: Sendable, Hashable {
    public enum Key: String, Sendable, CaseIterable {
        case dateTimeIssued, dateTimeReceived, receiptNumber, totalAmount, uuid, status, documentType, receiverName
    }

    public var key: Key
    public var descending: Bool

    public init(key: Key, descending: Bool) {
        self.key = key
        self.descending = descending
    }
}

/// Search Receipts / Get Recent Receipts: the caller, its direction, the filter, order and page.
public struct ReceiptQuery: Sendable, Hashable {
    /// The caller's taxpayer: only receipts it issued or received are returned.
    public var taxpayerRIN: String
    /// The family listed (``DocumentFamily/name``). Default `receipt`.
    public var family = DocumentFamily.receipt.name
    /// `Submitted` (issued), `Received`, or nil for both.
    public var direction: String?
    public var filter = ReceiptFilter()
    /// nil: newest issued first.
    public var sort: ReceiptSort?
    public var pageNo: Int
    public var pageSize: Int
    /// Keyset paging (Search Documents' `continuationToken`): when set, newest received first,
    /// ties broken by UUID (descending), `pageNo` and `sort` ignored, and the page starts after
    /// `after` (nil: the first page). `totalCount` then counts what is left from this page on.
    public var keyset: Bool = false
    /// Documents: the receiver is a business (type B) other than the issuer, and sees a document
    /// only once it was validated Valid (it may since have been cancelled or rejected).
    public var receiverSeesValidatedOnly = false
    public var after: Keyset?

    /// A position in the keyset order.
    public struct Keyset: Sendable, Hashable {
        public var receivedAt: Int64
        public var uuid: String
        public init(receivedAt: Int64, uuid: String) {
            self.receivedAt = receivedAt
            self.uuid = uuid
        }
    }

    public init(taxpayerRIN: String, pageNo: Int = 1, pageSize: Int = 100) {
        self.taxpayerRIN = taxpayerRIN
        self.pageNo = pageNo
        self.pageSize = pageSize
    }
}

/// A page of results with the total count.
public struct Page<Element: Sendable>: Sendable {
    public var items: [Element]
    public var totalCount: Int
    public init(items: [Element], totalCount: Int) {
        self.items = items
        self.totalCount = totalCount
    }
}
