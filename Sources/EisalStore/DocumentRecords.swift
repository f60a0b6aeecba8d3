// Submissions and documents as intake commits them and processing judges them.

import EisalCore

/// Status of a submission.
public enum SubmissionStatus: String, Sendable, Codable, CaseIterable {
    case inProgress = "InProgress"
    case valid = "Valid"
    case partiallyValid = "PartiallyValid"
    case invalid = "Invalid"
}

/// Status of a document (a receipt now).
public enum DocumentStatus: String, Sendable, Codable, CaseIterable {
    /// Accepted by intake, full validation pending (shown as `Submitted`).
    case submitted = "Submitted"
    case valid = "Valid"
    case invalid = "Invalid"
    case cancelled = "Cancelled"
    /// An invoice document its receiver rejected.
    case rejected = "Rejected"
}

/// A submission accepted by intake.
public struct SubmissionRecord: Sendable, Hashable {
    public var uuid: String
    /// The family of its documents (``DocumentFamily/name``).
    public var family: String
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
    /// Documents accepted in it.
    public var receiptCount: Int
    public var invalidCount: Int
    /// The `signatures` member as received (JSON text), if any.
    public var signatures: String?

    public init(uuid: String, family: String = DocumentFamily.receipt.name, taxpayerRIN: String, clientID: String, posSerial: String?, submitterName: String, channel: String, receivedAt: Int64, payloadHash: String, status: SubmissionStatus = .inProgress, receiptCount: Int, invalidCount: Int = 0, signatures: String? = nil) {
        self.uuid = uuid
        self.family = family
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

/// A document accepted by intake, with the raw bytes that were hashed. Shared by the families:
/// the fields carry receipt names (`receiptNumber` is the issuer's own number, `seller` the issuer,
/// `buyer` the receiver, `receiptType` the document type).
public struct DocumentRecord: Sendable, Hashable {
    public var uuid: String
    /// The family (``DocumentFamily/name``).
    public var family: String
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
    public var status: DocumentStatus
    /// Validation errors (empty when valid or not yet validated).
    public var errors: [ETAError]
    /// The document's JSON text exactly as received (filled by reads that ask for texts).
    public var raw: [UInt8]
    /// The receipt's place in its seller's sequence, assigned by the store at commit in commit
    /// order: what "earlier" means for the POS chain, receipt number and return rules (0 before commit).
    public var sellerSequence: Int64 = 0
    /// Where the receipt's text sits in the submission text handed to
    /// ``SubmissionStore/commitSubmission(_:text:receipts:)`` (the store keeps that text once).
    public var textRange: Range<Int>

    public init(uuid: String, submissionUUID: String, longId: String, receiptNumber: String, position: Int, sellerRIN: String, sellerName: String, branchCode: String, posSerial: String, buyerType: String, buyerId: String, buyerName: String, receiptType: String, typeVersion: String, currency: String, totalAmount: String, exchangeRate: String, paymentMethod: String, dateTimeIssued: String, issuedAt: Int64, receivedAt: Int64, previousUUID: String, referenceUUID: String, status: DocumentStatus = .submitted, errors: [ETAError] = [], raw: [UInt8], textRange: Range<Int> = 0 ..< 0, sellerSequence: Int64 = 0, family: String = DocumentFamily.receipt.name) {
        self.uuid = uuid
        self.family = family
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

/// What ``SubmissionStore/commitSubmission(_:text:receipts:)`` committed.
public struct CommittedSubmission: Sendable, Hashable {
    /// Receipts left out because their UUID was already stored (when all were, nothing was committed).
    public var duplicates: Set<String>
    /// The ``DocumentRecord/sellerSequence`` each receipt was given, in the order passed (0 for a duplicate).
    public var sellerSequences: [Int64]

    public init(duplicates: Set<String>, sellerSequences: [Int64]) {
        self.duplicates = duplicates
        self.sellerSequences = sellerSequences
    }
}

/// The verdict of full validation for one document.
public struct DocumentVerdict: Sendable, Hashable {
    public var uuid: String
    public var status: DocumentStatus
    /// Its errors (empty when valid).
    public var errors: [ETAError]

    public init(uuid: String, status: DocumentStatus, errors: [ETAError]) {
        self.uuid = uuid
        self.status = status
        self.errors = errors
    }
}
