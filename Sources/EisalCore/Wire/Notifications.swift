// Wire types of the callbacks the platform makes to a taxpayer's ERP (spec/notifications.md):
// Ping (`PUT {base}/ping`), document and receipt notifications (`PUT {base}/notifications/
// documents|receipts`, seed erp-receive-document-notifications.txt; the receipt body is the
// stand-in decision mirroring it), and general notifications (`PUT {base}/notifications`).

/// The body of `PUT {base}/ping`, and of its answer (the same RIN echoed).
public struct PingBody: Codable, Sendable, Hashable {
    public var rin: String
    public init(rin: String) { self.rin = rin }
}

/// One notification of a batch.
public struct NotificationMessage: Codable, Sendable, Hashable {
    /// `receipt-validated`, `receipt-received`, `receipt-cancelled`; `document-validated`,
    /// `document-received`, `document-rejected`, `document-cancelled`.
    public var type: String
    public var uuid: String
    public var submissionUUID: String
    public var longId: String
    /// The issuer's number of a receipt (receipt notifications).
    public var receiptNumber: String?
    /// The issuer's internal id of a document (document notifications).
    public var internalId: String?
    /// `Valid`/`Invalid` for `…-validated`; otherwise e.g. `Cancelled`, `Rejected`.
    public var status: String

    public init(type: String, uuid: String, submissionUUID: String, longId: String, receiptNumber: String? = nil, internalId: String? = nil, status: String) {
        self.type = type
        self.uuid = uuid
        self.submissionUUID = submissionUUID
        self.longId = longId
        self.receiptNumber = receiptNumber
        self.internalId = internalId
        self.status = status
    }

    /// The issuer's own number, whichever name carried it.
    public var number: String? { receiptNumber ?? internalId }
}

/// A batch: the body of `PUT {base}/notifications/receipts` and `…/documents`.
public struct NotificationDelivery: Codable, Sendable, Hashable {
    /// The same for every retry of the batch: deduplicate on it.
    public var deliveryId: String
    /// `receipt` or `document`.
    public var type: String
    /// `message.count`.
    public var count: Int
    public var message: [NotificationMessage]

    public init(deliveryId: String, type: String, message: [NotificationMessage]) {
        self.deliveryId = deliveryId
        self.type = type
        count = message.count
        self.message = message
    }
}

