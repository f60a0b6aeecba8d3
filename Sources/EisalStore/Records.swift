// Records the platform stores, shaped by its use cases (registry, identity, intake,
// processing, query). Backends: EisalStoreSQLite (GRDB), later PostgreSQL.

import EisalCore

/// A registered taxpayer.
public struct TaxpayerRecord: Sendable, Hashable, Codable {
    /// 9-digit registration number.
    public var rin: String
    public var name: String
    public var nameArabic: String
    /// Whether the taxpayer carries the B2C tag (required to submit receipts).
    public var b2c: Bool
    /// Branch codes from the profile (head office `0`).
    public var branches: [String]
    public var activityCodes: [String]

    public init(rin: String, name: String, nameArabic: String = "", b2c: Bool = true, branches: [String] = ["0"], activityCodes: [String] = ["4620"]) {
        self.rin = rin
        self.name = name
        self.nameArabic = nameArabic
        self.b2c = b2c
        self.branches = branches
        self.activityCodes = activityCodes
    }
}

/// An ERP system (or POS credential set) allowed to call the APIs.
public struct ClientRecord: Sendable, Hashable, Codable {
    public var clientID: String
    /// `salt$sha256hex`: secrets are never stored in clear.
    public var secretHash: String
    /// The taxpayer the client belongs to.
    public var taxpayerRIN: String
    /// Other taxpayers this client may act for (intermediary permission).
    public var representedRINs: [String]
    public var blocked: Bool

    public init(clientID: String, secretHash: String, taxpayerRIN: String, representedRINs: [String] = [], blocked: Bool = false) {
        self.clientID = clientID
        self.secretHash = secretHash
        self.taxpayerRIN = taxpayerRIN
        self.representedRINs = representedRINs
        self.blocked = blocked
    }
}

/// A registered POS device.
public struct POSRecord: Sendable, Hashable, Codable {
    public var serial: String
    public var taxpayerRIN: String
    public var branchCode: String
    public var osVersion: String
    public var modelFramework: String
    public var presharedKey: String
    public var activated: Bool

    public init(serial: String, taxpayerRIN: String, branchCode: String = "0", osVersion: String = "os", modelFramework: String = "1", presharedKey: String, activated: Bool = true) {
        self.serial = serial
        self.taxpayerRIN = taxpayerRIN
        self.branchCode = branchCode
        self.osVersion = osVersion
        self.modelFramework = modelFramework
        self.presharedKey = presharedKey
        self.activated = activated
    }
}

/// What a POS sent in its last token call (spec/identity.md: the optional POS headers are not
/// compared by default, but recorded so an integrator can see what their client sends).
public struct POSLoginRecord: Sendable, Hashable, Codable {
    /// How the `presharedkey` header compared with the registered key.
    public enum PresharedKeyState: String, Sendable, Hashable, Codable, CaseIterable {
        /// No `presharedkey` header.
        case absent
        /// The header was sent empty.
        case empty
        /// The registered key.
        case matches
        /// The client id instead of the key (Odoo's POS module sends it).
        case clientID = "client-id"
        /// Any other value (not stored: it may be a secret of something else).
        case differs
    }

    public var serial: String
    public var clientID: String
    /// Seconds since the epoch.
    public var at: Int64
    /// `pososversion` as sent; nil when absent.
    public var osVersion: String?
    /// `posmodelframework` as sent; nil when absent.
    public var modelFramework: String?
    public var presharedKey: PresharedKeyState

    public init(serial: String, clientID: String, at: Int64, osVersion: String?, modelFramework: String?, presharedKey: PresharedKeyState) {
        self.serial = serial
        self.clientID = clientID
        self.at = at
        self.osVersion = osVersion
        self.modelFramework = modelFramework
        self.presharedKey = presharedKey
    }
}

/// Status of a submission.
public enum SubmissionStatus: String, Sendable, Codable, CaseIterable {
    case inProgress = "InProgress"
    case valid = "Valid"
    case partiallyValid = "PartiallyValid"
    case invalid = "Invalid"
}

