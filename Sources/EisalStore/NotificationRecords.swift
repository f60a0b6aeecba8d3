// Notifications to taxpayers' ERPs (spec/notifications.md): the callback a taxpayer registered,
// the outbox rows written with the state changes that cause them, the deliveries that carry them
// (one `deliveryId`, the exact body sent, retried as it is), and every attempt.

import EisalCore

/// A taxpayer's registered callback.
public struct CallbackRecord: Sendable, Hashable {
    public var taxpayerRIN: String
    /// The base URL; the platform appends `/ping`, `/notifications/receipts`, ….
    public var baseURL: String
    /// The pre-shared API key, sealed by the platform (it must be sent in clear, so it is
    /// encrypted, not hashed; see `CallbackKeySealer`).
    public var sealedAPIKey: [UInt8]
    /// `ar` or `en`: sent as `Accept-Language`.
    public var language: String
    /// Seconds since the epoch.
    public var registeredAt: Int64

    public init(taxpayerRIN: String, baseURL: String, sealedAPIKey: [UInt8], language: String, registeredAt: Int64) {
        self.taxpayerRIN = taxpayerRIN
        self.baseURL = baseURL
        self.sealedAPIKey = sealedAPIKey
        self.language = language
        self.registeredAt = registeredAt
    }
}

/// Where a notification goes under the callback's base URL.
public enum NotificationPath: String, Sendable, Hashable, CaseIterable {
    case receipts = "notifications/receipts"
    case documents = "notifications/documents"

    /// The envelope's `type` of a batch sent to this path.
    public var batchType: String {
        switch self {
        case .receipts: "receipt"
        case .documents: "document"
        }
    }
}

/// One notification in the outbox.
public struct NotificationRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Waiting for a delivery.
        case pending
        /// In a delivery not yet delivered.
        case sending
        case delivered
        /// Its delivery failed after every retry, or no callback was there to deliver it.
        case failed
    }

    /// Assigned by the store (0 before).
    public var id: Int64
    /// The taxpayer whose callback receives it.
    public var recipientRIN: String
    public var path: NotificationPath
    /// `receipt-validated`, `receipt-received`, `document-validated`, ….
    public var type: String
    /// The document it is about.
    public var documentUUID: String
    /// The message object as it is sent (JSON text).
    public var message: [UInt8]
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    public var state: State
    /// The delivery carrying it, once there is one.
    public var deliveryID: String?

    public init(id: Int64 = 0, recipientRIN: String, path: NotificationPath, type: String, documentUUID: String, message: [UInt8], createdAt: Int64,
                state: State = .pending, deliveryID: String? = nil) {
        self.id = id
        self.recipientRIN = recipientRIN
        self.path = path
        self.type = type
        self.documentUUID = documentUUID
        self.message = message
        self.createdAt = createdAt
        self.state = state
        self.deliveryID = deliveryID
    }
}

/// A batch of notifications sent as one PUT, with one `deliveryId`, retried with the same body.
public struct DeliveryRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Not delivered yet: the next attempt is due at ``nextAttemptAt``.
        case open
        case delivered
        /// Every attempt failed (it can be replayed).
        case failed
    }

    /// The `deliveryId` sent.
    public var id: String
    public var recipientRIN: String
    public var path: NotificationPath
    /// The exact request body (JSON text).
    public var body: [UInt8]
    /// Notifications in it (`count` of the body).
    public var count: Int
    public var state: State
    /// Attempts since it was opened (or replayed).
    public var attempts: Int
    /// Milliseconds since the epoch.
    public var nextAttemptAt: Int64
    public var createdAt: Int64
    public var deliveredAt: Int64?

    public init(id: String, recipientRIN: String, path: NotificationPath, body: [UInt8], count: Int, state: State = .open, attempts: Int = 0,
                nextAttemptAt: Int64, createdAt: Int64, deliveredAt: Int64? = nil) {
        self.id = id
        self.recipientRIN = recipientRIN
        self.path = path
        self.body = body
        self.count = count
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// One attempt to deliver.
public struct DeliveryAttempt: Sendable, Hashable {
    public var deliveryID: String
    /// Milliseconds since the epoch.
    public var at: Int64
    /// The receiver's HTTP status; nil when there was no answer (refused, timed out, unsafe target).
    public var statusCode: Int?
    public var latencyMilliseconds: Int64
    /// Why it failed (an excerpt of the answer, or the connection error); nil on success.
    public var error: String?

    public init(deliveryID: String, at: Int64, statusCode: Int?, latencyMilliseconds: Int64, error: String?) {
        self.deliveryID = deliveryID
        self.at = at
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }
}

/// What became of an attempt.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered
    /// Try again at this time (milliseconds since the epoch).
    case retry(at: Int64)
    /// No more attempts.
    case failed
}

/// A delivery with its attempts and the notifications it carries (the delivery log).
public struct DeliveryLogEntry: Sendable, Hashable {
    public var delivery: DeliveryRecord
    public var attempts: [DeliveryAttempt]
    public var notifications: [NotificationRecord]

    public init(delivery: DeliveryRecord, attempts: [DeliveryAttempt], notifications: [NotificationRecord]) {
        self.delivery = delivery
        self.attempts = attempts
        self.notifications = notifications
    }
}

/// Which notifications a taxpayer lists (`GET /api/v1.0/notifications/taxpayer`).
public struct NotificationQuery: Sendable, Hashable {
    public var recipientRIN: String
    /// Created at or after / before, milliseconds since the epoch.
    public var from: Int64?
    public var to: Int64?
    public var type: String?
    public var state: NotificationRecord.State?
    public var pageNo: Int
    public var pageSize: Int

    public init(recipientRIN: String, pageNo: Int = 1, pageSize: Int = 100) {
        self.recipientRIN = recipientRIN
        self.pageNo = pageNo
        self.pageSize = pageSize
    }
}

extension JobKind {
    /// Delivering a recipient's notifications (subject: the recipient's RIN; at most one job each).
    public static let dispatch = JobKind(rawValue: "dispatch")
}