extension NotificationMessage {
    /// The message as compact JSON, written straight to bytes (it is built for every validated
    /// document); equal to ``JSONValueEncoder``'s encoding written by ``JSONWriter`` (tested).
    public func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + uuid.utf8.count + longId.utf8.count)
        func member(_ name: StaticString, _ value: String, first: Bool = false) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: "\""))
            JSONEscapes.appendMinimallyEscaped(value.utf8, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        member("type", type, first: true)
        member("uuid", uuid)
        member("submissionUUID", submissionUUID)
        member("longId", longId)
        if let receiptNumber { member("receiptNumber", receiptNumber) }
        if let internalId { member("internalId", internalId) }
        member("status", status)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension NotificationDelivery {
    /// The batch body from messages already written as JSON (``NotificationMessage/jsonBytes()``):
    /// equal to the encoding of a ``NotificationDelivery`` of those messages (tested).
    public static func body(deliveryId: String, type: String, messages: [[UInt8]]) -> [UInt8] {
        var out = Array(#"{"deliveryId":""#.utf8)
        JSONEscapes.appendMinimallyEscaped(deliveryId.utf8, to: &out)
        out += Array(#"","type":""#.utf8)
        JSONEscapes.appendMinimallyEscaped(type.utf8, to: &out)
        out += Array(#"","count":\#(messages.count),"message":["#.utf8)
        for (k, message) in messages.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out += message
        }
        out += Array("]}".utf8)
        return out
    }
}

/// One attempt to deliver, as the logs show it.
public struct DeliveryAttemptView: Codable, Sendable, Hashable {
    public var attemptDateTime: String
    /// `Delivered` or `Failed`.
    public var status: String
    /// The receiver's HTTP status (absent when there was no answer).
    public var httpStatus: Int?
    public var latencyMs: Int
    /// Why it failed: the start of the answer, or the connection error.
    public var statusDetails: String?

    public init(attemptDateTime: String, status: String, httpStatus: Int?, latencyMs: Int, statusDetails: String?) {
        self.attemptDateTime = attemptDateTime
        self.status = status
        self.httpStatus = httpStatus
        self.latencyMs = latencyMs
        self.statusDetails = statusDetails
    }
}

/// A delivery as Eisal's delivery log shows it (`GET /eisal/deliveries…`, an Eisal extension).
public struct DeliveryView: Codable, Sendable, Hashable {
    public var deliveryId: String
    public var rin: String
    /// `notifications/receipts` or `notifications/documents`.
    public var path: String
    /// `Open` (retrying), `Delivered` or `Failed`.
    public var status: String
    public var count: Int
    public var createdDateTime: String
    public var deliveredDateTime: String?
    /// When the next attempt is due (open deliveries).
    public var nextAttemptDateTime: String?
    public var attempts: [DeliveryAttemptView]?
    /// The body sent (shown with a single delivery).
    public var body: JSONValue?

    public init(deliveryId: String, rin: String, path: String, status: String, count: Int, createdDateTime: String, deliveredDateTime: String?,
                nextAttemptDateTime: String?, attempts: [DeliveryAttemptView]?, body: JSONValue?) {
        self.deliveryId = deliveryId
        self.rin = rin
        self.path = path
        self.status = status
        self.count = count
        self.createdDateTime = createdDateTime
        self.deliveredDateTime = deliveredDateTime
        self.nextAttemptDateTime = nextAttemptDateTime
        self.attempts = attempts
        self.body = body
    }
}

/// A notification as `GET /api/v1.0/notifications/taxpayer` lists it (fields: spec/notifications.md,
/// from R-KANDIL and R-ELAREEG; the value sets of `typeId`, `status` and `channel` are Eisal's).
public struct TaxpayerNotification: Codable, Sendable, Hashable {
    public var notificationId: String
    public var receivedDateTime: String
    public var deliveredDateTime: String?
    /// `receipt-validated`, `receipt-received`, ….
    public var typeId: String
    public var typeName: String
    /// The message as sent (JSON text).
    public var finalMessage: String
    /// `API` (a callback).
    public var channel: String
    /// The URL it is delivered to.
    public var address: String
    public var language: String
    /// `Pending`, `Sending`, `Delivered` or `Failed`.
    public var status: String
    public var deliveryAttempts: [DeliveryAttemptView]

    public init(notificationId: String, receivedDateTime: String, deliveredDateTime: String?, typeId: String, typeName: String, finalMessage: String,
                channel: String, address: String, language: String, status: String, deliveryAttempts: [DeliveryAttemptView]) {
        self.notificationId = notificationId
        self.receivedDateTime = receivedDateTime
        self.deliveredDateTime = deliveredDateTime
        self.typeId = typeId
        self.typeName = typeName
        self.finalMessage = finalMessage
        self.channel = channel
        self.address = address
        self.language = language
        self.status = status
        self.deliveryAttempts = deliveryAttempts
    }
}

/// Paging metadata of the eInvoicing-style listings (`{totalPages, totalCount}`).
public struct PageMetadata: Codable, Sendable, Hashable {
    public var totalPages: Int
    public var totalCount: Int

    public init(totalCount: Int, pageSize: Int) {
        totalPages = pageSize > 0 ? (totalCount + pageSize - 1) / pageSize : 0
        self.totalCount = totalCount
    }
}

/// `GET /api/v1.0/notifications/taxpayer`: `{result, metadata}`.
public struct TaxpayerNotificationsPage: Codable, Sendable, Hashable {
    public var result: [TaxpayerNotification]
    public var metadata: PageMetadata

    public init(result: [TaxpayerNotification], metadata: PageMetadata) {
        self.result = result
        self.metadata = metadata
    }
}

/// A page of deliveries (`GET /eisal/deliveries`).
public struct DeliveriesPage: Codable, Sendable, Hashable {
    public var result: [DeliveryView]
    public var metadata: PageMetadata

    public init(result: [DeliveryView], metadata: PageMetadata) {
        self.result = result
        self.metadata = metadata
    }
}