/// Status of a receipt.
public enum ReceiptStatus: String, Sendable, Codable, CaseIterable {
    /// Accepted by intake, full validation pending (shown as `Submitted`).
    case submitted = "Submitted"
    case valid = "Valid"
    case invalid = "Invalid"
    case cancelled = "Cancelled"
}

/// A submission accepted by intake.
public struct SubmissionRecord: Sendable, Hashable {
    public var uuid: String
    public var taxpayerRIN: String
    public var clientID: String
    public var posSerial: String?
    public var submitterName: String
    public var channel: String
    /// Seconds since the epoch.
    public var receivedAt: Int64
    /// Hex SHA-256 of the request body, for duplicate detection.
    public var payloadHash: String
    public var status: SubmissionStatus
    public var receiptCount: Int
    public var invalidCount: Int
    /// The `signatures` member as received (JSON text), if any.
    public var signatures: String?

    public init(uuid: String, taxpayerRIN: String, clientID: String, posSerial: String?, submitterName: String, channel: String, receivedAt: Int64, payloadHash: String, status: SubmissionStatus = .inProgress, receiptCount: Int, invalidCount: Int = 0, signatures: String? = nil) {
        self.uuid = uuid
        self.taxpayerRIN = taxpayerRIN
        self.clientID = clientID
        self.posSerial = posSerial
        self.submitterName = submitterName
        self.channel = channel
        self.receivedAt = receivedAt
        self.payloadHash = payloadHash
        self.status = status
        self.receiptCount = receiptCount
        self.invalidCount = invalidCount
        self.signatures = signatures
    }
}

/// A receipt accepted by intake, with the raw bytes that were hashed.
public struct ReceiptRecord: Sendable, Hashable {
    public var uuid: String
    public var submissionUUID: String
    public var longId: String
    public var receiptNumber: String
    /// Position in the submission.
    public var position: Int
    public var sellerRIN: String
    public var sellerName: String
    public var branchCode: String
    public var posSerial: String
    public var buyerType: String
    public var buyerId: String
    public var buyerName: String
    public var receiptType: String
    public var typeVersion: String
    public var currency: String
    public var totalAmount: String
    public var exchangeRate: String
    public var paymentMethod: String
    public var dateTimeIssued: String
    public var issuedAt: Int64
    public var receivedAt: Int64
    public var previousUUID: String
    public var referenceUUID: String
    public var status: ReceiptStatus
    /// Validation errors as a JSON array of the contract's Error shape (empty when valid).
    public var errors: String
    /// The receipt's JSON text exactly as received (filled by reads that ask for texts).
    public var raw: [UInt8]
    /// The receipt's place in its seller's sequence, assigned by the store at commit in commit
    /// order: what "earlier" means for the POS chain, receipt number and return rules (0 before commit).
    public var sellerSequence: Int64 = 0
    /// Where the receipt's text sits in the submission text handed to
    /// ``SubmissionStore/commitSubmission(_:text:receipts:)`` (the store keeps that text once).
    public var textRange: Range<Int>

    public init(uuid: String, submissionUUID: String, longId: String, receiptNumber: String, position: Int, sellerRIN: String, sellerName: String, branchCode: String, posSerial: String, buyerType: String, buyerId: String, buyerName: String, receiptType: String, typeVersion: String, currency: String, totalAmount: String, exchangeRate: String, paymentMethod: String, dateTimeIssued: String, issuedAt: Int64, receivedAt: Int64, previousUUID: String, referenceUUID: String, status: ReceiptStatus = .submitted, errors: String = "[]", raw: [UInt8], textRange: Range<Int> = 0 ..< 0, sellerSequence: Int64 = 0) {
        self.uuid = uuid
        self.submissionUUID = submissionUUID
        self.longId = longId
        self.receiptNumber = receiptNumber
        self.position = position
        self.sellerRIN = sellerRIN
        self.sellerName = sellerName
        self.branchCode = branchCode
        self.posSerial = posSerial
        self.buyerType = buyerType
        self.buyerId = buyerId
        self.buyerName = buyerName
        self.receiptType = receiptType
        self.typeVersion = typeVersion
        self.currency = currency
        self.totalAmount = totalAmount
        self.exchangeRate = exchangeRate
        self.paymentMethod = paymentMethod
        self.dateTimeIssued = dateTimeIssued
        self.issuedAt = issuedAt
        self.receivedAt = receivedAt
        self.previousUUID = previousUUID
        self.referenceUUID = referenceUUID
        self.status = status
        self.errors = errors
        self.raw = raw
        self.textRange = textRange
        self.sellerSequence = sellerSequence
    }
}

/// A kind of leased job.
public struct JobKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Full validation of one accepted submission (subject: the submission UUID).
    public static let validation = JobKind(rawValue: "validation")
    public var description: String { rawValue }
}

/// Who holds a lease: one worker of one node. A node's id is stable across its restarts
/// (``releaseLeases(node:)``).
public struct LeaseOwner: Hashable, Sendable, CustomStringConvertible {
    public var node: String
    public var worker: Int
    public init(node: String, worker: Int) {
        self.node = node
        self.worker = worker
    }
    public var description: String { "\(node)/\(worker)" }
}

/// A job claimed by a worker.
public struct ClaimedJob: Sendable, Hashable {
    public var id: Int64
    public var kind: JobKind
    /// What the job is about (for validation: the submission UUID).
    public var subject: String
    /// Claims so far, this one included.
    public var attempts: Int
    /// Who holds the lease.
    public var owner: LeaseOwner
    /// When the job was created (seconds since the epoch).
    public var createdAt: Int64

    public init(id: Int64, kind: JobKind = .validation, subject: String, attempts: Int, owner: LeaseOwner, createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.attempts = attempts
        self.owner = owner
        self.createdAt = createdAt
    }

    /// The submission a validation job is about.
    public var submissionUUID: String { subject }
}

/// Whether a receipt's number is already used by an earlier receipt of its POS.
public enum NumberConflict: Sendable, Hashable {
    /// An earlier receipt with a verdict other than Invalid holds the number.
    case taken
    /// Earlier receipts with the number are still awaiting their verdicts.
    case pending
}

/// A stored receipt's place in its POS chain.
public struct ChainKey: Sendable, Hashable {
    public var posSerial: String
    public var sellerRIN: String
    public var sellerSequence: Int64
    public init(posSerial: String, sellerRIN: String, sellerSequence: Int64) {
        self.posSerial = posSerial
        self.sellerRIN = sellerRIN
        self.sellerSequence = sellerSequence
    }
}

/// What ``SubmissionStore/commitSubmission(_:text:receipts:)`` committed.
public struct CommittedSubmission: Sendable, Hashable {
    /// Receipts left out because their UUID was already stored (when all were, nothing was committed).
    public var duplicates: Set<String>
    /// The ``ReceiptRecord/sellerSequence`` each receipt was given, in the order passed (0 for a duplicate).
    public var sellerSequences: [Int64]

    public init(duplicates: Set<String>, sellerSequences: [Int64]) {
        self.duplicates = duplicates
        self.sellerSequences = sellerSequences
    }
}

/// The verdict of full validation for one receipt.
public struct ReceiptVerdict: Sendable, Hashable {
    public var uuid: String
    public var status: ReceiptStatus
    /// JSON array of errors.
    public var errors: String

    public init(uuid: String, status: ReceiptStatus, errors: String) {
        self.uuid = uuid
        self.status = status
        self.errors = errors
    }
}

/// Receipt predicates shared by Get Receipt Submission, Search Receipts and Get Recent Receipts.
/// Every member left nil matches everything.
public struct ReceiptFilter: Sendable, Hashable {
    public var issuedFrom: Int64?
    public var issuedTo: Int64?
    public var receivedFrom: Int64?
    public var receivedTo: Int64?
    public var status: ReceiptStatus?
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
    /// `Submitted` (issued), `Received`, or nil for both.
    public var direction: String?
    public var filter = ReceiptFilter()
    /// nil: newest issued first.
    public var sort: ReceiptSort?
    public var pageNo: Int
    public var pageSize: Int

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
